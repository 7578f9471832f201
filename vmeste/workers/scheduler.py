"""The periodic jobs: the outbox relay sweep, the deadline watchdog, and the purge of
outbox rows finished long ago.

Each sweep first sends rows relayed long ago and never done to the relay again (a
broker that lost its queues), then relays. Several scheduler replicas are safe: relays
claim rows with ``SKIP LOCKED``, and the watchdog is idempotent (a reminder or an
escalation is a subject's event with a dedupe key, written once however many sweeps
see it due).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

import dramatiq

from vmeste.platform.deadlines.watchdog import SweepCounts
from vmeste.platform.observability.metrics import relayed
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.outbox.relay import (
    RelayResult,
    purge_done,
    redeliver_stale,
    relay_pending,
)
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.runtime import Runtime
from vmeste.workers.jobs import message_for, queue_name

log = logging.getLogger("vmeste.scheduler")

Watchdog = Callable[[Runtime], Awaitable[SweepCounts]]


class Scheduler:
    def __init__(self, runtime: Runtime, broker: dramatiq.Broker,
                 topics: Mapping[str, Topic], watchdog: Watchdog | None = None) -> None:
        self.runtime = runtime
        self.broker = broker
        self.topics = topics
        self.watchdog = watchdog
        # The in-process broker refuses messages for queues it has not declared.
        for topic in topics.values():
            broker.declare_queue(queue_name(runtime.settings, topic))

    def send(self, row: OutboxMessage) -> None:
        self.broker.enqueue(message_for(self.runtime.settings, self.topics[row.topic], row))

    async def sweep_outbox(self) -> RelayResult:
        await redeliver_stale(self.topics.keys(), timedelta(
            seconds=self.runtime.settings.outbox_redeliver_seconds))
        result = await relay_pending(self.send, self.topics.keys(),
                                     batch_size=self.runtime.settings.relay_batch_size)
        relayed(result.sent)
        return result

    async def purge_outbox(self) -> int:
        """Drop rows finished longer ago than ``VMESTE_OUTBOX_RETENTION_DAYS``."""
        return await purge_done(timedelta(days=self.runtime.settings.outbox_retention_days))

    async def run_watchdog(self) -> SweepCounts | None:
        if self.watchdog is None:
            return None
        return await self.watchdog(self.runtime)

    async def run(self, stop: asyncio.Event, tick: Callable[[], None] | None = None) -> None:
        """Sweep until ``stop`` is set. A failed sweep (database or broker down) is
        logged and tried again at the next tick; it never ends the loop. ``tick`` is
        called after each round: the loop's heartbeat for the health probe."""
        settings = self.runtime.settings
        relay_every = settings.relay_interval_ms / 1000
        next_watchdog = time.monotonic()
        while not stop.is_set():
            await self._guarded("outbox relay", self.sweep_outbox)
            if time.monotonic() >= next_watchdog:
                await self._guarded("deadline watchdog", self.run_watchdog)
                await self._guarded("outbox retention", self.purge_outbox)
                next_watchdog = time.monotonic() + settings.watchdog_interval_seconds
            if tick is not None:
                tick()
            try:
                await asyncio.wait_for(stop.wait(), timeout=relay_every)
            except TimeoutError:
                pass

    @staticmethod
    async def _guarded(name: str, job: Callable[[], Awaitable[Any]]) -> None:
        try:
            await job()
        except Exception as error:  # the loop outlives a failing dependency
            log.warning("%s failed: %s", name, type(error).__name__)
