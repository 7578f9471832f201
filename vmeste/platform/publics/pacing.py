"""Keeping to a network's request rate, and retrying what it refuses, on an injected clock.

Why not the ``limits`` library the API's budgets use: its memory storage reads the
wall clock itself, so a test could not run a second of pacing in no time, and it
answers "refused until t" where a connector must wait its turn instead. The networks
count requests per second on their side (VK: 3 a second for a user token, 20 for a
group token), so :class:`Pacer` keeps the start times of the last ``rate`` requests and
lets the next one go once the oldest is ``period`` old: a sliding window like theirs,
never more than ``rate`` in any ``period``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from vmeste.platform.publics.failures import RateLimited, TransientError

if TYPE_CHECKING:
    from vmeste.platform.publics.connectors import Post

T = TypeVar("T")


class Pacer:
    """At most ``rate`` calls start in any ``period`` seconds; callers queue in turn."""

    def __init__(self, rate: int, period: float, clock: Callable[[], float],
                 sleep: Callable[[float], Awaitable[None]]) -> None:
        self.rate, self.period = rate, period
        self.clock, self.sleep = clock, sleep
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = self.clock()
            while len(self._starts) >= self.rate:
                age = now - self._starts[0]
                if age >= self.period:
                    self._starts.popleft()
                    continue
                await self.sleep(self.period - age)
                now = self.clock()
            self._starts.append(now)


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` in all; a transient failure waits ``base_delay`` doubled each time up
    to ``max_delay``; a rate limit waits what the network says, unless that is longer
    than ``max_retry_after`` (then the call fails at once, for a person to see)."""

    attempts: int = 5
    max_retry_after: float = 300.0
    base_delay: float = 1.0
    max_delay: float = 60.0


async def with_retries(call: Callable[[], Awaitable[T]], policy: RetryPolicy,
                       sleep: Callable[[float], Awaitable[None]], *,
                       idempotent: bool = True) -> T:
    """``call`` until it answers. A rate limit is waited out for the time the network
    asked; a transient failure backs off, except an ambiguous one when the call is not
    idempotent: sending it again could do it twice, so that is the caller's to decide."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return await call()
        except RateLimited as error:
            if attempt == policy.attempts or error.retry_after > policy.max_retry_after:
                raise
            await sleep(error.retry_after)
        except TransientError as error:
            if attempt == policy.attempts or (error.ambiguous and not idempotent):
                raise
            await sleep(min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1)))
    raise AssertionError("unreachable: the last attempt returns or raises")


def oldest_first(posts: list[Post]) -> tuple[Post, ...]:
    """Networks list newest first; the pipeline stores in the order things happened."""
    return tuple(sorted(posts, key=lambda p: (p.created_at, p.post_id)))
