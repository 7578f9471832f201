"""What the metrics record, in this process: the refusals and errors each layer counts,
the bounded operation label, the database's gauges at a scrape, and the multi-process
bookkeeping. The processes themselves (``serve``, ``worker``, ``scheduler``) are
tests/test_metrics.py."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from tests.appeal_world import seed_appeal_world
from tests.edge_fixtures import edge_around
from tests.worlds import MUNICIPALITY_A
from vmeste.platform.appeals import watch
from vmeste.platform.deadlines.watchdog import run_watchdog
from vmeste.platform.observability.metrics import MULTIPROC_ENV, Operations
from vmeste.platform.observability.processes import (
    forget_dead_processes,
    multiprocess_directory,
    wipe_stale,
)
from vmeste.platform.outbox.models import DeadLetter, OutboxMessage
from vmeste.workers.health import health_probe

# Request budgets count on a clock that starts a fresh window (conftest.window_clock).
pytestmark = pytest.mark.usefixtures("window_clock")


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape by name and labels."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_operation_names_become_labels_only_while_few_and_well_formed():
    operations = Operations(limit=2)
    for name in ("First", "Second", "Third", "not a name", "x" * 65, None, "First"):
        operations.observe(name, "query", "bounded-test", 0.001)
    for made_up in range(500):
        operations.observe(f"Flood{made_up}", "query", "bounded-test", 0.001)

    def count(operation: str) -> float:
        return counted("vmeste_graphql_request_duration_seconds_count", operation=operation,
                       type="query", path="bounded-test")

    assert (count("First"), count("Second"), count("anonymous")) == (2, 1, 1)
    assert count("Third") == 0
    assert count("other") == 503
    assert operations.names == {"First", "Second"}
    assert len(operations.children) == 3  # First, Second, anonymous: no flood kept


async def test_a_name_the_document_does_not_define_is_counted_as_other(app_client):
    """Only an operation found in a parsed document lends its name to the label: junk
    requests naming made-up operations cannot take the label slots."""
    def seen(operation: str) -> float:
        return counted("vmeste_graphql_request_duration_seconds_count", operation=operation,
                       type="unknown", path="interpreted")

    other = seen("other")
    async with app_client() as (_, graphql):
        for body in ({"query": "{ __typename", "operationName": "JunkUnparsed"},
                     {"query": "query Real { __typename }", "operationName": "JunkMissing"}):
            response = await graphql.http.post("/graphql", json=body)
            assert response.json()["errors"], response.text
    assert seen("JunkUnparsed") == seen("JunkMissing") == 0
    assert seen("other") == other + 2


async def test_errors_and_refusals_are_counted_where_they_are_answered(app_client):
    before = {reason: counted("vmeste_refusals_total", reason=reason)
              for reason in ("cost_limit", "too_large", "auth_failures")}
    errors = {code: counted("vmeste_graphql_errors_total", code=code)
              for code in ("COST_LIMIT", "INVALID_JSON", "UNAUTHENTICATED")}
    async with app_client(rate_limits=True, rate_limit_auth_failures="2/minute",
                          graphql_max_cost_anonymous=3, max_request_bytes=2000) as (_, graphql):
        costly = await graphql.raw("query Costly { organizations(first: 50) { edges { node "
                                   "{ name territory { name } } } } }")
        assert costly.json()["errors"][0]["extensions"]["code"] == "COST_LIMIT"
        broken = await graphql.http.post("/graphql", content=b"{nope",
                                         headers={"content-type": "application/json"})
        assert broken.status_code == 400
        too_big = await graphql.http.post("/graphql", content=b"x" * 3000,
                                          headers={"content-type": "application/json"})
        assert too_big.status_code == 413
        statuses = [(await graphql.raw("{ __typename }", token="forged")).status_code
                    for _ in range(3)]
        assert statuses == [401, 401, 429]
        scrape = await graphql.http.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert counted("vmeste_refusals_total", reason="cost_limit") == before["cost_limit"] + 1
    assert counted("vmeste_refusals_total", reason="too_large") == before["too_large"] + 1
    assert counted("vmeste_refusals_total", reason="auth_failures") == before["auth_failures"] + 1
    assert counted("vmeste_graphql_errors_total", code="COST_LIMIT") == errors["COST_LIMIT"] + 1
    assert counted("vmeste_graphql_errors_total", code="INVALID_JSON") == \
        errors["INVALID_JSON"] + 1
    # The 401s come from the authentication middleware, before any GraphQL.
    assert counted("vmeste_graphql_errors_total", code="UNAUTHENTICATED") == \
        errors["UNAUTHENTICATED"]
    assert ("vmeste_refusals_total", frozenset({("reason", "cost_limit")})) in samples(
        scrape.text)


async def test_shed_requests_are_counted_and_scrapes_are_never_shed():
    release = asyncio.Event()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/graphql":
            await release.wait()
        await PlainTextResponse("done")(scope, receive, send)

    app = edge_around(slow, max_inflight=1, inflight_wait_ms=20)
    before = counted("vmeste_refusals_total", reason="overloaded")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vmeste.test") as http:
        held = asyncio.create_task(http.post("/graphql"))
        await asyncio.sleep(0.05)
        shed = await http.post("/graphql")
        scrape = await http.get("/metrics")
        release.set()
        assert (await held).status_code == 200
    assert (shed.status_code, scrape.status_code) == (503, 200)
    assert counted("vmeste_refusals_total", reason="overloaded") == before + 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_metrics_off_is_a_404_on_the_api_and_on_the_probe(app_client, db):
    async with app_client(metrics=False) as (_, graphql):
        assert (await graphql.http.get("/metrics")).status_code == 404
        assert (await graphql.http.get("/healthz")).status_code == 200
    for enabled, status in ((False, 404), (True, 200)):
        port = free_port()
        settings = replace(db, metrics=enabled, health_port=port, health_host="127.0.0.1")
        with health_probe(settings, {}, scrape=lambda: b"vmeste_up 1\n"):
            async with httpx.AsyncClient() as http:
                answer = await http.get(f"http://127.0.0.1:{port}/metrics")
                assert (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
        assert answer.status_code == status
        if enabled:
            assert answer.text == "vmeste_up 1\n"


def test_a_scrape_that_fails_to_render_is_a_500_and_the_probes_go_on(db):
    port = free_port()
    settings = replace(db, health_port=port, health_host="127.0.0.1")

    def broken() -> bytes:
        raise OSError("the directory is gone")

    with health_probe(settings, {}, scrape=broken):
        assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 500
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200


async def test_a_scrape_reads_the_backlog_the_dead_letters_and_the_pool(app_client, db):
    old = datetime.now(UTC) - timedelta(minutes=10)
    for n in range(3):
        await OutboxMessage.create(topic="nobody.listens", dedupe_key=f"m{n}", payload={})
    await OutboxMessage.filter(dedupe_key="m0").update(created_at=old)
    await OutboxMessage.create(topic="t", dedupe_key="relayed", relayed_at=datetime.now(UTC))
    for n, redriven in enumerate((None, None, datetime.now(UTC))):
        await DeadLetter.create(actor="vmeste.deliver", queue="q", message_id=f"d{n}",
                                redriven_at=redriven)
    # The API reads them where it runs the scheduler itself (no lifespan here: the
    # flag alone, no embedded worker starts).
    async with app_client(embedded_workers=True) as (_, graphql):
        found = samples((await graphql.http.get("/metrics")).text)

    def gauge(name: str, **labels: str) -> float | None:
        return found.get((name, frozenset(labels.items())))

    assert gauge("vmeste_outbox_backlog") == 3
    assert 600 <= gauge("vmeste_outbox_oldest_age_seconds") < 700
    assert gauge("vmeste_dead_letters_waiting") == 2
    if db.is_sqlite:
        assert gauge("vmeste_db_pool_max") is None
    else:
        assert gauge("vmeste_db_pool_max") == 5  # Tortoise's default pool size
        assert gauge("vmeste_db_pool_connections", state="in_use") + gauge(
            "vmeste_db_pool_connections", state="idle") >= 1


async def test_the_backlog_is_zero_with_no_age_when_every_row_is_relayed(app_client):
    async with app_client(embedded_workers=True) as (_, graphql):
        found = samples((await graphql.http.get("/metrics")).text)
    assert found[("vmeste_outbox_backlog", frozenset())] == 0
    assert found[("vmeste_outbox_oldest_age_seconds", frozenset())] == 0


async def test_beside_a_scheduler_the_api_leaves_the_database_gauges_to_it(client):
    """With separate schedulers (embedded workers off) an API scrape reads no database:
    the scheduler's port reports the outbox and the dead letters."""
    await OutboxMessage.create(topic="nobody.listens", dedupe_key="waiting", payload={})
    scrape = await client.get("/metrics")
    assert scrape.status_code == 200
    found = {name for name, _ in samples(scrape.text)}
    assert "vmeste_outbox_relayed_total" in found  # the process's own counters are there
    assert not found & {"vmeste_outbox_backlog", "vmeste_outbox_oldest_age_seconds",
                        "vmeste_dead_letters_waiting"}


@pytest_asyncio.fixture
async def watched_runtime(world, vmeste_app):
    await seed_appeal_world()
    return vmeste_app.state.runtime


async def test_the_watchdog_counts_its_steps_by_kind(watched_runtime, submit_appeal):
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    registered = appeal.registered_at
    halfway = registered + (appeal.due_at - registered) * 0.55
    kind = watch.RunningTerms.name
    before = {step: counted("vmeste_watchdog_steps_total", kind=kind, step=step)
              for step in ("reminders", "overdue")}
    counts = await run_watchdog(watched_runtime, halfway)
    assert counts[kind]["reminders"] == 1
    assert counted("vmeste_watchdog_steps_total", kind=kind, step="reminders") == \
        before["reminders"] + 1
    assert counted("vmeste_watchdog_steps_total", kind=kind, step="overdue") == before["overdue"]


def test_stale_files_go_at_a_start_and_this_process_keeps_its_own(tmp_path, monkeypatch):
    mine = tmp_path / f"counter_{os.getpid()}.db"
    stale = [tmp_path / "counter_999999999.db", tmp_path / "gauge_livesum_999999998.db",
             tmp_path / "histogram_1.db"]
    for path in (mine, *stale):
        path.write_bytes(b"")
    (tmp_path / "notes.txt").write_text("kept")
    assert wipe_stale(tmp_path) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, "notes.txt"])
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    (tmp_path / "counter_999999999.db").write_bytes(b"")
    with multiprocess_directory(4) as directory:
        assert directory == str(tmp_path)
        assert not (tmp_path / "counter_999999999.db").exists()
    assert tmp_path.is_dir()  # the operator's directory stays


def test_several_processes_get_a_private_directory_one_gets_none(monkeypatch):
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    with multiprocess_directory(1) as directory:
        assert directory is None and MULTIPROC_ENV not in os.environ
    with multiprocess_directory(2) as directory:
        assert directory is not None and os.environ[MULTIPROC_ENV] == directory
        made = Path(directory)
        assert made.is_dir()
    assert not made.exists() and MULTIPROC_ENV not in os.environ


def test_a_process_that_died_loses_its_live_gauges_but_not_its_counters(tmp_path):
    child = subprocess.run([sys.executable, "-c", (
        "from prometheus_client import Counter, Gauge\n"
        "Gauge('g', 'g', multiprocess_mode='livesum').set(7)\n"
        "Counter('c', 'c').inc(3)\n"
        "import os; print(os.getpid())\n")], capture_output=True, text=True, check=True,
        env={**os.environ, MULTIPROC_ENV: str(tmp_path)})
    pid = child.stdout.strip()
    assert (tmp_path / f"gauge_livesum_{pid}.db").exists()
    forget_dead_processes(str(tmp_path))
    assert not (tmp_path / f"gauge_livesum_{pid}.db").exists()
    assert (tmp_path / f"counter_{pid}.db").exists()
