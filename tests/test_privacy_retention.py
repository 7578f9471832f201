"""The retention sweep's bounds: one run does a bounded number of batches, and a run
that fails is tried again after a short lease, not a whole sweep period later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.privacy_world import NOW
from vmeste.platform import personal_data
from vmeste.platform.privacy import retention
from vmeste.platform.privacy.models import RetentionSweep


async def test_a_step_stops_after_its_most_batches(db: Any) -> None:
    calls = []

    async def full_batch(conn: Any) -> int:
        calls.append(conn)
        return 10

    assert await personal_data.batched(full_batch, 10, max_batches=3) == 30
    assert len(calls) == 3, "a backlog waits for the next sweep"


async def test_a_failed_sweep_is_tried_again_after_its_lease(
        vmeste_app: Any, clock: Any, world: Any, db: Any,
        monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(NOW)
    runtime = vmeste_app.state.runtime
    async def failing(runtime: Any, now: datetime) -> dict[str, Any]:
        raise RuntimeError("the database went away")

    row, _created = await RetentionSweep.get_or_create(id=1, defaults={"next_run_at": NOW})
    await RetentionSweep.filter(id=1).update(next_run_at=NOW)
    monkeypatch.setattr(retention, "sweep_retention", failing)
    with pytest.raises(RuntimeError):
        await retention.RetentionKind().step(runtime, row, NOW)
    assert (await RetentionSweep.get(id=1)).next_run_at == NOW + retention.LEASE
