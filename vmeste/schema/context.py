"""Per-request state handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pluggy

from vmeste.platform.identity.principal import Principal
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.settings import Settings
from vmeste.schema.loaders import Loaders


@dataclass
class Context:
    request: Any
    response: Any
    settings: Settings
    plugins: pluggy.PluginManager
    resolver: PolicyResolver
    principal: Principal
    loaders: Loaders = field(default_factory=Loaders)
    #: Filled by Strawberry from a WebSocket's ``connection_init`` payload.
    connection_params: dict[str, Any] | None = None


