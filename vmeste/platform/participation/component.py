"""Participation: the counters and the population votes and polls share."""

from __future__ import annotations

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl


@hookimpl
def vmeste_component() -> Component:
    return Component(name="participation", models=("vmeste.platform.participation.models",))
