"""Running workers: ``vmeste worker`` processes, and the embedded worker and scheduler
inside the API process when the broker is ``memory://``."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Collection, Mapping
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker

from vmeste.platform.deadlines.watchdog import run_watchdog
from vmeste.platform.observability import metrics
from vmeste.platform.observability.exposition import Sampler, render
from vmeste.platform.observability.logs import observe_process
from vmeste.platform.observability.processes import process_ended
from vmeste.platform.outbox.relay import unrelay_unfinished
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.runtime import Runtime, build_runtime
from vmeste.platform.settings import Settings
from vmeste.workers.broker import build_broker
from vmeste.workers.health import broker_check, health_probe, stale_after, watch_database
from vmeste.workers.heartbeat import Heartbeat, Post, SharedHeartbeat, children_check
from vmeste.workers.jobs import declare_actors, queue_name
from vmeste.workers.scheduler import Scheduler

log = logging.getLogger("vmeste.workers")

#: How long a stopping worker waits for the jobs it is running (milliseconds).
SHUTDOWN_TIMEOUT_MS = 30_000


class UnknownQueues(ValueError):
    """Queue names that no topic of this installation is sent to."""


def select_queues(settings: Settings, topics: Mapping[str, Topic], names: Collection[str]
                  ) -> frozenset[str] | None:
    """The broker queues a worker asked for ``names`` (short names, as topics declare
    them: ``deliveries``) consumes; ``None`` (every queue) when no names are given. A
    misspelt name is refused rather than ignored: a worker consuming nothing would
    look healthy while its queue grows."""
    if not names:
        return None
    known = {topic.queue for topic in topics.values()}
    unknown = sorted(set(names) - known)
    if unknown:
        raise UnknownQueues(f"unknown queue {', '.join(unknown)} (known: "
                            f"{', '.join(sorted(known))})")
    return frozenset(queue_name(settings, topic) for topic in topics.values()
                     if topic.queue in names)


def start_worker(runtime: Runtime, broker: dramatiq.Broker, threads: int,
                 heartbeat: Heartbeat | None = None,
                 queues: frozenset[str] | None = None) -> dramatiq.Worker:
    """A started worker consuming ``queues`` (broker names; ``None``: all). Every actor
    is declared whichever queues it consumes, so its jobs can still be sent (a job's
    retry, a follow-up job on another queue)."""
    declare_actors(broker, runtime, runtime.topics)
    if heartbeat is not None:
        broker.add_middleware(heartbeat)
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100,
                             queues=set(queues) if queues is not None else None)
    worker.start()
    return worker


def run_worker(settings: Settings, threads: int, parent: SharedHeartbeat | None = None,
               queues: frozenset[str] | None = None) -> None:
    """One worker process until SIGTERM or SIGINT, consuming ``queues`` (``None``: all);
    the jobs in hand finish first (a job cut short by a kill is redelivered by the
    broker and deduplicated). It serves the health probe itself, unless it is the child
    of a multi-process worker: then its heartbeat goes to the ``parent``, which serves
    the probe."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if parent is not None:
        # A spawned child starts from a fresh interpreter: the parent's logging and
        # tracing (already checked by ``vmeste worker``) are set up again here.
        observe_process(settings, "worker")
        _work(settings, threads, parent.post, stop, queues)
        return
    with health_probe(settings, {"broker": broker_check(settings)}, expect=("worker",),
                      dependencies=("broker",),
                      scrape=lambda: render(metrics.directory())) as state:
        _work(settings, threads, lambda problem: state.report("worker", problem), stop,
              queues)


def _work(settings: Settings, threads: int, post: Post, stop: threading.Event,
          queues: frozenset[str] | None) -> None:
    broker = build_broker(settings)
    worker = start_worker(build_runtime(settings), broker, threads,
                          Heartbeat(post, settings.health_interval_seconds), queues)
    try:
        stop.wait()
    finally:
        worker.stop(timeout=SHUTDOWN_TIMEOUT_MS)
        broker.close()


def run_workers(settings: Settings, processes: int, threads: int,
                queues: frozenset[str] | None = None) -> None:
    """``processes`` worker processes (spawned, each with its own broker connections and
    database pool) consuming ``queues`` (``None``: all); SIGTERM or SIGINT stops them
    all gracefully. The parent serves the health probe: the broker, and whether every
    child runs and sends its heartbeat; and the metrics of every child, from the
    directory the command gave them (``PROMETHEUS_MULTIPROC_DIR``, see
    :mod:`vmeste.platform.observability.processes`)."""
    if processes == 1:
        run_worker(settings, threads, queues=queues)
        return
    directory = os.environ.get(metrics.MULTIPROC_ENV)
    context = multiprocessing.get_context("spawn")
    heartbeats = [SharedHeartbeat(context) for _ in range(processes)]
    children = [context.Process(target=run_worker, args=(settings, threads, heartbeat, queues))
                for heartbeat in heartbeats]

    def forward(signum: int, _: Any) -> None:
        for child in children:
            if child.pid is not None and child.is_alive():
                child.terminate()

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    with health_probe(settings, {"broker": broker_check(settings),
                                 "workers": children_check(children, heartbeats,
                                                           stale_after(settings))},
                      dependencies=("broker",), scrape=lambda: render(directory)):
        for child in children:
            child.start()
        for child in children:
            child.join()
            if child.pid is not None:
                process_ended(child.pid, directory)


async def run_scheduler(settings: Settings) -> None:
    """The scheduler loop until SIGTERM or SIGINT (the ORM must be open), with the
    health probe: its event loop and sweeps, the broker and the database."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # The scheduler owns the outbox's gauges: sampled on its loop, scraped from the probe.
    sampler = Sampler(settings.health_interval_seconds, database=True)
    with health_probe(settings, {"broker": broker_check(settings)},
                      expect=("database", "event loop", "scheduler"),
                      dependencies=("broker", "database", "scheduler"),
                      scrape=sampler.render) as state:
        runtime = build_runtime(settings)
        broker = build_broker(settings)
        topics = runtime.topics
        declare_actors(broker, runtime, topics)
        watched = [asyncio.create_task(watch_database(state, settings, stop))]
        if settings.metrics:
            watched.append(asyncio.create_task(sampler.run(stop)))
        try:
            await Scheduler(runtime, broker, topics, run_watchdog).run(
                stop, tick=lambda: state.report("scheduler", None))
        finally:
            stop.set()
            await asyncio.gather(*watched)
            broker.close()


class EmbeddedWorkers:
    """The worker (threads on the in-process broker, with their own event loop and
    database connection) and the scheduler loop (a task on the API's loop), started
    and stopped with the app."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.broker = build_broker(runtime.settings)
        self.worker: dramatiq.Worker | None = None
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        topics = self.runtime.topics
        if isinstance(self.broker, StubBroker):
            # Whatever the last process's in-memory broker held (queued, or waiting for
            # a retry's backoff) died with it: relay it again (consumers deduplicate).
            lost = await unrelay_unfinished(topics.keys())
            if lost:
                log.info("relaying %d job(s) the previous in-process broker held", lost)
        self.worker = await asyncio.to_thread(
            start_worker, self.runtime, self.broker, self.runtime.settings.worker_threads)
        scheduler = Scheduler(self.runtime, self.broker, topics, run_watchdog)
        self.task = asyncio.create_task(scheduler.run(self.stop_event))

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            await self.task
        if self.worker is not None:
            await asyncio.to_thread(self.worker.stop, SHUTDOWN_TIMEOUT_MS)
        self.broker.close()
