"""The vote's clock, a deadline kind the watchdog sweeps: every minute of an open vote
is checked for spikes, and the vote is closed at ``closesAt``.

``next_check_at`` is the moment a vote next has something to do: the next minute, or
its closing time when that comes first. It is also the bookmark of the watch: the
first minute not yet checked is the one before it (a vote that never had one is
checked from its opening). A sweep that finds a vote due checks the complete minutes
since, at most a window's worth (a scheduler that was stopped for hours catches up a
window per sweep), records each spike as an alert and a vote event, and moves
``next_check_at`` on; at ``closesAt`` it then closes the vote through
:func:`vmeste.platform.votes.closing.close_vote`, as the organiser would.

Several schedulers may sweep at once. The check moves ``next_check_at`` only from the
value it read and only on the revision it read (no revision bump: an organiser's
quarantine meanwhile is not refused for it), first in its transaction, so the second
sweep of a minute finds the row moved, writes nothing and counts a conflict; an alert
is unique per vote, group and minute besides. Closing is a step under the revision
lock, taken once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import translate
from vmeste.platform.votes.closing import close_vote
from vmeste.platform.votes.counting import SUBJECT_TYPE
from vmeste.platform.votes.integrity import MINUTE, Spike, Thresholds, check, floor_minute
from vmeste.platform.votes.lifecycle import Action
from vmeste.platform.votes.models import IntegrityAlert, Vote, VoteStatus
from vmeste.platform.votes.steps import VOTE_STEPS

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

ACTOR = "system:watchdog"


class VoteClock:
    """Open votes: their integrity watch and their closing."""

    name = "vote_clock"
    subject_type = SUBJECT_TYPE
    steps = ("checks", "alerts", "closed")

    def due(self, now: datetime) -> QuerySet[Vote]:
        """Open votes whose moment has come (or that never had one)."""
        return Vote.filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now),
                           status=VoteStatus.OPEN)

    def subject_id(self, row: Vote) -> int:
        return row.id

    async def step(self, runtime: Runtime, row: Vote, now: datetime) -> list[str]:
        thresholds = Thresholds.of(runtime.settings)
        first = (floor_minute(row.next_check_at) - MINUTE if row.next_check_at is not None
                 else floor_minute(row.opened_at or now))
        end = min(floor_minute(now), first + MINUTE * thresholds.window)
        upcoming = max(end, first) + MINUTE
        closing = row.closes_at is not None and row.closes_at <= now
        if row.closes_at is not None:
            upcoming = min(upcoming, row.closes_at)
        found = await check(row, first, end, thresholds)
        async with in_transaction() as conn:
            await _move_bookmark(conn, row, upcoming)
            alerts = await _record(conn, row, found)
        taken = ["checks"] * (first < end) + ["alerts"] * alerts
        if closing:
            await close_vote(row, ACTOR, now)
            taken.append("closed")
        return taken

    def following(self, scope: str | None) -> None:
        """A vote's closing time is a moment, not a term on the calendars."""
        return None

    async def recompute(self, runtime: Runtime, subject_id: int, now: datetime) -> bool:
        return False


async def _move_bookmark(conn: BaseDBAsyncClient, vote: Vote, upcoming: datetime) -> None:
    """Claim the check: only from the bookmark and revision read, else ``CONFLICT``
    (another sweep did it, or a step changed the vote)."""
    changed = await Vote.filter(id=vote.pk, revision=vote.revision, status=VoteStatus.OPEN,
                                next_check_at=vote.next_check_at).using_db(conn).update(
        next_check_at=upcoming)
    if changed != 1:
        raise DomainError.of(None, translate(VOTE_STEPS.conflict), ErrorCode.CONFLICT)
    vote.next_check_at = upcoming


async def _record(conn: BaseDBAsyncClient, vote: Vote, found: Sequence[Spike]) -> int:
    """An alert and an ``alert`` event (its notification tells the organisers) for
    every spike not yet recorded; how many were new."""
    if not found:
        return 0
    VOTE_STEPS.require(Action.ALERT, vote)
    known = set(await IntegrityAlert.filter(
        vote_id=vote.pk, minute__in=sorted({s.minute for s in found})).using_db(conn)
        .values_list("territory_group", "minute"))
    new = 0
    for spike in found:
        if (spike.territory_group, spike.minute) in known:
            continue
        alert = await IntegrityAlert.create(
            vote_id=vote.pk, territory_group=spike.territory_group, minute=spike.minute,
            ballots=spike.ballots, baseline=spike.baseline, threshold=spike.threshold,
            using_db=conn)
        await VOTE_STEPS.record(
            conn, vote, ACTOR, Action.ALERT, vote.status, vote.status,
            payload={"alert_id": alert.id, "territory_code": spike.territory_group,
                     "minute": spike.minute.isoformat(), "ballots": spike.ballots,
                     "baseline": spike.baseline, "threshold": spike.threshold})
        new += 1
    return new
