"""The deadline watchdog: one sweep over every deadline kind the components declare.

Each kind says what is due and takes its own steps (see
:class:`vmeste.platform.deadlines.kinds.DeadlineKind`); the sweep reads the due rows
in batches by id and keeps every row's trouble to itself. A step is written through
the subject's revision lock, and what it did is recorded on the row it checks before
acting, so a sweep repeated, or two schedulers sweeping at once, take every step
exactly once: the loser of a race hits the revision check, rolls back, and finds the
step done on its next sweep.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tortoise.queryset import QuerySet

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.observability.metrics import watchdog_swept

if TYPE_CHECKING:
    from vmeste.platform.deadlines.kinds import DeadlineKind
    from vmeste.platform.runtime import Runtime

BATCH = 500
#: Counted for every kind besides its own steps.
OUTCOMES = ("conflicts", "failed")
#: A sweep's counts: kind name → step or outcome → how many.
SweepCounts = dict[str, dict[str, int]]
log = logging.getLogger("vmeste.deadlines")


async def run_watchdog(runtime: Runtime, now: datetime | None = None) -> SweepCounts:
    """One idempotent sweep of every kind; returns, per kind, how many steps of each
    name it took, how many items it left to the next sweep because someone changed
    them meanwhile (``conflicts``), and how many it could not handle (``failed``:
    logged, and tried again on the next sweep, without holding up the others)."""
    now = now or runtime.clock()
    counts = {kind.name: await sweep(runtime, kind, now) for kind in runtime.deadlines.kinds}
    watchdog_swept(counts)
    return counts


async def sweep(runtime: Runtime, kind: DeadlineKind, now: datetime) -> dict[str, int]:
    counts = dict.fromkeys((*kind.steps, *OUTCOMES), 0)
    async for row in batches(kind.due(now)):
        try:
            for taken in await kind.step(runtime, row, now):
                counts[taken] += 1
        except DomainError as error:
            if error.errors[0].code == ErrorCode.CONFLICT:
                counts["conflicts"] += 1
            else:
                _failed(counts, kind, row, error)
        except Exception as error:
            _failed(counts, kind, row, error)
    return counts


async def batches(query: QuerySet[Any]) -> AsyncIterator[Any]:
    """The query's rows by id, ``BATCH`` at a time, so a long sweep holds no cursor."""
    last = 0
    while True:
        rows = await query.filter(id__gt=last).order_by("id").limit(BATCH)
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].id


def _failed(counts: dict[str, int], kind: DeadlineKind, row: Any, error: Exception) -> None:
    # The type only: a message may carry the subject's personal data.
    log.warning("deadline watchdog: %s %d failed: %s", kind.subject_type, kind.subject_id(row),
                type(error).__name__)
    counts["failed"] += 1
