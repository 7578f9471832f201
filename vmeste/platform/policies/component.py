"""Region policies: a part of the platform every component stands on."""

from __future__ import annotations

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl


@hookimpl
def vmeste_component() -> Component:
    return Component(name="policies", models=("vmeste.platform.policies.models",))
