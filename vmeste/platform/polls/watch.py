"""The poll clock: the deadline watchdog closes an open poll at its ``closesAt``.

Opening sets ``next_check_at`` to the closing moment, so the sweep's query is one
index range (open polls whose moment has come) and a poll without a closing moment is
never read. The step is the organiser's closing step, taken by the watchdog under the
poll's revision lock; the one who closes it by hand meanwhile wins, and the watchdog's
step is then a conflict left to a sweep that no longer finds the poll due.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise.queryset import QuerySet

from vmeste.platform.polls.models import Poll, PollStatus
from vmeste.platform.polls.services import close

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

ACTOR = "system:watchdog"


class PollClock:
    name = "poll_clock"
    subject_type = "poll"
    steps = ("closed",)

    def due(self, now: datetime) -> QuerySet[Poll]:
        return Poll.filter(status=PollStatus.OPEN, next_check_at__lte=now)

    def subject_id(self, row: Poll) -> int:
        return row.id

    async def step(self, runtime: Runtime, row: Poll, now: datetime) -> list[str]:
        await close(row, ACTOR, now)
        return ["closed"]

    def following(self, scope: str | None) -> None:
        """A closing moment is a moment, not a term counted in working days."""
        return None

    async def recompute(self, runtime: Runtime, subject_id: int, now: datetime) -> bool:
        return False
