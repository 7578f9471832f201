"""Answering a scrape: what a process adds to its recorded metrics when asked, and the
text Prometheus reads.

- Recorded values come from this process's registry, or, in multi-process mode, from
  the files of every process in the directory (``prometheus_client.multiprocess``).
- Facts of the database (the outbox backlog and its oldest message, the dead letters
  waiting) are read when the scrape comes, not counted as they happen: every process
  would see the same rows, so they are no metric anyone increments. A database that
  does not answer within ``DATABASE_TIMEOUT_SECONDS`` leaves them out of the scrape.
- The connection pool is this process's own, read on the event loop that owns it.

The API renders on its event loop at each scrape. A worker or scheduler answers from
its probe thread, which must not touch the loop's connections, so there a
:class:`Sampler` on the loop reads them every interval and the scrape renders the last
sample.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from tortoise import connections

from vmeste.platform.observability import metrics
from vmeste.platform.observability.processes import forget_dead_processes
from vmeste.platform.outbox.models import DeadLetter
from vmeste.platform.outbox.relay import backlog

log = logging.getLogger("vmeste.metrics")

#: The text format every Prometheus reads (the names here need none of 1.0's escaping).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
#: How often a process of a multi-process server samples its pool for the others' scrapes.
POOL_SAMPLE_SECONDS = 5.0
#: A scrape waits this long for the database before it answers without its gauges.
DATABASE_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class DatabaseGauges:
    #: Outbox rows not yet handed to the broker.
    backlog: int
    #: Age of the oldest of them; 0 without a backlog.
    oldest_age_seconds: float
    #: Dead letters not re-driven.
    dead_letters_waiting: int

    def families(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("vmeste_outbox_backlog",
                                "Outbox messages not yet handed to the broker.", self.backlog)
        yield GaugeMetricFamily("vmeste_outbox_oldest_age_seconds",
                                "Age of the oldest outbox message not yet handed to the "
                                "broker (0 without a backlog).", self.oldest_age_seconds)
        yield GaugeMetricFamily("vmeste_dead_letters_waiting",
                                "Dead letters not re-driven.", self.dead_letters_waiting)


async def database_gauges(now: datetime | None = None) -> DatabaseGauges | None:
    """Read now; None (and a warning) when the database does not answer in time."""
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
            state = await backlog()
            waiting = await DeadLetter.filter(redriven_at__isnull=True).count()
    except Exception as error:  # the scrape still answers, without these
        log.warning("metrics: the database gauges are left out (%s)", type(error).__name__)
        return None
    oldest = state.oldest_created_at
    age = max(0.0, ((now or datetime.now(UTC)) - oldest).total_seconds()) if oldest else 0.0
    return DatabaseGauges(state.unrelayed, age, waiting)


def sample_pools() -> None:
    """Record this process's asyncpg pools (none on SQLite). Call it on the event loop
    that owns the connections: Tortoise replaces a connection asked for from another."""
    found = False
    in_use = idle = most = 0
    try:
        clients = connections.all()
    except Exception:  # the ORM is not open (yet, or any more): nothing to sample
        return
    for client in clients:
        pool = getattr(client, "_pool", None)  # Tortoise's asyncpg client keeps it there
        if isinstance(pool, asyncpg.Pool):
            found = True
            size, free = pool.get_size(), pool.get_idle_size()
            in_use += size - free
            idle += free
            most += pool.get_max_size()
    if found:
        metrics.pool_sampled(in_use, idle, most)


class _Scrape(Collector):
    """The metric families of several collectors, as one."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self.collectors = tuple(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


class _Database(Collector):
    def __init__(self, gauges: DatabaseGauges) -> None:
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        return self.gauges.families()


def render(directory: str | None, database: DatabaseGauges | None = None) -> bytes:
    """The scrape's text: the values of every process in ``directory`` (multi-process
    mode) or of this process's registry, and the database's gauges when given."""
    collectors: list[Collector]
    if directory:
        forget_dead_processes(directory)
        collectors = [MultiProcessCollector(None, path=directory)]
    else:
        collectors = [REGISTRY]
    if database is not None:
        collectors.append(_Database(database))
    return generate_latest(_Scrape(collectors))


class Sampler:
    """The pool (and, for the scheduler, the database's gauges) read on the process's
    event loop every ``interval`` seconds, for scrapes answered elsewhere: by a probe
    thread, or by another process adding up this one's pool."""

    def __init__(self, interval: float, *, database: bool) -> None:
        self.interval = interval
        self.database = database
        self.latest: DatabaseGauges | None = None

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            sample_pools()
            if self.database:
                self.latest = await database_gauges()
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)

    def render(self) -> bytes:
        return render(metrics.directory(), self.latest)
