"""Which job handles each outbox topic, and how a failed job is scoped and re-driven.

A topic's handler receives the message payload (IDs only, never objects) and
``last_attempt``, so a handler can mark its work as failed for good on
the final retry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vmeste.platform.appeals.models import Appeal
from vmeste.platform.deadlines.services import CALENDAR_RECOMPUTE, recompute_batch
from vmeste.platform.notifications.channels import DeliveryError
from vmeste.platform.notifications.delivery import deliver, reset_for_redrive
from vmeste.platform.notifications.fanout import NOTIFICATION_DELIVER, fan_out
from vmeste.platform.notifications.models import Notification
from vmeste.platform.outbox.services import APPEAL_EVENTS
from vmeste.platform.runtime import Runtime

__all__ = ["NOTIFICATION_DELIVER", "Topic", "by_actor", "default_topics"]

Handler = Callable[[Runtime, dict[str, Any], bool], Awaitable[object]]
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


async def _fan_out(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
    return await fan_out(runtime, int(payload["appeal_id"]),
                         [int(i) for i in payload["event_ids"]])


async def _deliver(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> None:
    await deliver(runtime, int(payload["notification_id"]), last_attempt=last_attempt)


async def _recompute(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
    return await recompute_batch(runtime.appeals.deadlines, payload)


async def _reset_notification(payload: dict[str, Any]) -> None:
    await reset_for_redrive(int(payload["notification_id"]))


async def _appeal_scope(payload: dict[str, Any]) -> str:
    path = await Appeal.filter(id=payload.get("appeal_id")).first().values_list(
        "territory_path", flat=True)
    return str(path or "")


async def _calendar_scope(payload: dict[str, Any]) -> str:
    return str(payload.get("scope") or "")


async def _notification_scope(payload: dict[str, Any]) -> str:
    path = await Notification.filter(id=payload.get("notification_id")).first().values_list(
        "territory_path", flat=True)
    return str(path or "")


def default_topics() -> dict[str, Topic]:
    """The platform's topics, keyed by outbox topic name."""
    return {topic.name: topic for topic in (
        Topic(APPEAL_EVENTS, "vmeste.fan_out", "notifications", _fan_out, _appeal_scope),
        Topic(NOTIFICATION_DELIVER, "vmeste.deliver", "deliveries", _deliver,
              _notification_scope, reset=_reset_notification, safe_errors=(DeliveryError,)),
        Topic(CALENDAR_RECOMPUTE, "vmeste.recompute_deadlines", "calendars", _recompute,
              _calendar_scope),
    )}


def by_actor(topics: Mapping[str, Topic], actor: str) -> Topic | None:
    return next((t for t in topics.values() if t.actor == actor), None)
