"""Structured logs: the formatters, the request id from the HTTP request through the
outbox into the worker's job, and what never reaches a log line."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from tortoise.transactions import in_transaction

from tests.notification_world import Mailbox, smtp_server
from tests.observability_stack import (
    APPEAL_TEXT,
    CITIZEN_EMAIL,
    CITIZEN_NAMES,
    citizen_token,
    json_objects,
    ready,
    running_stack,
    started,
    submit,
    wait_for,
    without_otel,
)
from tests.test_workers_cli import environment, free_port
from tests.test_workers_jobs import Probe, harness
from vmeste.app import create_app
from vmeste.platform.observability.logs import JsonFormatter, TextFormatter, logging_config
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.outbox.services import emit
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.runtime import Runtime
from vmeste.platform.settings import Settings, load_settings
from vmeste.platform.work_context import carried

PHONE = "+7 912 345-67-89"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The JSON lines of the ``vmeste`` loggers during the test (a handler of its own:
    the suite's logging stays as pytest set it)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("api"))
    logger = logging.getLogger("vmeste")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def lines(stream: io.StringIO, logger: str | None = None) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in found if logger is None or line["logger"] == logger]


def _fail_with_personal_data() -> None:
    try:
        raise KeyError(PHONE)
    except KeyError as cause:
        raise ValueError(f"no user {CITIZEN_EMAIL}") from cause


def test_a_json_line_has_the_request_id_the_chosen_fields_and_no_exception_message(json_log):
    log = logging.getLogger("vmeste.test")
    with carried("req-logs-0001"):
        try:
            _fail_with_personal_data()
        except ValueError:
            log.warning("lookup failed", exc_info=True, extra={
                "appeal_id": 7, "outbox_id": 3, "text": APPEAL_TEXT, "email": CITIZEN_EMAIL,
                "address_id": "Ленина, 5"})
    log.info("outside")
    raw = json_log.getvalue()
    assert len(raw.splitlines()) == 2  # one object a line, the traceback inside it
    line, outside = lines(json_log)
    assert {key: line[key] for key in ("level", "logger", "message", "process", "request_id",
                                       "appeal_id", "outbox_id")} == {
        "level": "WARNING", "logger": "vmeste.test", "message": "lookup failed",
        "process": "api", "request_id": "req-logs-0001", "appeal_id": 7, "outbox_id": 3}
    assert not {"text", "email", "address_id"} & set(line)
    assert line["error"] == "builtins.ValueError"
    assert "builtins.KeyError" in line["traceback"]
    assert "_fail_with_personal_data" in line["traceback"]  # the frames are there
    for secret in (PHONE, CITIZEN_EMAIL, APPEAL_TEXT, "Ленина"):
        assert secret not in raw
    assert datetime.fromisoformat(line["ts"]).utcoffset() == UTC.utcoffset(None)
    assert line["ts"].endswith("Z")
    assert "request_id" not in outside


@pytest.mark.parametrize(("created", "stamp"), [
    (1_764_676_800.0, "2025-12-02T12:00:00.000Z"),
    (1_764_676_800.1239, "2025-12-02T12:00:00.123Z"),
    (1_764_676_800.9999, "2025-12-02T12:00:00.999Z"),  # cut, as isoformat cuts
    (1_764_676_801.5, "2025-12-02T12:00:01.500Z"),  # the next second: a new stamp
    (1_764_676_800.25, "2025-12-02T12:00:00.250Z"),  # and back
])
def test_lines_are_stamped_in_utc_milliseconds_across_seconds(created, stamp):
    record = logging.LogRecord("vmeste", logging.INFO, "", 0, "m", None, None)
    record.created = created
    assert json.loads(JsonFormatter("api").format(record))["ts"] == stamp
    assert TextFormatter("api").format(record).startswith(stamp)


def test_a_text_line_is_readable_with_the_request_id():
    record = logging.getLogger("vmeste.workers").makeRecord(
        "vmeste.workers", logging.INFO, __file__, 1, "job %s done", ("vmeste.fan_out",), None,
        extra={"appeal_id": 12, "duration_ms": 3.5, "actor": "vmeste.fan_out",
               "text": APPEAL_TEXT})
    with carried("req-logs-0002"):
        text = TextFormatter("worker").format(record)
    # The actor is in the message already: not repeated.
    assert re.fullmatch(r"\S+Z INFO    worker vmeste\.workers \[req-logs-0002\] job "
                        r"vmeste\.fan_out done  appeal_id=12 duration_ms=3\.5", text), text


def test_uvicorn_s_websocket_lines_with_address_and_query_string_are_dropped():
    """uvicorn logs each handshake with the client's address and the path's query
    string; the platform's own WebSocket access line replaces it."""
    script = textwrap.dedent(f"""
        import logging
        from vmeste.platform.observability.logs import configure_logging
        from vmeste.platform.settings import load_settings
        configure_logging(load_settings({{}}), "api")
        error = logging.getLogger("uvicorn.error")
        error.info('%s - "WebSocket %s" [accepted]', "198.51.100.7:5000",
                   "/graphql?phone={PHONE}")
        error.info("Started server process [%d]", 42)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, check=True)
    assert [json.loads(line)["message"] for line in result.stderr.splitlines()] == [
        "Started server process [42]"]


def test_sql_and_http_client_loggers_stay_quiet_even_at_debug():
    """At DEBUG, Tortoise prints every query's parameters and httpx every URL: those
    loggers stay at WARNING; the platform's own DEBUG lines do appear."""
    config = logging_config(load_settings({"VMESTE_LOG_LEVEL": "debug"}), "api")
    assert config["root"]["level"] == "DEBUG"
    for name in ("tortoise", "aiosqlite", "asyncpg", "httpx", "httpcore", "pika"):
        assert config["loggers"][name]["level"] == "WARNING"
    script = textwrap.dedent(f"""
        import logging
        from vmeste.platform.observability.logs import configure_logging
        from vmeste.platform.settings import load_settings
        configure_logging(load_settings({{"VMESTE_LOG_LEVEL": "debug"}}), "worker")
        logging.getLogger("tortoise.db_client").debug("SELECT 1 WHERE phone=%s", {PHONE!r})
        logging.getLogger("aiosqlite").debug("executing %s", {PHONE!r})
        logging.getLogger("httpx").info("HTTP Request: POST https://hook/?token=s3cr3t")
        logging.getLogger("uvicorn.access").info("GET /graphql?variables=%s", {PHONE!r})
        logging.getLogger("vmeste.workers").debug("visible")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, check=True)
    assert [json.loads(line)["message"] for line in result.stderr.splitlines()] == ["visible"]
    assert json.loads(result.stderr)["process"] == "worker"


async def test_every_request_gets_an_id_and_one_access_line_without_its_query_string(
        app_client, json_log):
    async with app_client(max_request_bytes=2000) as (_, graphql):
        http = graphql.http
        mine = await http.get("/graphql", headers={"X-Request-Id": "req-logs-0003"}, params={
            "query": "query Probe($p: String) { __typename }", "operationName": "Probe",
            "variables": json.dumps({"p": PHONE})})
        fresh = await http.post("/graphql", json={"query": "{ __typename }"},
                                headers={"X-Request-Id": "bad id"})
        too_big = await http.post("/graphql", content=b"x" * 3000,
                                  headers={"Content-Type": "application/json"})
        await http.get("/healthz")
    assert mine.status_code == fresh.status_code == 200 and too_big.status_code == 413
    assert mine.headers["x-request-id"] == "req-logs-0003"
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", too_big.headers["x-request-id"])  # outermost
    access = lines(json_log, "vmeste.access")
    assert [(a["method"], a["path"], a["status"], a["request_id"], a["level"])
            for a in access] == [
        ("GET", "/graphql", 200, "req-logs-0003", "INFO"),
        ("POST", "/graphql", 200, fresh.headers["x-request-id"], "INFO"),
        ("POST", "/graphql", 413, too_big.headers["x-request-id"], "INFO"),
        ("GET", "/healthz", 200, access[3]["request_id"], "DEBUG")]
    assert access[0]["operation"] == "Probe" and access[0]["message"].startswith(
        "GET /graphql 200 ")
    assert all(a["duration_ms"] >= 0 for a in access)
    assert PHONE not in json_log.getvalue() and "variables" not in json_log.getvalue()


def test_a_websocket_gets_an_id_and_a_line_when_it_closes(empty_database, json_log):
    with TestClient(create_app(empty_database)) as http, http.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"],
            headers={"X-Request-Id": "req-logs-ws-01"}) as ws:
        assert (b"x-request-id", b"req-logs-ws-01") in ws.extra_headers
    [line] = lines(json_log, "vmeste.access")
    assert (line["method"], line["path"], line["status"], line["request_id"]) == (
        "WEBSOCKET", "/graphql", 101, "req-logs-ws-01")


class Follower(Probe):
    """A topic whose job writes a row of its own, as a fan-out does."""

    async def handle(self, runtime: Runtime, payload: dict[str, Any], last: bool) -> None:
        async with in_transaction() as conn:
            await emit(conn, "test.followed", {"n": payload["n"]}, f"followed:{payload['n']}")

    def topic(self) -> Topic:
        return Topic("test.probe", "vmeste.test_probe", "probe", self.handle, self.scope)


@pytest.fixture
def fast(db: Settings) -> Settings:
    return replace(db, job_max_retries=2, job_min_backoff_ms=1, job_max_backoff_ms=20)


async def test_a_job_makes_its_rows_request_id_current_for_the_rows_it_writes(fast, json_log):
    for h in harness(fast, Follower(failures=0)):
        with carried("req-logs-0004", TRACEPARENT):
            await h.emit({"n": 1, "appeal_id": 42, "kind": "appeals"}, "first")
        await h.drain()
    rows = await OutboxMessage.all().order_by("id").values_list(
        "topic", "request_id", "traceparent")
    assert rows == [("test.probe", "req-logs-0004", TRACEPARENT),
                    ("test.followed", "req-logs-0004", TRACEPARENT)]
    [done] = [line for line in lines(json_log, "vmeste.workers")
              if line["message"].startswith("job ")]
    assert {key: done[key] for key in ("message", "request_id", "actor", "topic", "appeal_id",
                                       "outcome")} == {
        "message": "job vmeste.test_probe done", "request_id": "req-logs-0004",
        "actor": "vmeste.test_probe", "topic": "test.probe", "appeal_id": 42,
        "outcome": "done"}
    assert done["outbox_id"] == 1 and done["message_id"] and done["duration_ms"] >= 0
    assert "n" not in done and "kind" not in done  # of the payload, its subject ids only


async def test_a_failing_job_logs_each_attempt_and_the_dead_letter_with_its_request_id(
        fast, json_log):
    for h in harness(fast, Probe(failures=3)):
        with carried("req-logs-0005"):
            await h.emit({"n": 5}, "failing")
        await h.drain()
    mine = lines(json_log, "vmeste.workers")
    assert [line["outcome"] for line in mine if "outcome" in line] == [
        "failed", "failed", "dead-lettered"]
    assert {line["request_id"] for line in mine} == {"req-logs-0005"}
    assert "secret@example.org" not in json_log.getvalue()  # the OSError's text


# --- the deployment: serve, scheduler and worker as separate processes ------------------


async def test_one_request_id_from_the_api_through_the_outbox_into_the_worker(
        db, world, tmp_path):
    """The citizen's e-mail notification goes out through a delivery job that the
    fan-out job queued: three hops, one request id, and no text, address or name."""
    token = await citizen_token(db)
    box = Mailbox()
    with smtp_server(box) as smtp, running_stack(
            db, tmp_path, VMESTE_LOG_FORMAT="json",
            VMESTE_SMTP_URL=f"smtp://127.0.0.1:{smtp}") as stack:
        appeal_id, response = submit(stack, token, "req-e2e-logs-0001")
        assert response.headers["x-request-id"] == "req-e2e-logs-0001"

        def delivered() -> bool:
            return any(line.get("topic") == "notification.deliver"
                       for line in json_objects(stack.worker.lines()))

        wait_for(delivered, "the e-mail delivery job", stack.processes)
    assert any(CITIZEN_EMAIL in mail.rcpt_tos for mail in box.messages)
    api = [json.loads(line) for line in stack.serve.lines()]  # every line is JSON
    [access] = [line for line in api if line["logger"] == "vmeste.access"
                and line.get("request_id") == "req-e2e-logs-0001"]
    assert (access["method"], access["path"], access["status"], access["operation"],
            access["process"]) == ("POST", "/graphql", 200, "Submit", "api")
    assert any(line["logger"] == "uvicorn.error" for line in api)  # uvicorn's lines too
    jobs = [line for line in json_objects(stack.worker.lines()) if "outcome" in line]
    [fan_out] = [line for line in jobs if line["topic"] == "appeal.events"]
    assert (fan_out["appeal_id"], fan_out["request_id"], fan_out["outcome"],
            fan_out["process"]) == (appeal_id, "req-e2e-logs-0001", "done", "worker")
    deliveries = [line for line in jobs if line["topic"] == "notification.deliver"]
    assert deliveries and all(line["notification_id"] for line in deliveries)
    assert {line["request_id"] for line in jobs} == {"req-e2e-logs-0001"}
    everything = stack.everything()
    for secret in (APPEAL_TEXT, CITIZEN_EMAIL, *CITIZEN_NAMES):
        assert secret not in everything, secret


def test_dev_mode_logs_readable_text_with_the_request_id(empty_database, tmp_path):
    """In dev mode the default is text."""
    port = free_port()
    env = without_otel(environment(empty_database, VMESTE_DEV_MODE="1"))
    with started("serve", ["serve", "--port", str(port)], env, tmp_path) as serve:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: ready(base), "the API's readiness", [serve])
        response = httpx.get(f"{base}/graphql", params={"query": "{ __typename }"},
                             headers={"X-Request-Id": "req-text-0001"})
        assert response.headers["x-request-id"] == "req-text-0001"
    text = "\n".join(serve.lines())
    assert not any(line.startswith("{") for line in serve.lines()), text
    assert re.search(r"INFO    api vmeste\.access \[req-text-0001\] GET /graphql 200 ", text), \
        text
    assert "Uvicorn running on" in text  # uvicorn's own lines, through the same formatter
