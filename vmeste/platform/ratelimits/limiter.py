"""Request budgets kept by the ``limits`` library.

Counters live in this process's memory by default; with
``VMESTE_RATE_LIMIT_STORAGE_URL=redis://…`` every API process shares them, so a client
cannot multiply its budget by the number of pods. The sliding-window counter strategy
keeps two counters per key whatever the budget, unlike a moving window's log of hits.

When the shared storage is unreachable the request is let through and a warning
logged: a cache outage must not take the whole API down with it.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from enum import StrEnum

import limits
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from vmeste.platform.errors import ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.observability.metrics import Refused, refused
from vmeste.platform.settings import Settings

log = logging.getLogger("vmeste.ratelimits")

#: A shared counter store that does not answer within this gives way (seconds).
STORAGE_TIMEOUT_SECONDS = 0.5
#: During an outage of the counter store, one warning per this many seconds.
WARN_EVERY_SECONDS = 60.0


class Budget(StrEnum):
    ANONYMOUS = "anonymous"
    READS = "reads"
    MUTATIONS = "mutations"
    AUTH_FAILURES = "auth_failures"


@dataclass(frozen=True)
class Refusal:
    budget: Budget
    retry_after: int

    @property
    def message(self) -> str:
        return _("Too many requests: try again in {seconds} s", seconds=self.retry_after)

    @property
    def reason(self) -> str:
        """Its ``vmeste_refusals_total`` reason."""
        if self.budget is Budget.AUTH_FAILURES:
            return Refused.AUTH_FAILURES.value
        return f"rate_limit_{self.budget.value}"

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": ErrorCode.RATE_LIMITED.value, "retryAfter": self.retry_after,
                "budget": self.budget.value}


def _storage(url: str) -> Storage:
    if not url or url.startswith("memory"):
        return MemoryStorage()
    storage = storage_from_string(
        f"async+{url}", implementation="redispy", wrap_exceptions=True,
        socket_timeout=STORAGE_TIMEOUT_SECONDS, socket_connect_timeout=STORAGE_TIMEOUT_SECONDS)
    assert isinstance(storage, Storage)
    return storage


class RequestLimiter:
    """Spends a key's budget and says, when it is used up, how long to wait."""

    def __init__(self, settings: Settings) -> None:
        self.items = {
            Budget.ANONYMOUS: limits.parse(settings.rate_limit_anonymous),
            Budget.READS: limits.parse(settings.rate_limit_reads),
            Budget.MUTATIONS: limits.parse(settings.rate_limit_mutations),
            Budget.AUTH_FAILURES: limits.parse(settings.rate_limit_auth_failures),
        }
        self.storage = _storage(settings.rate_limit_storage_url)
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)
        # Environments sharing one Redis keep separate counters.
        self.namespace = settings.queue_prefix
        self._warned_at = -WARN_EVERY_SECONDS

    async def spend(self, budget: Budget, key: str, units: int = 1) -> Refusal | None:
        """Spends ``units``; a refusal when fewer were left (nothing is spent then)."""
        return await self._ask(budget, key, spend=True, units=units)

    async def exhausted(self, budget: Budget, key: str) -> Refusal | None:
        """A refusal when spending one more unit would be refused; spends nothing. The
        request asking is refused then, and counted so."""
        refusal = await self._ask(budget, key, spend=False)
        if refusal is not None:
            refused(refusal.reason)
        return refusal

    async def _ask(self, budget: Budget, key: str, *, spend: bool, units: int = 1
                   ) -> Refusal | None:
        item = self.items[budget]
        ids = (self.namespace, budget.value, key)
        try:
            allowed = await (self.strategy.hit(item, *ids, cost=units) if spend
                             else self.strategy.test(item, *ids))
            if allowed:
                return None
            stats = await self.strategy.get_window_stats(item, *ids)
        except StorageError as error:
            now = time.monotonic()
            if now - self._warned_at >= WARN_EVERY_SECONDS:
                self._warned_at = now
                log.warning("rate limit storage unavailable, letting requests through: %s",
                            type(error.storage_error).__name__)
            return None
        wait = math.ceil(stats.reset_time - time.time())
        return Refusal(budget, max(1, min(wait, item.get_expiry())))
