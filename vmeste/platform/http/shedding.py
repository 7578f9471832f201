"""Load shedding: a bounded number of requests in flight per process.

Beyond the bound a request waits a little for a slot and is then refused at once with 503,
so an overloaded process answers "later" in milliseconds instead of queueing requests
until the client's own timeout, which only makes the overload worse.
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.responses import Response
from starlette.types import Scope

from vmeste.platform.http.protocol import HttpErrorCode, json_error
from vmeste.platform.i18n import _
from vmeste.platform.observability.metrics import Refused, refused

log = logging.getLogger("vmeste.shedding")

#: The orchestrator's probes and Prometheus' scrapes must see the process as it is, never
#: a shed 503.
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
#: A shed request is cheap to repeat; a second lets the burst drain without idling clients.
RETRY_AFTER_SECONDS = "1"
#: An overload sheds thousands of requests a second: one log line per interval, not each.
LOG_EVERY_SECONDS = 10.0


def route_path(scope: Scope) -> str:
    """The path the app routes on. Served under a prefix (``uvicorn --root-path /api``),
    ASGI's ``path`` keeps it (``/api/healthz``); Starlette's router strips ``root_path``
    the same way (its private ``get_route_path``)."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root):] or "/"
    return path


class Slots:
    """The process's request slots; the edge takes one for each request but the probes'."""

    def __init__(self, max_inflight: int, wait_ms: int) -> None:
        self.slots = asyncio.Semaphore(max_inflight)
        self.wait = wait_ms / 1000
        self._shed = 0
        self._reported_at = float("-inf")

    async def acquire(self) -> bool:
        """A slot taken (release it), or False once the wait for one ran out."""
        if not self.slots.locked():
            await self.slots.acquire()
            return True
        try:
            async with asyncio.timeout(self.wait):
                await self.slots.acquire()
        except TimeoutError:
            return False
        return True

    def release(self) -> None:
        self.slots.release()

    def shed(self) -> Response:
        """The answer of a request that found no slot, counted and (now and then) logged."""
        refused(Refused.OVERLOADED)
        self._shed += 1
        now = time.monotonic()
        if now - self._reported_at >= LOG_EVERY_SECONDS:
            log.warning("overloaded: %d request(s) shed since the last report, no slot free "
                        "within %.0f ms", self._shed, self.wait * 1000)
            self._shed = 0
            self._reported_at = now
        return json_error(503, HttpErrorCode.OVERLOADED,
                          _("The server is overloaded, try again later"),
                          **{"Retry-After": RETRY_AFTER_SECONDS})
