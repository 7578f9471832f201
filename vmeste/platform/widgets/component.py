"""Widgets: the embeddable "report a problem" form a body (or a municipality) places on
its sites, and the count of where it is used."""

from __future__ import annotations

from starlette.routing import BaseRoute

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.settings import Settings


@hookimpl
def vmeste_component() -> Component:
    return Component(name="widgets", models=("vmeste.platform.widgets.models",),
                     path_copies=(("widget", "territory_path"),))


@hookimpl
def vmeste_http_routes(settings: Settings) -> list[BaseRoute]:
    """The loader (``/widgets/loader.js``), a widget's page, map and submission report
    (``/widgets/{key}/…``), their files and the sign-in's return page."""
    from vmeste.platform.widgets import http

    return http.routes(settings)
