"""Connectors for the registry's pages: the ``connector`` strategy of a page's network,
as the region policy of the page's territory sets it, built with the page's own
credentials. The HTTP transport, the clock and the sleep are injectable, so tests run
the connectors against the local fakes in no wall-clock time; one hub per process keeps
the per-token pacing shared."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from vmeste.platform.plugins import strategy_catalog
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.publics.connectors import (
    CONNECTOR_KIND,
    Connector,
    ConnectorContext,
    Unsupported,
)
from vmeste.platform.publics.pacing import Pacer
from vmeste.platform.settings import Settings


@dataclass
class ConnectorHub:
    """Builds connectors; ``transport`` None means the network itself."""

    settings: Settings
    resolver: PolicyResolver
    transport: httpx.AsyncBaseTransport | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    env: Mapping[str, str] | None = None
    pacers: dict[str, Pacer] = field(default_factory=dict)
    timeout: float = 20.0

    @asynccontextmanager
    async def connector(self, network: str, territory_code: str,
                        credentials: str = "", ledger: MutableMapping[str, str] | None = None
                        ) -> AsyncIterator[Connector]:
        """The network's connector on the territory, its HTTP client closed after use;
        :class:`Unsupported` when its strategy is off there or no plugin offers it.
        ``ledger`` is the replies' ledger the connector keeps (a durable one, such as an
        incident reply's row, lets a retry in another process check before it posts)."""
        active = {s.plugin: s for s in await self.resolver.resolve(territory_code,
                                                                   CONNECTOR_KIND.name)}
        spec = strategy_catalog(self.resolver.pm).get((CONNECTOR_KIND.name, network))
        if network not in active or spec is None or spec.handler is None:
            raise Unsupported(f"no {network} connector on the territory")
        extra: dict[str, Any] = {} if self.env is None else {"env": self.env}
        if ledger is not None:
            extra["ledger"] = ledger
        async with httpx.AsyncClient(transport=self.transport, timeout=self.timeout) as client:
            context = ConnectorContext(settings=self.settings, client=client,
                                       clock=self.clock, sleep=self.sleep,
                                       credentials=credentials, pacers=self.pacers, **extra)
            yield spec.handler(context, active[network].settings)
