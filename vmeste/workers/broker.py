"""The dramatiq broker named by ``VMESTE_BROKER_URL``, with the middleware every Vmeste
process needs (retries from settings, async actors with an open ORM, the current
message for ``last_attempt``, the job metrics).

Actors are declared against this broker explicitly (:func:`vmeste.workers.jobs.declare_actors`)
rather than with ``@dramatiq.actor`` at import time, which would build dramatiq's
default RabbitMQ broker as a side effect of importing the module.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import urlsplit

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from tortoise.context import TortoiseContext

from vmeste.platform.db import tortoise_config
from vmeste.platform.settings import Settings
from vmeste.workers.job_metrics import JobMetrics

T = TypeVar("T")


class AsyncDatabase(AsyncIO):
    """dramatiq's event-loop thread for ``async def`` actors, with the ORM opened on
    that loop before the first message and closed after the last.

    Tortoise keeps its state in a ContextVar; every job runs in a task whose context is
    copied from the worker thread that sent it to the loop, so :meth:`run` puts this
    worker's TortoiseContext into each job's own context."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.context: TortoiseContext | None = None

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        super().before_worker_boot(broker, worker)
        self.context = self.call(self._open())

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self.context is not None:
            self.call(self.context.close_connections())
            self.context = None
        super().after_worker_shutdown(broker, worker)

    async def _open(self) -> TortoiseContext:
        # Current while it initialises: the apps registry resolves connections through
        # the current context, which would otherwise be the booting thread's.
        with TortoiseContext() as context:
            await context.init(config=tortoise_config(self.settings))
        return context

    @staticmethod
    def call(coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the worker's event loop from any other thread."""
        thread = get_event_loop_thread()
        if thread is None:
            raise RuntimeError("the worker's event loop is not running")
        return thread.run_coroutine(coro)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` with this worker's ORM as the current Tortoise context.

        The context is entered in a throwaway copy of the job's context, so concurrent
        jobs never share the token a ``with context:`` block would keep."""
        if self.context is None:
            raise RuntimeError("the worker's database is not open")
        scope = contextvars.copy_context()
        scope.run(self.context.__enter__)
        return await asyncio.create_task(coro, context=scope)


def build_broker(settings: Settings) -> dramatiq.Broker:
    """A broker for ``settings.broker_url``: ``amqp://`` RabbitMQ (publisher confirms, so
    the relay stamps a row only once the broker has it), ``redis://`` Redis, and
    ``memory://`` dramatiq's in-process StubBroker for the embedded default."""
    middleware = [
        AgeLimit(), TimeLimit(), ShutdownNotifications(), Callbacks(), Pipelines(),
        Retries(max_retries=settings.job_max_retries, min_backoff=settings.job_min_backoff_ms,
                max_backoff=settings.job_max_backoff_ms),
        CurrentMessage(), AsyncDatabase(settings), JobMetrics(),
    ]
    scheme = urlsplit(settings.broker_url).scheme
    if scheme in ("amqp", "amqps"):
        return RabbitmqBroker(url=settings.broker_url, confirm_delivery=True,
                              middleware=middleware)
    if scheme in ("redis", "rediss"):
        return RedisBroker(url=settings.broker_url, middleware=middleware)
    return StubBroker(middleware=middleware)


def database_of(broker: dramatiq.Broker) -> AsyncDatabase:
    """The broker's :class:`AsyncDatabase` middleware."""
    for middleware in broker.middleware:
        if isinstance(middleware, AsyncDatabase):
            return middleware
    raise LookupError("the broker was not built by build_broker")
