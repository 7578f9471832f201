"""Widgets: the embeddable "report a problem" form a body (or a municipality) places on
its sites, and the count of where it is used."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.settings import Settings

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


async def _demo(runtime: Runtime) -> str:
    from vmeste.platform.widgets.demo import load_demo_widget

    return await load_demo_widget(runtime)


@hookimpl
def vmeste_component() -> Component:
    return Component(name="widgets", models=("vmeste.platform.widgets.models",),
                     path_copies=(("widget", "territory_path"),), demo=_demo)


@hookimpl
def vmeste_http_routes(settings: Settings) -> list[BaseRoute]:
    """The loader (``/widgets/loader.js``), a widget's page, map and submission report
    (``/widgets/{key}/…``), their files and the sign-in's return page."""
    from vmeste.platform.widgets import http

    return http.routes(settings)
