"""Per-request state handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pluggy

from vmeste.platform.appeals.router import Router
from vmeste.platform.appeals.routing import RoutingTable
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.identity.principal import Principal
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.runtime import Runtime
from vmeste.platform.settings import Settings
from vmeste.schema.loaders import Loaders


@dataclass
class Context:
    request: Any
    response: Any
    runtime: Runtime
    principal: Principal
    loaders: Loaders = field(default_factory=Loaders)
    #: Filled by Strawberry from a WebSocket's ``connection_init`` payload.
    connection_params: dict[str, Any] | None = None

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def plugins(self) -> pluggy.PluginManager:
        return self.runtime.plugins

    @property
    def resolver(self) -> PolicyResolver:
        return self.runtime.resolver

    @property
    def routing_table(self) -> RoutingTable:
        return self.runtime.routing_table

    @property
    def router(self) -> Router:
        return self.runtime.router

    @property
    def appeals(self) -> AppealServices:
        return self.runtime.appeals


