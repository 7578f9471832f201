"""Hearings' and direct lines' share of a citizen's data rights.

A hearing's protocol and conclusion are official documents (Town Planning Code art.
5.1, parts 18 and 22) that list every proposal and who made it (a resident of the
territory or another participant); a direct line's questions are public once
published. So an erasure keeps the proposals and the questions with their texts, and
removes the person from them: the participant's name, cadastral number and right
document give way to the pseudonym; published copies of a protocol or a conclusion are
frozen records and stay as they were issued (docs/privacy.md). Subscriptions go; the
supports of questions stay as counted facts pointing at the closed account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmeste.platform.hearings.line_models import LineQuestion, QuestionVote
from vmeste.platform.hearings.models import HearingParticipant, HearingSubscription, Proposal
from vmeste.platform.personal_data import Erasure, Outcome, PersonalData, records

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


async def _export(runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
    participants = records(await HearingParticipant.filter(user_id=user_id).values(
        "id", "hearing_id", "hearing__title", "display_name", "participant_class",
        "cadastral_number", "right_document", "channel", "registered_at"))
    proposals = records(await Proposal.filter(participant__user_id=user_id).values(
        "hearing_id", "number", "participant_class", "quote", "text", "channel", "status",
        "moderation_reason", "recommendation", "recommendation_reason", "created_at"))
    questions = records(await LineQuestion.filter(author_id=user_id).values(
        "id", "line_id", "line__title", "text", "topic", "status", "moderation_reason",
        "votes", "answered_at", "appeal_id", "created_at"))
    supported = records(await QuestionVote.filter(user_id=user_id).values(
        "question_id", "created_at"))
    followed = records(await HearingSubscription.filter(user_id=user_id).values("hearing_id"))
    return [*({"kind": "participant", **row} for row in participants),
            *({"kind": "proposal", **row} for row in proposals),
            *({"kind": "direct_line_question", **row} for row in questions),
            *({"kind": "question_support", **row} for row in supported),
            *({"kind": "hearing_subscription", **row} for row in followed)]


async def _erase(erasure: Erasure) -> Outcome:
    conn = erasure.conn
    renamed = await HearingParticipant.filter(user_id=erasure.user_id).using_db(conn).update(
        display_name=erasure.pseudonym, cadastral_number="", right_document="")
    removed = await HearingSubscription.filter(user_id=erasure.user_id).using_db(conn).delete()
    proposals = await Proposal.filter(participant__user_id=erasure.user_id).using_db(
        conn).count()
    questions = await LineQuestion.filter(author_id=erasure.user_id).using_db(conn).count()
    supports = await QuestionVote.filter(user_id=erasure.user_id).using_db(conn).count()
    outcome = Outcome(removed=removed, pseudonymised=renamed,
                      kept=proposals + questions + supports)
    if outcome.kept:
        outcome.notes.append("proposals and direct-line questions kept as the hearings' "
                             "and lines' records (Town Planning Code art. 5.1), author "
                             "pseudonymised")
    return outcome


HEARINGS_DATA = PersonalData(
    section="hearings", describes="Your registrations and proposals in public hearings, "
    "your direct-line questions and the ones you supported, and the hearings you follow.",
    export=_export, erase=_erase)
