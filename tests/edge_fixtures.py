"""The platform's edge around a bare ASGI app: its guards tested without a schema or a
database (a request without a token never looks a user up)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.types import ASGIApp

from vmeste.platform.http.edge import Edge
from vmeste.platform.identity.authenticate import Authenticator
from vmeste.platform.plugins import build_plugin_manager
from vmeste.platform.settings import load_settings


def edge_around(app: ASGIApp, **settings: Any) -> Edge:
    chosen = replace(load_settings({}), **settings)
    authenticator = Authenticator(chosen, build_plugin_manager(chosen), cache_seconds=0)
    return Edge(app, settings=chosen, authenticator=authenticator)
