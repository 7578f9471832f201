"""After a line: its unanswered questions become appeals, in one step of the organisers.

Every published question not answered on air (merged ones live on in their target) is
submitted through the appeals intake (:meth:`vmeste.platform.appeals.intake.Intake.submit`)
on behalf of its author, as the author: the portal channel, where the author wrote it,
in the line category (``DirectLine.category``), from the territory the question was
sent from. So the appeal is moderated, routed by the same routing engine, registered
with its deadline, and its applicant notified by the appeals own notifications (the
``submitted`` and ``routed`` events of the appeal history go out through the outbox in
the appeal transaction).

One transaction per question, each idempotent twice over: the intake idempotency key
``line-question-<id>`` is unique per applicant, so a question submitted again (a crash
between the appeal and its link, or two organisers at once) answers with the first
appeal; and a question whose ``appeal`` is set is not submitted again. The line history
gets one ``hand_over`` event when all are done (under the line revision lock): a second
call finds it and does nothing; a call after a crash half-way resumes where it stopped.

A question the intake refuses (a submission quota used up, an unverified author where
the region asks for verified accounts) stays unlinked and is counted as refused in the
event: the hand-over is not repeated for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from vmeste.platform.appeals.intake import SubmitInput
from vmeste.platform.appeals.models import Channel
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.hearings import access
from vmeste.platform.hearings.lifecycle import LineAction
from vmeste.platform.hearings.line_models import (
    DirectLine,
    DirectLineEvent,
    LineQuestion,
    LineStatus,
    QuestionStatus,
)
from vmeste.platform.hearings.lines import audit_step
from vmeste.platform.hearings.steps import LINE_STEPS as STEPS
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.identity.services import load_principal
from vmeste.platform.reference.models import Category, Territory


@dataclass
class HandOver:
    line: DirectLine
    #: Question id → the appeal it became (in this call).
    appeals: dict[int, int] = field(default_factory=dict)
    #: Question id → why the intake refused it.
    refused: dict[int, str] = field(default_factory=dict)
    #: The hand-over was done before: this call did nothing.
    already: bool = False


def idempotency_key(question_id: int) -> str:
    return f"line-question-{question_id}"


async def hand_over(principal: Principal, line_id: int, appeals: AppealServices
                    ) -> HandOver:
    line = await STEPS.open(line_id, LineAction.HAND_OVER, lambda r: access.require_organiser(
        principal, r.territory_path, r.organization_id))
    if await DirectLineEvent.exists(line_id=line.id, action=LineAction.HAND_OVER):
        return HandOver(line, already=True)
    category = (await Category.get_or_none(id=line.category_id)
                if line.category_id is not None else None)
    if category is None:
        raise DomainError.of("lineId", _("Choose the line category for the appeals first"),
                             ErrorCode.REQUIRED)
    done = HandOver(line)
    pending = await LineQuestion.filter(
        line_id=line.id, status=QuestionStatus.PUBLISHED, answered_at__isnull=True,
        appeal_id__isnull=True).order_by("id")
    for question in pending:
        try:
            appeal_id = await _submit(question, category.code, appeals)
        except DomainError as error:
            done.refused[question.id] = error.errors[0].code.value
            continue
        await LineQuestion.filter(id=question.id, appeal_id__isnull=True).update(
            appeal_id=appeal_id)
        done.appeals[question.id] = appeal_id
    async with in_transaction() as conn:
        linked = await LineQuestion.filter(line_id=line.id, appeal_id__isnull=False).using_db(
            conn).count()
        payload = {"appeals": linked, "questions": len(done.refused) + len(done.appeals)}
        await audit_step(conn, line, principal.actor, LineAction.HAND_OVER, line.status,
                     LineStatus.FINISHED, payload)
        await STEPS.move(conn, line, principal.actor, LineAction.HAND_OVER,
                         LineStatus.FINISHED, payload=payload)
    return done


async def _submit(question: LineQuestion, category_code: str, appeals: AppealServices
                  ) -> int:
    author = await User.get(id=question.author_id)
    territory = await Territory.get(id=question.territory_id)
    appeal = await appeals.submit(await load_principal(author), SubmitInput(
        text=question.text, category_code=category_code, channel=Channel.PORTAL,
        territory_code=territory.code, idempotency_key=idempotency_key(question.id)))
    return appeal.id
