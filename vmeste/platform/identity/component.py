"""Users and their roles: a part of the platform every component stands on."""

from __future__ import annotations

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.identity.personal_data import PROFILE_DATA


@hookimpl
def vmeste_component() -> Component:
    return Component(name="identity", models=("vmeste.platform.identity.models",),
                     personal_data=(PROFILE_DATA,))
