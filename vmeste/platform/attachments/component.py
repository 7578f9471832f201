"""Attachments: photos and documents on appeals, answers, proposals and incidents.

A part other components stand on, like notifications: it imports no component. A
component whose objects take files declares them (``Component.attachment_parents``)
and calls :func:`vmeste.platform.attachments.attach.attach` in its own steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from vmeste.platform.attachments.scan import SCAN_KIND
from vmeste.platform.attachments.storage import STORAGE, STORAGE_KIND, Storages
from vmeste.platform.attachments.sweep import UnattachedSweep
from vmeste.platform.attachments.uploads import AttachmentServices
from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.plugins import strategy_catalog
from vmeste.platform.settings import Settings
from vmeste.platform.strategies import StrategyKind

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


def _services(runtime: Runtime) -> AttachmentServices:
    name = runtime.settings.attachment_storage
    # Not the resolver's catalog: reading it here would fix it before a test (or a
    # late plugin) registers more strategies.
    if (STORAGE, name) not in strategy_catalog(runtime.plugins):
        raise RuntimeError(f"VMESTE_ATTACHMENT_STORAGE: no storage strategy named {name!r} is "
                           "installed")
    return AttachmentServices(settings=runtime.settings, resolver=runtime.resolver,
                              storages=Storages(runtime.resolver, runtime.settings),
                              clock=lambda: runtime.clock())


@hookimpl
def vmeste_component() -> Component:
    return Component(name="attachments", models=("vmeste.platform.attachments.models",),
                     services=_services, deadline_kinds=(UnattachedSweep(),))


@hookimpl
def vmeste_strategy_kinds() -> list[StrategyKind]:
    return [STORAGE_KIND, SCAN_KIND]


@hookimpl
def vmeste_http_routes(settings: Settings) -> list[BaseRoute]:
    """``POST /attachments`` and the signed downloads ``/attachments/{id}/…``."""
    from vmeste.platform.attachments import http

    return http.routes(settings)
