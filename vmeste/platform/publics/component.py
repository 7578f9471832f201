"""Publics: official pages on VK, OK and Telegram, read and answered through connectors."""

from __future__ import annotations

from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.publics.connectors import CONNECTOR_KIND
from vmeste.platform.strategies import StrategyKind


@hookimpl
def vmeste_strategy_kinds() -> list[StrategyKind]:
    return [CONNECTOR_KIND]
