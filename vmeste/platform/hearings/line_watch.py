"""The line clock: the deadline watchdog records when a line stopped taking questions.

Questions stop at ``questionsCloseAt`` (or the start of the broadcast). That is a check
on the submission's time, not a status of its own: the watchdog sweeps every so often,
and a status set by it would leave a window after the moment in which questions were
still taken, while the check in :func:`vmeste.platform.hearings.questions.ask` is exact
to the second and costs nothing (the line row is read anyway). The line stays
COLLECTING until the organisers start the broadcast, since moderation and votes go on.

What the clock adds is the record: at the moment, the line history gets a
``close_questions`` event (no change of status), so the audit trail and the studio
say when collection ended. Announcing sets ``next_check_at`` to the moment, so the
sweep is one index range; the step is taken under the line revision lock, and an
organiser who changes or starts the line meanwhile wins (the clock then finds it no
longer due, or due at its new moment).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise.queryset import QuerySet

from vmeste.platform.hearings.lifecycle import LineAction
from vmeste.platform.hearings.line_models import DirectLine, LineStatus
from vmeste.platform.hearings.lines import take_step

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

ACTOR = "system:watchdog"


class LineClock:
    name = "direct_line_clock"
    subject_type = "direct_line"
    steps = ("questions_closed",)

    def due(self, now: datetime) -> QuerySet[DirectLine]:
        return DirectLine.filter(status=LineStatus.COLLECTING, next_check_at__lte=now)

    def subject_id(self, row: DirectLine) -> int:
        return row.id

    async def step(self, runtime: Runtime, row: DirectLine, now: datetime) -> list[str]:
        row.next_check_at = None
        await take_step(row, ACTOR, LineAction.CLOSE_QUESTIONS, LineStatus.COLLECTING)
        return ["questions_closed"]

    def following(self, scope: str | None) -> None:
        """The closing moment is a moment, not a term counted in working days."""
        return None

    async def recompute(self, runtime: Runtime, subject_id: int, now: datetime) -> bool:
        return False
