"""Domain events: the outbox topics that carry every component's steps to plugins."""

from __future__ import annotations

from vmeste.platform.components import Component
from vmeste.platform.events.domain import DOMAIN_DELIVER, DOMAIN_EVENTS, deliver, fan_out, scope
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.outbox.topics import Topic


@hookimpl
def vmeste_component() -> Component:
    return Component(name="events", topics=(
        Topic(DOMAIN_EVENTS, "vmeste.domain_fan_out", "domain_events", fan_out, scope),
        Topic(DOMAIN_DELIVER, "vmeste.domain_deliver", "domain_events", deliver, scope)))
