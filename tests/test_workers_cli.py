"""``vmeste worker``, ``vmeste scheduler`` and ``vmeste dead-letters`` as an operator
runs them, and the scheduler loop itself."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tortoise.transactions import in_transaction

from tests.test_faults import REDIS_URL, require_service, until
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.deadlines.watchdog import run_watchdog
from vmeste.platform.outbox.models import DeadLetter, OutboxMessage
from vmeste.platform.outbox.services import emit
from vmeste.platform.runtime import Runtime, build_runtime
from vmeste.platform.settings import Settings
from vmeste.workers.broker import build_broker
from vmeste.workers.deadletters import MAX_REDRIVE
from vmeste.workers.scheduler import Scheduler
from vmeste.workers.topics import NOTIFICATION_DELIVER, default_topics


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    env.update(VMESTE_DATABASE_URL=settings.database_url, VMESTE_DATA_DIR=str(settings.data_dir),
               **extra)
    return env


def vmeste(settings: Settings, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vmeste", *args], capture_output=True,
                          text=True, env=environment(settings, **extra), timeout=120)


def start_scheduler(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "vmeste", "scheduler"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


async def _letters(count: int) -> list[DeadLetter]:
    return [await DeadLetter.create(actor="vmeste.deliver", queue="vmeste.deliveries",
                                    message_id=f"m{n}", kwargs={"notification_id": 10 + n},
                                    error="DeliveryError: SMTP: ответ 451", attempts=9)
            for n in range(count)]


def test_worker_and_scheduler_refuse_the_in_process_broker(db):
    for command in ("worker", "scheduler"):
        result = vmeste(db, command)
        assert result.returncode == 2
        assert "memory://" in result.stderr and "serve" in result.stderr
    zero = vmeste(db, "worker", "--processes", "0", VMESTE_BROKER_URL=REDIS_URL)
    assert zero.returncode == 2 and "--processes" in zero.stderr


async def test_dead_letters_are_listed_and_redriven_from_the_command_line(db):
    first, second, third = await _letters(3)
    listed = await asyncio.to_thread(vmeste, db, "dead-letters", "list")
    assert listed.returncode == 0, listed.stderr
    assert "3 dead letter(s)" in listed.stdout and "SMTP: ответ 451" in listed.stdout
    one = await asyncio.to_thread(vmeste, db, "dead-letters", "redrive", str(first.id))
    assert one.returncode == 0, one.stderr
    rest = await asyncio.to_thread(vmeste, db, "dead-letters", "redrive", "--all")
    assert rest.returncode == 0 and "re-driven 2" in rest.stdout
    assert sorted(await OutboxMessage.all().values_list("dedupe_key", flat=True)) == sorted(
        f"redrive:{d.id}" for d in (first, second, third))
    assert await AuditEvent.filter(action="dead_letter.redrive", actor="system").count() == 3
    again = await asyncio.to_thread(vmeste, db, "dead-letters", "redrive", str(first.id))
    assert again.returncode == 1 and "CONFLICT" in again.stderr
    waiting = await asyncio.to_thread(vmeste, db, "dead-letters", "list", "--json")
    assert json.loads(waiting.stdout) == []
    everything = await asyncio.to_thread(vmeste, db, "dead-letters", "list", "--all", "--json")
    assert [row["redriven_by"] for row in json.loads(everything.stdout)] == ["system"] * 3
    usage = await asyncio.to_thread(vmeste, db, "dead-letters", "redrive")
    assert usage.returncode == 2


async def test_the_scheduler_process_relays_and_stops_on_sigterm(db, tmp_path: Path):
    require_service(REDIS_URL, 6379)
    async with in_transaction() as conn:
        await emit(conn, NOTIFICATION_DELIVER, {"notification_id": 1}, "n1")
    prefix = f"vt{os.getpid()}cli"
    process = start_scheduler(environment(db, VMESTE_BROKER_URL=REDIS_URL,
                                          VMESTE_QUEUE_PREFIX=prefix,
                                          VMESTE_RELAY_INTERVAL_MS="50"))
    try:
        await until(lambda: OutboxMessage.filter(relayed_at__isnull=False).exists(),
                    what="the scheduler's relay")
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    broker = build_broker(replace(db, broker_url=REDIS_URL))
    client = broker.client
    keys = list(client.scan_iter(f"dramatiq:{prefix}.*"))
    assert keys, "the job is in Redis"
    client.delete(*keys)
    broker.close()


async def test_the_scheduler_loop_sweeps_and_runs_the_watchdog_until_stopped(db):
    settings = replace(db, relay_interval_ms=20, watchdog_interval_seconds=3600)
    calls: list[Runtime] = []

    async def watchdog(runtime: Runtime) -> dict[str, int]:
        calls.append(runtime)
        return await run_watchdog(runtime)

    runtime = build_runtime(settings)
    broker = build_broker(settings)
    scheduler = Scheduler(runtime, broker, default_topics(), watchdog)
    stop = asyncio.Event()
    async with in_transaction() as conn:
        await emit(conn, NOTIFICATION_DELIVER, {"notification_id": 1}, "n1")
        await emit(conn, NOTIFICATION_DELIVER, {"notification_id": 2}, "old")
    await OutboxMessage.filter(dedupe_key="old").update(
        relayed_at=datetime.now(UTC) - timedelta(days=30),
        done_at=datetime.now(UTC) - timedelta(days=30))
    task = asyncio.create_task(scheduler.run(stop))
    await until(lambda: OutboxMessage.filter(relayed_at__isnull=False,
                                             dedupe_key="n1").exists(), what="the sweep")
    stop.set()
    await asyncio.wait_for(task, 10)
    assert calls == [runtime]  # once at start, then not again within the hour
    assert not await OutboxMessage.filter(dedupe_key="old").exists(), "purged on the tick"
    assert broker.queues  # the in-process broker holds the job


async def test_redrive_all_goes_in_chunks_and_bad_ids_are_a_usage_error(db):
    await DeadLetter.bulk_create([
        DeadLetter(actor="vmeste.deliver", queue="vmeste.deliveries", message_id=f"m{n}",
                   kwargs={"notification_id": n}, attempts=9)
        for n in range(MAX_REDRIVE + 20)])
    done = await asyncio.to_thread(vmeste, db, "dead-letters", "redrive", "--all")
    assert done.returncode == 0, done.stderr
    assert f"re-driven {MAX_REDRIVE + 20} dead letter(s)" in done.stdout
    assert await OutboxMessage.all().count() == MAX_REDRIVE + 20
    assert not await DeadLetter.filter(redriven_at__isnull=True).exists()
    bad = await asyncio.to_thread(vmeste, db, "dead-letters", "redrive", "abc")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "invalid int value" in bad.stderr
