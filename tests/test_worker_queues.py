"""``vmeste worker --queues``: a worker that consumes only some queues, so that a
deployment can run a group of workers per queue (the Helm chart's ``workers.groups``)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from tortoise.transactions import in_transaction

from tests.test_faults import (  # noqa: F401  (redis_broker is a fixture)
    REDIS_URL,
    Relay,
    redis_broker,
    until,
    worker_environment,
)
from tests.test_metrics import started
from tests.test_workers_cli import vmeste
from vmeste.platform.deadlines.services import CALENDAR_RECOMPUTE
from vmeste.platform.notifications.fanout import NOTIFICATION_DELIVER
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.outbox.services import emit
from vmeste.platform.runtime import build_runtime
from vmeste.platform.settings import Settings
from vmeste.workers.runner import UnknownQueues, select_queues


def test_an_unknown_queue_is_one_line_and_exit_2(db):
    result = vmeste(db, "worker", "--queues", "deliveries,delivery", VMESTE_BROKER_URL=REDIS_URL)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "vmeste: --queues: unknown queue delivery (known: calendars, deliveries, "
        "domain_events, incidents, notifications, privacy, publics)"]
    empty = vmeste(db, "worker", "--queues", " , ", VMESTE_BROKER_URL=REDIS_URL)
    assert empty.returncode == 2 and "name at least one queue" in empty.stderr


def test_queue_names_become_the_prefixed_broker_queues(db):
    topics = build_runtime(db).topics
    assert select_queues(db, topics, ()) is None
    assert select_queues(db, topics, ("domain_events", "deliveries")) == {
        f"{db.queue_prefix}.domain_events", f"{db.queue_prefix}.deliveries"}
    try:
        select_queues(db, topics, ("notifications", "nope", "also_nope"))
    except UnknownQueues as error:
        assert str(error).startswith("unknown queue also_nope, nope (known: ")
    else:
        raise AssertionError("unknown queue names were accepted")


async def _done(dedupe_key: str) -> bool:
    return await OutboxMessage.filter(dedupe_key=dedupe_key, done_at__isnull=False).exists()


@contextmanager
def worker(settings: Settings, log: Path, *options: str) -> Iterator[subprocess.Popen[bytes]]:
    """``vmeste worker`` with ``options``; stopped with SIGTERM, which must end it cleanly."""
    with started(worker_environment(settings), log, "worker", *options) as process:
        yield process


async def test_a_worker_consumes_only_its_queues(redis_broker: Settings, tmp_path: Path):  # noqa: F811
    """A multi-process worker on ``deliveries`` runs the delivery job and leaves the
    calendar job queued in Redis; a worker on ``calendars`` then runs that one, so it
    was runnable all along."""
    settings = redis_broker
    async with in_transaction() as conn:
        await emit(conn, NOTIFICATION_DELIVER, {"notification_id": 999_999}, "delivery")
        await emit(conn, CALENDAR_RECOMPUTE, {"calendar_id": 999_999}, "calendar")
    relay = Relay(settings)
    try:
        assert (await relay.scheduler.sweep_outbox()).sent == 2
    finally:
        relay.broker.close()
    client = redis.Redis.from_url(REDIS_URL)
    calendars = f"dramatiq:{settings.queue_prefix}.calendars.msgs"
    try:
        assert client.hlen(calendars) == 1
        log = tmp_path / "worker.log"
        with worker(settings, log, "--processes", "2", "--threads", "1",
                    "--queues", "deliveries"):
            await until(lambda: _done("delivery"), within=60, what="the delivery job")
            await asyncio.sleep(2)  # time enough for a consumer of calendars to take its job
        assert "1 thread(s) on redis://127.0.0.1:6379/15, deliveries" in log.read_text()
        assert not await _done("calendar")
        assert client.hlen(calendars) == 1, "the calendar job is still queued"
        with worker(settings, log, "--threads", "1", "--queues", "calendars"):
            await until(lambda: _done("calendar"), within=60, what="the calendar job")
        assert client.hlen(calendars) == 0
    finally:
        client.close()
