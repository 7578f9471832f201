"""Deadlines: production calendars, the clock, pauses and extensions, for any subject."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmeste.platform.components import Component
from vmeste.platform.deadlines.policy import DEADLINE_KIND
from vmeste.platform.deadlines.services import CALENDAR_RECOMPUTE, recompute_batch
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.strategies import StrategyKind

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


async def _recompute(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
    return await recompute_batch(runtime, payload)


async def _scope(payload: dict[str, Any]) -> str:
    return str(payload.get("scope") or "")


@hookimpl
def vmeste_component() -> Component:
    return Component(
        name="deadlines", models=("vmeste.platform.deadlines.models",),
        topics=(Topic(CALENDAR_RECOMPUTE, "vmeste.recompute_deadlines", "calendars",
                      _recompute, _scope),))


@hookimpl
def vmeste_strategy_kinds() -> list[StrategyKind]:
    return [DEADLINE_KIND]
