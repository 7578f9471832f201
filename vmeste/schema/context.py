"""Per-request state handed to every resolver."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pluggy
from strawberry.types import ExecutionContext

from vmeste.platform.identity.principal import Principal
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.runtime import Runtime
from vmeste.platform.settings import Settings
from vmeste.schema.loaders import Loaders

#: What an incoming ``X-Request-Id`` may look like to be reused (a proxy's id ties our
#: log line to its own); anything else could smuggle text into the logs.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def request_id(request: Any) -> str:
    """The caller's ``X-Request-Id`` when well-formed, else a fresh one: the id a user
    quotes from a masked error and an operator finds in the log."""
    headers = getattr(request, "headers", None)
    incoming = headers.get("x-request-id", "") if headers is not None else ""
    return incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


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
        """Made when an error first needs it: most requests have none to quote."""
        return request_id(self.request)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def plugins(self) -> pluggy.PluginManager:
        return self.runtime.plugins

    @property
    def resolver(self) -> PolicyResolver:
        return self.runtime.resolver
