"""Running workers: ``vmeste worker`` processes, and the embedded worker and scheduler
inside the API process when the broker is ``memory://``."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import threading
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker

from vmeste.platform.deadlines.watchdog import run_watchdog
from vmeste.platform.outbox.relay import unrelay_unfinished
from vmeste.platform.runtime import Runtime, build_runtime
from vmeste.platform.settings import Settings
from vmeste.workers.broker import build_broker
from vmeste.workers.health import Check, broker_check, health_probe, watch_database
from vmeste.workers.jobs import declare_actors
from vmeste.workers.scheduler import Scheduler
from vmeste.workers.topics import default_topics

log = logging.getLogger("vmeste.workers")

#: How long a stopping worker waits for the jobs it is running (milliseconds).
SHUTDOWN_TIMEOUT_MS = 30_000


def start_worker(runtime: Runtime, broker: dramatiq.Broker, threads: int) -> dramatiq.Worker:
    declare_actors(broker, runtime, default_topics())
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    return worker


def run_worker(settings: Settings, threads: int, *, probe: bool = True) -> None:
    """One worker process until SIGTERM or SIGINT; the jobs in hand finish first (a
    job cut short by a kill is redelivered by the broker and deduplicated). ``probe``
    serves the health probe (off in the children of a multi-process worker, whose
    parent serves it)."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    broker = build_broker(settings)
    worker = start_worker(build_runtime(settings), broker, threads)
    try:
        if probe:
            with health_probe(settings, {"broker": broker_check(settings)}):
                stop.wait()
        else:
            stop.wait()
    finally:
        worker.stop(timeout=SHUTDOWN_TIMEOUT_MS)
        broker.close()


def _children_alive(children: list[Any]) -> Check:
    def check() -> str | None:
        dead = sum(1 for child in children if not child.is_alive())
        return f"{dead} of {len(children)} worker process(es) exited" if dead else None

    return check


def run_workers(settings: Settings, processes: int, threads: int) -> None:
    """``processes`` worker processes (spawned, each with its own broker connections and
    database pool); SIGTERM or SIGINT stops them all gracefully. The parent serves the
    health probe: the broker, and whether every child still runs."""
    if processes == 1:
        run_worker(settings, threads)
        return
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=run_worker, args=(settings, threads),
                                kwargs={"probe": False})
                for _ in range(processes)]
    for child in children:
        child.start()

    def forward(signum: int, _: Any) -> None:
        for child in children:
            if child.pid is not None and child.is_alive():
                child.terminate()

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    with health_probe(settings, {"broker": broker_check(settings),
                                 "workers": _children_alive(children)}):
        for child in children:
            child.join()


async def run_scheduler(settings: Settings) -> None:
    """The scheduler loop until SIGTERM or SIGINT (the ORM must be open), with the
    health probe (broker and database)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runtime = build_runtime(settings)
    broker = build_broker(settings)
    topics = default_topics()
    declare_actors(broker, runtime, topics)
    try:
        with health_probe(settings, {"broker": broker_check(settings)},
                          expect=("database",)) as state:
            database = asyncio.create_task(watch_database(state, settings, stop))
            try:
                await Scheduler(runtime, broker, topics, run_watchdog).run(stop)
            finally:
                stop.set()
                await database
    finally:
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
        topics = default_topics()
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
