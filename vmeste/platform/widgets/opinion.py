"""What an opinion widget offers and how its submissions are counted.

It offers the open polls and votes whose audience is the widget's territory or one
inside it, or, where its keepers chose some, only those (still open). A poll response
or a ballot sent from it is counted once by its own id, only for a poll or vote the
widget offers, only within the report window, and only by whoever holds it: the
response's id or the ballot's receipt, which only the person who sent it was given.
Responses and ballots do not name their person, and the count does not either.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from uuid import UUID

from tortoise.transactions import in_transaction

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.polls.models import Poll, PollQuestion, PollResponse, PollStatus
from vmeste.platform.reference.models import subtree
from vmeste.platform.votes.models import Ballot, Vote, VoteOption, VoteStatus
from vmeste.platform.widgets.models import Widget, WidgetOpinionSubmission
from vmeste.platform.widgets.placements import REPORT_WINDOW, count_placement

#: At most this many polls, and this many votes, are listed on one widget.
MAX_LISTED = 20


def _chosen(ids: list[int]) -> dict[str, object]:
    """The filter on the ids chosen; none chosen is every open one."""
    return {"id__in": list(ids)} if ids else {}


async def offered_polls(widget: Widget) -> list[Poll]:
    return await Poll.filter(subtree(widget.territory_path, "territory_path"),
                             status=PollStatus.OPEN, **_chosen(widget.poll_ids)
                             ).order_by("closes_at", "id").limit(MAX_LISTED)


async def offered_votes(widget: Widget) -> list[Vote]:
    return await Vote.filter(subtree(widget.territory_path, "territory_path"),
                             status=VoteStatus.OPEN, is_template=False,
                             **_chosen(widget.vote_ids)
                             ).order_by("closes_at", "id").limit(MAX_LISTED)


async def questions_of(polls: list[Poll]) -> dict[int, list[PollQuestion]]:
    found: dict[int, list[PollQuestion]] = {poll.id: [] for poll in polls}
    for question in await PollQuestion.filter(poll_id__in=list(found)).order_by("position"):
        found[question.poll_id].append(question)  # type: ignore[attr-defined]
    return found


async def options_of(votes: list[Vote]) -> dict[int, list[VoteOption]]:
    found: dict[int, list[VoteOption]] = {vote.id: [] for vote in votes}
    for option in await VoteOption.filter(vote_id__in=list(found)).order_by("position", "id"):
        found[option.vote_id].append(option)  # type: ignore[attr-defined]
    return found


def _uuid(value: object, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise DomainError.of(field, _("This is not a response's or a ballot's id")) from None


async def _subject(widget: Widget, report: dict[str, object], now: datetime) -> str:
    """What the report names, checked: ``poll-response:…`` or ``ballot:…``."""
    since = now - REPORT_WINDOW
    if "pollResponseId" in report:
        response = await PollResponse.get_or_none(id=_uuid(report["pollResponseId"],
                                                           "pollResponseId"))
        polls = {poll.id for poll in await offered_polls(widget)}
        if (response is None or response.poll_id not in polls  # type: ignore[attr-defined]
                or response.submitted_minute < since - timedelta(minutes=1)):
            raise DomainError.of("pollResponseId",
                                 _("Not a response sent through this widget"),
                                 ErrorCode.NOT_FOUND)
        return f"poll-response:{response.id}"
    ballot = await Ballot.get_or_none(id=_uuid(report.get("ballotId"), "ballotId"))
    votes = {vote.id for vote in await offered_votes(widget)}
    if (ballot is None or ballot.vote_id not in votes  # type: ignore[attr-defined]
            or not hmac.compare_digest(ballot.receipt, str(report.get("receipt", "")))):
        raise DomainError.of("ballotId", _("Not a ballot sent through this widget"),
                             ErrorCode.NOT_FOUND)
    return f"ballot:{ballot.id}"


async def count_opinion(widget: Widget, report: dict[str, object], origin: str,
                        now: datetime) -> bool:
    """Count the response or ballot ``report`` names as sent from ``origin``; False when
    it was counted already."""
    subject = await _subject(widget, report, now)
    async with in_transaction() as conn:
        if await WidgetOpinionSubmission.filter(subject=subject).using_db(conn).exists():
            return False
        await WidgetOpinionSubmission.create(subject=subject, widget_id=widget.id,
                                             origin=origin, counted_at=now, using_db=conn)
        await count_placement(widget.id, origin, now.date(), "submissions", conn)
    return True
