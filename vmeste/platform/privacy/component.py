"""Data rights: citizens' exports, erasures and the retention sweep (152-ФЗ)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.privacy.erasure import ERASURE_EXECUTE, DueErasures, execute
from vmeste.platform.privacy.exports import EXPORT_BUILD, ExpiredExports, build, fail
from vmeste.platform.privacy.personal_data import PRIVACY_DATA
from vmeste.platform.privacy.retention import RetentionKind
from vmeste.platform.settings import Settings

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


async def _build(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> bool:
    export_id = int(payload["export_id"])
    try:
        return await build(runtime, export_id)
    except Exception:
        if last_attempt:
            await fail(export_id)
        raise


async def _execute(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> str:
    return await execute(runtime, int(payload["request_id"]))


async def _national(payload: dict[str, Any]) -> str:
    """A person's data rights belong to no territory."""
    return ""


@hookimpl
def vmeste_component() -> Component:
    return Component(
        name="privacy", models=("vmeste.platform.privacy.models",),
        topics=(Topic(EXPORT_BUILD, "vmeste.build_data_export", "privacy", _build, _national),
                Topic(ERASURE_EXECUTE, "vmeste.execute_erasure", "privacy", _execute,
                      _national)),
        deadline_kinds=(DueErasures(), ExpiredExports(), RetentionKind()),
        personal_data=(PRIVACY_DATA,))


@hookimpl
def vmeste_http_routes(settings: Settings) -> list[BaseRoute]:
    """Export archives through their signed links."""
    from vmeste.platform.privacy import http

    return http.routes(settings)
