"""What a component tells the deadline watchdog about one kind of clock it keeps.

A component declares its kinds in :attr:`vmeste.platform.components.Component.deadline_kinds`
(appeals: running terms, and clarification pauses; hearings: stage dates; incidents:
SLAs). The watchdog asks each kind what is due, reads it in batches by id, and hands
every row to the kind's own step, which writes through the public step shape
(:mod:`vmeste.platform.steps`). A calendar import asks each kind which of its
subjects' terms follow the calendars, and has them recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from tortoise.queryset import QuerySet

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


class DeadlineKind(Protocol):
    @property
    def name(self) -> str:
        """Unique over all components; keys the kind's counts in a sweep's result and
        its calendar recomputation jobs."""

    @property
    def subject_type(self) -> str:
        """What a row is about ("appeal"), for the log of a failed step."""

    @property
    def steps(self) -> tuple[str, ...]:
        """The names of the steps :meth:`step` may report, the counts of a sweep."""

    def due(self, now: datetime) -> QuerySet[Any]:
        """The rows that may have a step to take at ``now``. Read on every sweep, so
        keep it to an indexed filter that leaves out rows with nothing ahead before a
        stored moment (a ``next_check_at`` column): a sweep over 100k rows must cost a
        few index range scans, not a read of each."""

    def subject_id(self, row: Any) -> int:
        """The subject's id, for the log (never anything personal)."""

    async def step(self, runtime: Runtime, row: Any, now: datetime) -> Sequence[str]:
        """Take what is due for ``row``, each step in its own transaction under the
        subject's revision lock; returns the names of the steps taken. A lost race is
        ``DomainError(CONFLICT)``: the step is left for the next sweep."""

    def following(self, scope: str | None) -> QuerySet[Any] | None:
        """The subjects under territory path ``scope`` (every territory when None)
        whose due moment follows the calendars; None for a kind that holds none."""

    async def recompute(self, runtime: Runtime, subject_id: int, now: datetime) -> bool:
        """Rewrite one subject's due moment on the current calendars under its revision
        lock; whether a row was rewritten."""
