"""The retention sweep: every declaration's ``retention`` step, once every
``VMESTE_RETENTION_SWEEP_HOURS``, as a deadline kind the watchdog runs.

Its moment is one row (``retention_sweep``, made by the migration), so any number of
schedulers sweep once: the row's ``next_run_at`` is moved a short lease ahead under a
compare-and-set before the steps run, and a sweep period ahead only once they have
succeeded. Each step runs a bounded number of batches
(:data:`vmeste.platform.personal_data.MAX_BATCHES`); a backlog goes on next time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.queryset import QuerySet

from vmeste.platform.audit.services import record
from vmeste.platform.components import personal_data_of
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.privacy.kinds import OwnRows
from vmeste.platform.privacy.models import RetentionSweep

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

SWEEP_ID = 1
#: How long a claimed sweep holds the row: one that failed is tried again after it,
#: not a whole sweep period later.
LEASE = timedelta(hours=1)


async def sweep_retention(runtime: Runtime, now: datetime) -> dict[str, Any]:
    """Every section's retention step; the counts by section, audited when anything
    changed."""
    outcome: dict[str, Any] = {}
    for declaration in personal_data_of(runtime.components):
        if declaration.retention is not None:
            outcome[declaration.section] = (await declaration.retention(runtime, now)).as_dict()
    if any(o["removed"] or o["pseudonymised"] for o in outcome.values()):
        await record(actor="system", action="privacy.retention.sweep",
                     object_type="retention_sweep", object_id=SWEEP_ID, before=None,
                     after={"at": now.isoformat(), "sections": outcome})
    return outcome


class RetentionKind(OwnRows):
    """The deadline kind of the retention sweep."""

    name = "retention"
    subject_type = "retention_sweep"
    steps = ("swept",)

    def due(self, now: datetime) -> QuerySet[RetentionSweep]:
        return RetentionSweep.filter(next_run_at__lte=now)

    async def step(self, runtime: Runtime, row: RetentionSweep, now: datetime
                   ) -> Sequence[str]:
        claimed = await RetentionSweep.filter(id=row.id, next_run_at__lte=now).update(
            next_run_at=now + LEASE)
        if not claimed:
            raise DomainError.of(None, "another scheduler swept", ErrorCode.CONFLICT)
        outcome = await sweep_retention(runtime, now)
        following = now + timedelta(hours=runtime.settings.retention_sweep_hours)
        await RetentionSweep.filter(id=row.id).update(last_run_at=now, last_outcome=outcome,
                                                      next_run_at=following)
        return ["swept"]
