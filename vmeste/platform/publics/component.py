"""Publics: official pages on VK, OK and Telegram, read and answered through connectors."""

from __future__ import annotations

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.i18n import N_
from vmeste.platform.publics.connectors import CONNECTOR_KIND
from vmeste.platform.publics.norms import PAGE_COMPLIANCE, PAGE_COMPLIANCE_KIND
from vmeste.platform.strategies import StrategyKind


@hookimpl
def vmeste_component() -> Component:
    return Component(
        name="publics",
        models=("vmeste.platform.publics.models",),
        path_copies=(("official_page", "territory_path"),))


@hookimpl
def vmeste_strategy_kinds() -> list[StrategyKind]:
    return [CONNECTOR_KIND, PAGE_COMPLIANCE_KIND]


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [StrategySpec(kind=PAGE_COMPLIANCE, name="standard",
                         description=N_("Three posts a week, a snapshot a day"), default=True)]
