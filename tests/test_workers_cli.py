"""``vmeste worker``, ``vmeste scheduler`` and ``vmeste dead-letters`` as an operator
runs them, and the scheduler loop itself."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from dramatiq.asyncio import get_event_loop_thread
from tortoise import connections
from tortoise.transactions import in_transaction

from tests.test_faults import REDIS_URL, require_service, until, without_installed_plugins
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.deadlines.watchdog import SweepCounts, run_watchdog
from vmeste.platform.notifications.fanout import NOTIFICATION_DELIVER
from vmeste.platform.outbox.deadletters import MAX_REDRIVE
from vmeste.platform.outbox.models import DeadLetter, OutboxMessage
from vmeste.platform.outbox.services import emit
from vmeste.platform.runtime import Runtime, build_runtime
from vmeste.platform.settings import Settings
from vmeste.workers.broker import build_broker
from vmeste.workers.health import HealthState, watch_database
from vmeste.workers.heartbeat import Heartbeat
from vmeste.workers.runner import start_worker
from vmeste.workers.scheduler import Scheduler


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The commands' environment: the test's database and none of the third-party
    plugins installed beside the platform (an example's startup check, a missing token
    say, is not what these tests are about)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    env.update(VMESTE_DATABASE_URL=settings.database_url, VMESTE_DATA_DIR=str(settings.data_dir),
               **without_installed_plugins(), **extra)
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

    async def watchdog(runtime: Runtime) -> SweepCounts:
        calls.append(runtime)
        return await run_watchdog(runtime)

    runtime = build_runtime(settings)
    broker = build_broker(settings)
    scheduler = Scheduler(runtime, broker, runtime.topics, watchdog)
    stop = asyncio.Event()
    async with in_transaction() as conn:
        await emit(conn, NOTIFICATION_DELIVER, {"notification_id": 1}, "n1")
        await emit(conn, NOTIFICATION_DELIVER, {"notification_id": 2}, "old")
    await OutboxMessage.filter(dedupe_key="old").update(
        relayed_at=datetime.now(UTC) - timedelta(days=30),
        done_at=datetime.now(UTC) - timedelta(days=30))
    ticks: list[float] = []
    task = asyncio.create_task(scheduler.run(stop, tick=lambda: ticks.append(time.monotonic())))
    await until(lambda: OutboxMessage.filter(relayed_at__isnull=False,
                                             dedupe_key="n1").exists(), what="the sweep")

    async def ticked_again() -> bool:
        return len(ticks) >= 2

    await until(ticked_again, what="the loop's heartbeat after each round")
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


# --- health probes -------------------------------------------------------------------------


CLOSED_BROKER = "redis://127.0.0.1:1/0"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def probe_until(port: int, healthz: int, readyz: int, within: float = 45.0
                ) -> dict[str, dict]:
    """Both probe documents once they answer ``healthz`` and ``readyz`` after every first
    check is in (the process may still be starting)."""
    deadline = time.monotonic() + within
    wanted = {"/healthz": healthz, "/readyz": readyz}
    last: object = None
    while time.monotonic() < deadline:
        try:
            answers = {path: httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2)
                       for path in wanted}
        except httpx.TransportError as error:
            last = error
        else:
            if all(answer.status_code == wanted[path] and "not checked yet" not in answer.text
                   for path, answer in answers.items()):
                return {path: answer.json() for path, answer in answers.items()}
            last = {path: answer.text for path, answer in answers.items()}
        time.sleep(0.2)
    raise AssertionError(f"no {wanted} from the probe on {port}: {last}")


@contextmanager
def running(settings: Settings, *command: str, **extra: str
            ) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``vmeste <command>`` with its health probe on a free port; stopped with SIGTERM."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "vmeste", *command], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env=environment(
            settings, VMESTE_HEALTH_PORT=str(port), VMESTE_HEALTH_INTERVAL_SECONDS="1",
            VMESTE_QUEUE_PREFIX=f"vt{os.getpid()}hp", **extra))
    try:
        yield port, process
        process.send_signal(signal.SIGTERM)
        assert process.wait(45) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


HEALTHY = {"status": "ok"}
BROKER_DOWN = "broker: unreachable (ConnectionError)"


def test_the_worker_probe_is_healthy_with_its_broker_and_not_without(db):
    """Not ready while the broker is down; alive until it has been down for the grace."""
    require_service(REDIS_URL, 6379)
    with running(db, "worker", VMESTE_BROKER_URL=REDIS_URL) as (port, _):
        assert probe_until(port, 200, 200) == {"/healthz": HEALTHY, "/readyz": HEALTHY}
    with running(db, "worker", VMESTE_BROKER_URL=CLOSED_BROKER) as (port, _):
        answers = probe_until(port, healthz=200, readyz=503)
        assert answers["/readyz"] == {"status": "unavailable", "problems": [BROKER_DOWN]}
    with running(db, "worker", VMESTE_BROKER_URL=CLOSED_BROKER,
                 VMESTE_HEALTH_DEPENDENCY_GRACE_SECONDS="2") as (port, _):
        [problem] = probe_until(port, healthz=503, readyz=503)["/healthz"]["problems"]
        assert re.fullmatch(rf"{re.escape(BROKER_DOWN)}; down for \d+ s", problem), problem


def worker_children(parent: subprocess.Popen[bytes]) -> list[int]:
    return [int(child) for child in
            Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split()
            # not multiprocessing's resource tracker
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


def test_a_multi_process_worker_is_probed_in_its_parent(db):
    """A child that stops (here: SIGSTOP, as a deadlock would) sends no heartbeat, and
    the parent's liveness probe says so; one that exits too."""
    require_service(REDIS_URL, 6379)
    with running(db, "worker", "--processes", "2", "--threads", "1",
                 VMESTE_BROKER_URL=REDIS_URL) as (port, parent):
        probe_until(port, 200, 200)
        first, second = worker_children(parent)
        os.kill(first, signal.SIGSTOP)
        try:
            # On a loaded machine the running child may miss a beat too (the reports
            # go stale after four seconds here): wait for the state that names one.
            deadline = time.monotonic() + 45
            while True:
                [problem] = probe_until(port, 503, 503)["/healthz"]["problems"]
                if problem.startswith("workers: 1 of 2") or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        finally:
            os.kill(first, signal.SIGCONT)
        assert re.fullmatch(r"workers: 1 of 2 worker process\(es\) without a heartbeat "
                            r"for \d+ s", problem), problem
        probe_until(port, 200, 200)
        os.kill(second, signal.SIGKILL)
        assert probe_until(port, 503, 503)["/healthz"]["problems"] == [
            "workers: 1 of 2 worker process(es) exited"]


def test_the_scheduler_probe_follows_the_broker_and_the_database(db):
    require_service(REDIS_URL, 6379)
    with running(db, "scheduler", VMESTE_BROKER_URL=REDIS_URL) as (port, _):
        assert probe_until(port, 200, 200) == {"/healthz": HEALTHY, "/readyz": HEALTHY}
    with running(db, "scheduler", VMESTE_BROKER_URL=CLOSED_BROKER,
                 VMESTE_HEALTH_DEPENDENCY_GRACE_SECONDS="3") as (port, _):
        assert probe_until(port, healthz=200, readyz=503)["/readyz"]["problems"] == [
            BROKER_DOWN]
        [problem] = probe_until(port, healthz=503, readyz=503)["/healthz"]["problems"]
        assert problem.startswith(f"{BROKER_DOWN}; down for "), problem


def test_a_health_port_in_use_is_one_line_and_exit_2(db):
    require_service(REDIS_URL, 6379)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for command in ("worker", "scheduler"):
            result = vmeste(db, command, VMESTE_BROKER_URL=REDIS_URL,
                            VMESTE_HEALTH_PORT=str(port), VMESTE_HEALTH_HOST="127.0.0.1")
            assert result.returncode == 2, result.stderr
            assert "Traceback" not in result.stderr
            assert result.stderr.strip().splitlines()[-1] == (
                f"vmeste: VMESTE_HEALTH_PORT {port} on 127.0.0.1: Address already in use")


def test_the_scheduler_refuses_to_start_without_its_database(db):
    """An orchestrator restarts it; the line says where it looked (never a password)."""
    nowhere = replace(db, database_url="postgres://postgres:pw@127.0.0.1:1/vmeste")
    result = vmeste(nowhere, "scheduler", VMESTE_BROKER_URL=CLOSED_BROKER)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cannot reach the database at 127.0.0.1:1" in result.stderr
    assert "pw@" not in result.stderr


async def test_the_database_watch_reports_a_database_lost_while_running(db, monkeypatch):
    state = HealthState(stale_after=10)
    state.expect("database")
    stop = asyncio.Event()
    watch = asyncio.create_task(watch_database(state, replace(db, health_interval_seconds=1),
                                               stop))

    async def problems_are(expected: list[str]) -> bool:
        return state.readiness() == expected

    await until(lambda: problems_are([]), what="the first database report")

    async def lost(*_: object, **__: object) -> None:
        raise ConnectionRefusedError

    monkeypatch.setattr(connections.get("default"), "execute_query", lost)
    await until(lambda: problems_are(["database: unreachable (ConnectionRefusedError)"]),
                what="the lost database reported")
    stop.set()
    await watch


def test_a_component_that_stops_reporting_turns_the_probe_unhealthy():
    now = [100.0]
    state = HealthState(stale_after=10, clock=lambda: now[0])
    state.expect("worker")
    assert state.readiness() == state.liveness() == ["worker: not checked yet"]
    state.report("worker", None)
    assert state.readiness() == state.liveness() == []
    now[0] += 11
    assert state.readiness() == state.liveness() == ["worker: no report for 11 s"]
    state.report("worker", "1 of 4 worker thread(s) exited")
    assert state.liveness() == ["worker: 1 of 4 worker thread(s) exited"]


def test_a_dependency_fails_readiness_at_once_and_liveness_after_the_grace():
    now = [100.0]
    state = HealthState(stale_after=10, grace=60, dependencies=("broker",),
                        clock=lambda: now[0])
    state.expect("broker")
    state.report("broker", None)
    now[0] += 5
    state.report("broker", "unreachable (TimeoutError)")
    assert state.readiness() == ["broker: unreachable (TimeoutError)"]
    assert state.liveness() == []  # a blip: dramatiq reconnects by itself
    now[0] += 56
    state.report("broker", "unreachable (TimeoutError)")
    assert state.liveness() == ["broker: unreachable (TimeoutError); down for 61 s"]
    state.report("broker", None)
    assert state.readiness() == state.liveness() == []
    now[0] += 61  # the reports themselves stop: the checker is stuck
    assert state.liveness() == ["broker: no report for 61 s; down for 61 s"]


async def test_the_heartbeat_comes_from_the_event_loop_the_jobs_run_on(db):
    """A real worker: its heartbeat stops while its event loop is blocked (as a job
    blocking it would), resumes after, and reports a worker thread that exited."""
    state = HealthState(stale_after=0.5)
    state.expect("worker")
    runtime = build_runtime(db)
    broker = build_broker(db)
    worker = await asyncio.to_thread(
        start_worker, runtime, broker, 2,
        Heartbeat(lambda problem: state.report("worker", problem), interval=0.1))

    async def problems(match: str) -> bool:
        return bool(re.fullmatch(match, "|".join(state.liveness())))

    try:
        await until(lambda: problems(""), what="the first heartbeat")
        loop = get_event_loop_thread()
        assert loop is not None
        loop.loop.call_soon_threadsafe(time.sleep, 2)
        await until(lambda: problems(r"worker: no report for \d+ s"), what="a stale heartbeat")
        await until(lambda: problems(""), what="the heartbeat again")
        worker.workers[0].stop()
        await until(lambda: problems(r"worker: 1 of 2 worker thread\(s\) exited"),
                    what="the exited thread")
    finally:
        await asyncio.to_thread(worker.stop, 10_000)
        broker.close()
