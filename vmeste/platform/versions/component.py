"""Configuration versions: the counters every configuration cache compares."""

from __future__ import annotations

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl


@hookimpl
def vmeste_component() -> Component:
    return Component(name="versions", models=("vmeste.platform.versions.models",))
