"""The append-only audit trail: a part of the platform every component stands on."""

from __future__ import annotations

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl


@hookimpl
def vmeste_component() -> Component:
    return Component(name="audit", models=("vmeste.platform.audit.models",))
