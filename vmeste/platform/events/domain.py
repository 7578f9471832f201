"""Domain events: what plugins hear about every step a component takes.

A step's transaction writes one ``domain.events`` outbox message holding the step's
events (ids and statuses only: see :class:`DomainEvent`), so nothing is announced
for a step that rolled back. Its job fans the events out: one ``domain.deliver``
message per subscriber (a plugin implementing ``vmeste_domain_event``) and event,
each with its own dedupe key. A subscriber that fails is retried alone, and never
makes another subscriber hear an event twice; a worker that dies after a
subscriber's call and before recording it delivers that event to that subscriber
again (at least once), which :attr:`DomainEvent.dedupe_key` lets the plugin notice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.outbox.services import emit
from vmeste.platform.plugins import await_me_maybe

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

#: Topic of a step's events: payload ``{"events": [DomainEvent as a dict, ...]}``.
DOMAIN_EVENTS = "domain.events"
#: Topic of one event for one subscriber: payload ``{"subscriber": plugin name,
#: "event": DomainEvent as a dict}``.
DOMAIN_DELIVER = "domain.deliver"


@dataclass(frozen=True)
class DomainEvent:
    """One step of a subject's life, as a plugin sees it: no texts, names or contacts,
    only ids and statuses (a plugin that needs more reads it with the ids, under its
    own rules for personal data)."""

    #: The component that took the step ("appeals").
    component: str
    #: What the step was about ("appeal") and its id.
    subject_type: str
    subject_id: int
    #: The id of the step's event in the component's own history.
    event_id: int
    #: The step ("submit", "route", "answer", "overdue", …).
    name: str
    #: The subject's territory path, root first ("RU/33000000/33701000").
    territory_path: str
    occurred_at: datetime
    #: Ids and statuses the step set: ``from_status``, ``to_status``, and the ids and
    #: values the component publishes for the step (``organization_id``, …).
    payload: Mapping[str, Any] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        """The same on every delivery of this event, and different for every event:
        what a plugin keys its own idempotency on (a CRM's external id)."""
        return f"{self.subject_type}:{self.subject_id}:{self.event_id}"

    def to_payload(self) -> dict[str, Any]:
        return {**asdict(self), "payload": dict(self.payload),
                "occurred_at": self.occurred_at.isoformat()}

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> DomainEvent:
        return cls(**{**data, "occurred_at": datetime.fromisoformat(data["occurred_at"])})


async def announce(conn: BaseDBAsyncClient, events: Sequence[DomainEvent], key: str) -> None:
    """Queue a step's events in its transaction; ``key`` is the step's own dedupe key."""
    if events:
        await emit(conn, DOMAIN_EVENTS, {"events": [e.to_payload() for e in events]},
                   f"domain:{key}")


def subscribers(runtime: Runtime) -> list[str]:
    return [impl.plugin_name for impl in runtime.plugins.hook.vmeste_domain_event.get_hookimpls()]


async def fan_out(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
    """A ``domain.events`` job: one ``domain.deliver`` message per subscriber and event,
    all in one transaction (a retried job queues none twice)."""
    names = subscribers(runtime)
    async with in_transaction() as conn:
        for data in payload["events"]:
            event = DomainEvent.from_payload(data)
            for name in names:
                await emit(conn, DOMAIN_DELIVER, {"subscriber": name, "event": data},
                           f"domain-deliver:{name}:{event.dedupe_key}")
    return len(names) * len(payload["events"])


async def deliver(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
    """A ``domain.deliver`` job: one subscriber hears one event; its exception fails
    this job alone (retried with back-off, then a dead letter). A subscriber removed
    since the fan-out hears nothing."""
    event = DomainEvent.from_payload(payload["event"])
    arguments = {"event": event, "runtime": runtime}
    for impl in runtime.plugins.hook.vmeste_domain_event.get_hookimpls():
        if impl.plugin_name == payload["subscriber"]:
            await await_me_maybe(impl.function(*(arguments[name] for name in impl.argnames)))
            return 1
    return 0


async def scope(payload: dict[str, Any]) -> str:
    events = payload.get("events") or [payload.get("event") or {}]
    return str(events[0].get("territory_path") or "")
