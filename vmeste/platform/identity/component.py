"""Users and their roles: a part of the platform every component stands on."""

from __future__ import annotations

from starlette.routing import BaseRoute

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.settings import Settings


@hookimpl
def vmeste_component() -> Component:
    return Component(name="identity", models=("vmeste.platform.identity.models",))


@hookimpl
def vmeste_http_routes(settings: Settings) -> list[BaseRoute]:
    """The dev issuer's sign-in page and token endpoint, in dev mode only."""
    if not settings.dev_mode:
        return []
    from vmeste.platform.identity import dev_login

    return dev_login.routes(settings)
