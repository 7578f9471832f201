"""Publics: official pages on VK, OK and Telegram, read and answered through connectors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.i18n import N_
from vmeste.platform.publics.connectors import CONNECTOR_KIND
from vmeste.platform.publics.hub import ConnectorHub
from vmeste.platform.publics.norms import PAGE_COMPLIANCE, PAGE_COMPLIANCE_KIND
from vmeste.platform.publics.services import SNAPSHOT_JOB, PublicsServices, SnapshotClock
from vmeste.platform.settings import Settings
from vmeste.platform.strategies import StrategyKind

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


def _services(runtime: Runtime) -> PublicsServices:
    return PublicsServices(hub=ConnectorHub(runtime.settings, runtime.resolver),
                           resolver=runtime.resolver, clock=lambda: runtime.clock())


async def _demo(runtime: Runtime) -> str:
    from vmeste.platform.publics.demo import load_demo_pages

    return await load_demo_pages(runtime.service(PublicsServices))


@hookimpl
def vmeste_component() -> Component:
    return Component(
        name="publics",
        models=("vmeste.platform.publics.models",),
        topics=(SNAPSHOT_JOB,), services=_services, deadline_kinds=(SnapshotClock(),),
        demo=_demo,
        path_copies=(("official_page", "territory_path"),))


@hookimpl
def vmeste_strategy_kinds() -> list[StrategyKind]:
    return [CONNECTOR_KIND, PAGE_COMPLIANCE_KIND]


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [StrategySpec(kind=PAGE_COMPLIANCE, name="standard",
                         description=N_("Three posts a week, a snapshot a day"), default=True)]


@hookimpl
def vmeste_http_routes(settings: Settings) -> list[BaseRoute]:
    """``/publics/compliance.csv``: the shares as CSV."""
    from vmeste.platform.publics import downloads

    return downloads.routes()
