"""Open311 GeoReport v2: client applications file appeals on the ``open311`` channel
and read them back (see ``docs/open311.md``)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.open311.personal_data import OPEN311_DATA
from vmeste.platform.settings import Settings


@hookimpl
def vmeste_component() -> Component:
    return Component(name="open311", models=("vmeste.platform.open311.models",),
                     personal_data=(OPEN311_DATA,))


@hookimpl
def vmeste_http_routes(settings: Settings) -> list[BaseRoute]:
    """GeoReport v2 at ``/open311/v2/``."""
    from vmeste.platform.open311.http import routes

    return routes(settings)
