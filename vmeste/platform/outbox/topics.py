"""Outbox topics: which job handles each, and how a failed job is scoped and re-driven.

A topic's handler receives the message payload (IDs only, never objects) and
``last_attempt``, so a handler can mark its work as failed for good on the final retry.
Components declare their topics (:class:`vmeste.platform.components.Component`); the
runtime collects them, and the workers declare one dramatiq actor per topic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tortoise.models import Model

    from vmeste.platform.runtime import Runtime

Handler = Callable[["Runtime", dict[str, Any], bool], Awaitable[object]]
Scope = Callable[[dict[str, Any]], Awaitable[str]]
Reset = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Topic:
    name: str
    #: dramatiq actor name; a dead letter records it, and re-driving looks it up.
    actor: str
    #: Queue name without the ``VMESTE_QUEUE_PREFIX`` prefix.
    queue: str
    handle: Handler
    #: Territory path of what the job concerns ("" when it is gone or national).
    scope: Scope
    #: Makes a job that failed for good runnable again before it is re-driven.
    reset: Reset | None = None
    #: Exceptions whose message is safe to store (free of personal data and secrets);
    #: any other failure is stored by its type name only.
    safe_errors: tuple[type[BaseException], ...] = ()


def scope_of(model: type[Model], key: str, lookup: str = "id") -> Scope:
    """A topic's scope read from the row its payload names: the ``territory_path`` of
    ``model`` whose ``lookup`` is ``payload[key]`` ("" when the row is gone)."""
    async def scope(payload: dict[str, Any]) -> str:
        path = await model.filter(**{lookup: payload.get(key)}).first().values_list(
            "territory_path", flat=True)
        return str(path or "")

    return scope


def by_actor(topics: Mapping[str, Topic], actor: str) -> Topic | None:
    return next((t for t in topics.values() if t.actor == actor), None)
