"""The transactional outbox and its dead letters: part of the platform every component
stands on."""

from __future__ import annotations

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.outbox.personal_data import OUTBOX_DATA


@hookimpl
def vmeste_component() -> Component:
    return Component(name="outbox", models=("vmeste.platform.outbox.models",),
                     personal_data=(OUTBOX_DATA,))
