"""The worker's heartbeat for the liveness probe, posted from where its work happens.

Every Vmeste actor is ``async``, so every job runs on dramatiq's one event-loop thread
per worker process (the worker threads hand their jobs to it and wait). The
:class:`Heartbeat` middleware runs a coroutine on that loop which, each interval, posts
whether every worker and consumer thread is still alive.

What a stale heartbeat means: the event loop has not run that coroutine for the stale
interval, so it is blocked (a job doing blocking work on it, a deadlock) or gone, and
no job can finish in this process. What it does not cover: a job that merely awaits for
long keeps the loop free; dramatiq's time limit cancels it. A thread that has exited is
a problem of its own, posted with a fresh heartbeat.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

#: Receives ``None`` (all is well) or a problem, from the worker's event loop.
Post = Callable[[str | None], None]


def thread_problem(worker: dramatiq.Worker) -> str | None:
    """Worker threads (which take jobs) or consumer threads (which fetch them from the
    broker; they reconnect by themselves while it is down) that have exited."""
    for kind, threads in (("worker", list(worker.workers)),
                          ("consumer", list(worker.consumers.values()))):
        dead = sum(1 for thread in threads if not thread.is_alive())
        if dead:
            return f"{dead} of {len(threads)} {kind} thread(s) exited"
    return None


class Heartbeat(Middleware):
    """Posts :func:`thread_problem` every ``interval`` seconds from the worker's event
    loop, from the worker's boot to its shutdown."""

    def __init__(self, post: Post, interval: float) -> None:
        self.post = post
        self.interval = interval
        self._beat: Future[None] | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop = get_event_loop_thread()
        if loop is None:
            raise RuntimeError("the heartbeat needs dramatiq's AsyncIO middleware")
        self._beat = asyncio.run_coroutine_threadsafe(self._run(worker), loop.loop)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self._beat is not None:
            self._beat.cancel()
            self._beat = None

    async def _run(self, worker: dramatiq.Worker) -> None:
        while True:
            self.post(thread_problem(worker))
            await asyncio.sleep(self.interval)


class SharedHeartbeat:
    """A child of a multi-process worker posts here (a wall-clock time in shared memory,
    written only when all is well); the parent serving the probe reads it."""

    def __init__(self, context: Any) -> None:
        self.value = context.Value("d", time.time())

    def post(self, problem: str | None) -> None:
        if problem is None:
            self.value.value = time.time()

    def age(self) -> float:
        return time.time() - float(self.value.value)


def children_check(children: Sequence[Any], heartbeats: Sequence[SharedHeartbeat],
                   stale_after: float) -> Callable[[], str | None]:
    """The parent's view of its children: exited, or silent (no good heartbeat within
    ``stale_after``: blocked, stopped, or with threads gone)."""
    def check() -> str | None:
        total = len(children)
        dead = sum(1 for child in children if child.exitcode is not None)
        if dead:
            return f"{dead} of {total} worker process(es) exited"
        silent = [beat.age() for beat in heartbeats if beat.age() > stale_after]
        if silent:
            return (f"{len(silent)} of {total} worker process(es) without a heartbeat "
                    f"for {max(silent):.0f} s")
        return None

    return check
