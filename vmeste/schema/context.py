"""Per-request state handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pluggy
from strawberry.types import ExecutionContext

from vmeste.platform.identity.principal import Principal
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.runtime import Runtime
from vmeste.platform.settings import Settings
from vmeste.platform.work_context import accepted_request_id, current_request_id
from vmeste.schema.loaders import Loaders


@dataclass
class Context:
    request: Any
    response: Any
    runtime: Runtime
    principal: Principal
    #: Built from every schema area's loader factories (see ``vmeste.schema.parts``).
    loaders: Loaders
    #: Filled by Strawberry from a WebSocket's ``connection_init`` payload.
    connection_params: dict[str, Any] | None = None
    #: Strawberry's execution of an HTTP request's operation, once it has begun (see
    #: ``VmesteSchema.create_extensions_runner``).
    execution: ExecutionContext | None = None

    @cached_property
    def request_id(self) -> str:
        """The request's id, made current by ``vmeste.platform.http.request_id``: the
        one its log lines and outbox rows carry (a fresh one for a schema run outside
        any request)."""
        return current_request_id() or accepted_request_id(None)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def plugins(self) -> pluggy.PluginManager:
        return self.runtime.plugins

    @property
    def resolver(self) -> PolicyResolver:
        return self.runtime.resolver
