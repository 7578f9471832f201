"""``/metrics`` as Prometheus scrapes it from real processes: ``vmeste serve`` (one
process, and two adding up on PostgreSQL), ``vmeste worker`` (one process, and a parent
adding up its children) and ``vmeste scheduler`` on their health ports. What each layer
records is tests/test_metrics_recording.py."""

from __future__ import annotations

import asyncio
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from tortoise.transactions import in_transaction

from tests.test_faults import (
    Relay,
    redis_broker,  # noqa: F401 (a fixture: the test's settings on a real Redis broker)
    until,
    worker_environment,
)
from tests.test_workers_cli import environment, free_port, worker_children
from tests.worlds import ORG_A
from vmeste.platform.notifications.fanout import NOTIFICATION_DELIVER
from vmeste.platform.notifications.models import Notification, WebhookSubscription
from vmeste.platform.observability.metrics import MULTIPROC_ENV
from vmeste.platform.outbox.models import DeadLetter, OutboxMessage
from vmeste.platform.outbox.services import emit
from vmeste.platform.reference.models import Organization
from vmeste.platform.runtime import build_runtime
from vmeste.platform.settings import Settings

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
ORGS = "query Orgs { organizations(first: 2) { totalCount } }"


def parsed(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def scrape(base: str) -> Samples:
    """One scrape on a connection of its own (a multi-process server may answer it from
    any of its processes)."""
    answer = httpx.get(f"{base}/metrics", timeout=10, headers={"Connection": "close"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parsed(answer.text)


def requests(samples: Samples, operation: str, path: str, kind: str = "query") -> float:
    return value(samples, "vmeste_graphql_request_duration_seconds_count",
                 operation=operation, type=kind, path=path) or 0


@contextmanager
def serving(settings: Settings, tmp_path: Path, *args: str, **extra: str
            ) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``vmeste serve`` on a free port until it is ready; stopped with SIGTERM."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "vmeste", "serve", "--port", str(port), *args],
            env=environment(settings, **extra), stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "not ready:\n" + log.read_text()
            time.sleep(0.2)
        yield base, process
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down, then ends itself with the signal it caught.
        assert process.wait(30) in (0, -signal.SIGTERM), log.read_text()
        assert "Application shutdown complete" in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def post(base: str, query: str) -> httpx.Response:
    return httpx.post(f"{base}/graphql", json={"query": query}, timeout=10)


def test_one_api_process_counts_requests_errors_and_refusals(empty_database, tmp_path):
    with serving(empty_database, tmp_path, VMESTE_RATE_LIMIT_ANONYMOUS="5/minute",
                 VMESTE_MAX_REQUEST_BYTES="4096") as (base, _):
        broken = post(base, "query Broken { nope }").json()
        assert broken["errors"][0]["extensions"]["code"] == "INVALID_QUERY"
        assert httpx.post(f"{base}/graphql", content=b"x" * 5000, timeout=10,
                          headers={"content-type": "application/json"}).status_code == 413
        answered = 0
        while (status := post(base, ORGS).status_code) == 200:  # until the budget is spent
            answered += 1
            assert answered < 10, "the anonymous budget was never spent"
        assert status == 429
        samples = scrape(base)
        assert scrape(base)[("vmeste_refusals_total", frozenset({("reason", "too_large")}))] == 1
    assert answered >= 3
    assert requests(samples, "Orgs", "compiled") == answered
    # The refused one: the plan spent the budget, the resolvers' path answered 429.
    assert requests(samples, "Orgs", "interpreted") == 1
    assert requests(samples, "Broken", "interpreted") == 1
    operations = {dict(labels)["operation"] for name, labels in samples
                  if name == "vmeste_graphql_request_duration_seconds_count"}
    assert operations == {"Orgs", "Broken"}  # neither the 413 nor the scrapes
    assert value(samples, "vmeste_graphql_errors_total", code="INVALID_QUERY") == 1
    assert value(samples, "vmeste_graphql_errors_total", code="RATE_LIMITED") == 1
    assert value(samples, "vmeste_refusals_total", reason="rate_limit_anonymous") == 1
    assert value(samples, "vmeste_refusals_total", reason="too_large") == 1
    assert value(samples, "vmeste_graphql_read_fallbacks_total", reason="rate limit") == 1
    assert value(samples, "vmeste_outbox_backlog") == 0
    assert value(samples, "vmeste_dead_letters_waiting") == 0
    has_pool = value(samples, "vmeste_db_pool_max") is not None
    assert has_pool is not empty_database.is_sqlite


def the_children(parent: subprocess.Popen[bytes], count: int) -> list[int]:
    deadline = time.monotonic() + 30
    while len(children := worker_children(parent)) < count:
        assert time.monotonic() < deadline, f"{children} of {count} children started"
        time.sleep(0.2)
    return children


def shared_directory(children: list[int]) -> Path:
    """The directory the command gave its children (each child's environment shows it)."""
    found = set()
    for pid in children:
        variables = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        found |= {v.partition(b"=")[2].decode() for v in variables
                  if v.startswith(f"{MULTIPROC_ENV}=".encode())}
    [directory] = found
    return Path(directory)


def counts_by_process(directory: Path, children: list[int]) -> dict[int, float]:
    """GraphQL requests each process recorded, from its own file."""
    counts = {}
    for pid in children:
        path = directory / f"histogram_{pid}.db"
        counts[pid] = sum(sample.value for metric in (MultiProcessCollector.merge(
            [str(path)]) if path.exists() else []) for sample in metric.samples
            if sample.name == "vmeste_graphql_request_duration_seconds_count")
    return counts


async def concurrently(base: str, count: int) -> None:
    """``count`` requests at once, each on a connection of its own, so both processes
    accept some."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as http:
        answers = await asyncio.gather(*(http.post("/graphql", json={"query": ORGS})
                                         for _ in range(count)))
    assert {answer.status_code for answer in answers} == {200}


def test_two_api_processes_add_up_in_every_scrape(empty_database, tmp_path):
    if empty_database.is_sqlite:
        pytest.skip("several API processes need PostgreSQL")
    with serving(empty_database, tmp_path, "--workers", "2", VMESTE_EMBEDDED_WORKERS="0",
                 VMESTE_RATE_LIMITS="0") as (base, parent):
        children = the_children(parent, 2)
        directory = shared_directory(children)
        assert directory.is_dir() and str(directory).startswith("/tmp")
        sent = 0
        while min(counts_by_process(directory, children).values()) == 0:
            assert sent < 400, f"one process took all: {counts_by_process(directory, children)}"
            asyncio.run(concurrently(base, 20))
            sent += 20
        assert sum(counts_by_process(directory, children).values()) == sent
        for _ in range(4):  # whichever process answers, it adds up both
            assert requests(scrape(base), "Orgs", "compiled") == sent
        # Each process samples its own pool (Tortoise's default: 5) for the other's scrapes.
        deadline = time.monotonic() + 20
        while value(scrape(base), "vmeste_db_pool_max") != 10:
            assert time.monotonic() < deadline, scrape(base)
            time.sleep(0.5)
    assert not directory.exists()  # the private directory goes with the server


async def undeliverable_webhook() -> None:
    """A webhook notification to a port nobody listens on, and its delivery job."""
    organization = await Organization.get(ogrn=ORG_A)
    hook = await WebhookSubscription.create(organization=organization,
                                            url="http://127.0.0.1:1/hook",
                                            secret=secrets.token_hex(16))
    async with in_transaction() as conn:
        row = await Notification.create(dedupe_key="metrics:hook", event="appeal.routed",
                                        channel="webhook", webhook=hook, address=hook.url,
                                        data={"appeal_id": 1}, using_db=conn)
        await emit(conn, NOTIFICATION_DELIVER, {"notification_id": row.id},
                   f"notification:{row.id}")


@contextmanager
def started(env: dict[str, str], log: Path, *command: str
            ) -> Iterator[subprocess.Popen[bytes]]:
    """``vmeste <command>`` adding to ``log``; stopped with SIGTERM, which it obeys."""
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "vmeste", *command], env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
        process.send_signal(signal.SIGTERM)
        assert process.wait(45) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def probe_scrape(port: int) -> Samples:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    except httpx.TransportError:
        return {}  # still starting
    return parsed(answer.text) if answer.status_code == 200 else {}


@pytest.mark.parametrize("processes", [1, 2])
async def test_a_worker_reports_its_jobs_dead_letters_and_deliveries(
        world, redis_broker, tmp_path, processes):  # noqa: F811 (the fixture)
    settings = replace(redis_broker, job_max_retries=0)  # a failure is final at once
    actor = build_runtime(settings).topics[NOTIFICATION_DELIVER].actor
    await undeliverable_webhook()
    async with in_transaction() as conn:  # a notification that no longer exists: done
        await emit(conn, NOTIFICATION_DELIVER, {"notification_id": 999_999}, "metrics:gone")
    port = free_port()
    env = worker_environment(settings, VMESTE_HEALTH_PORT=str(port),
                             VMESTE_HEALTH_HOST="127.0.0.1", VMESTE_HEALTH_INTERVAL_SECONDS="1")
    log = tmp_path / "worker.log"
    found: Samples = {}
    with started(env, log, "worker", "--processes", str(processes), "--threads", "1"
                 ) as worker:

        async def both_jobs_ran() -> bool:
            nonlocal found
            assert worker.poll() is None, log.read_text()
            found = await asyncio.to_thread(probe_scrape, port)
            return all(value(found, "vmeste_jobs_total", actor=actor, outcome=outcome) == 1
                       for outcome in ("done", "failed"))

        directory = shared_directory(the_children(worker, 2)) if processes == 2 else None
        async with Relay(settings).running():
            await until(both_jobs_ran, within=60, what="both jobs in the worker's metrics")
    assert value(found, "vmeste_dead_letters_total") == 1
    assert await DeadLetter.filter(actor=actor).count() == 1
    assert value(found, "vmeste_deliveries_total", channel="webhook", status="dead") == 1
    assert value(found, "vmeste_job_duration_seconds_count", actor=actor) == 2
    assert value(found, "vmeste_outbox_backlog") is None  # the scheduler's, not the worker's
    if directory is not None:
        assert not directory.exists()


async def test_the_scheduler_reports_the_outbox_and_the_dead_letters(
        redis_broker, tmp_path):  # noqa: F811 (the fixture)
    await OutboxMessage.create(topic="nobody.listens", dedupe_key="metrics:stuck")
    await OutboxMessage.filter(dedupe_key="metrics:stuck").update(
        created_at=datetime.now(UTC) - timedelta(minutes=2))
    async with in_transaction() as conn:
        await emit(conn, NOTIFICATION_DELIVER, {"notification_id": 1}, "metrics:relayed")
    for n, redriven in enumerate((None, None, datetime.now(UTC))):
        await DeadLetter.create(actor="vmeste.deliver", queue="q", message_id=f"m{n}",
                                redriven_at=redriven)
    port = free_port()
    env = worker_environment(redis_broker, VMESTE_HEALTH_PORT=str(port),
                             VMESTE_HEALTH_HOST="127.0.0.1", VMESTE_HEALTH_INTERVAL_SECONDS="1")
    log = tmp_path / "scheduler.log"
    found: Samples = {}
    with started(env, log, "scheduler") as scheduler:

        async def relayed_and_sampled() -> bool:
            nonlocal found
            assert scheduler.poll() is None, log.read_text()
            found = await asyncio.to_thread(probe_scrape, port)
            return (value(found, "vmeste_outbox_relayed_total") == 1
                    and value(found, "vmeste_outbox_backlog") == 1)

        await until(relayed_and_sampled, within=45, what="the relay in the scheduler's metrics")
    assert 120 <= value(found, "vmeste_outbox_oldest_age_seconds") < 300
    assert value(found, "vmeste_dead_letters_waiting") == 2
    assert (value(found, "vmeste_db_pool_max") is None) is redis_broker.is_sqlite
