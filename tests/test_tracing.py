"""OpenTelemetry tracing: off unless the standard variables ask, refused when asked and
not installed, and with it on a request's span and its jobs' spans in one trace."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

from tests.notification_world import Mailbox, smtp_server
from tests.observability_stack import (
    APPEAL_TEXT,
    CITIZEN_EMAIL,
    citizen_token,
    json_objects,
    running_stack,
    submit,
    wait_for,
    without_otel,
)
from tests.test_workers_cli import environment
from vmeste.platform.observability.tracing import TracingUnavailable, requested_exporters

CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


@pytest.mark.parametrize(("environ", "exporters"), [
    ({}, ()),
    ({"OTEL_SERVICE_NAME": "vmeste-api"}, ()),
    ({"OTEL_TRACES_EXPORTER": "console"}, ("console",)),
    ({"OTEL_TRACES_EXPORTER": "otlp, console"}, ("otlp", "console")),
    ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, ()),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, ("otlp",)),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, ("otlp",)),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, ()),
    ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "TRUE"}, ()),
    ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "false"}, ("console",)),
])
def test_the_standard_variables_switch_tracing_on(environ, exporters):
    assert requested_exporters(environ) == exporters


@pytest.mark.parametrize(("environ", "problem"), [
    ({"OTEL_TRACES_EXPORTER": "zipkin"}, "'zipkin' is not an exporter"),
    ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
     "OTLP protocol 'grpc' is not installed"),
])
def test_an_exporter_vmeste_does_not_have_is_refused(environ, problem):
    with pytest.raises(TracingUnavailable, match=problem):
        requested_exporters(environ)


#: Makes ``import opentelemetry.sdk`` fail in the child, as where the extra is missing.
WITHOUT_SDK = ("import sys; sys.modules['opentelemetry.sdk'] = None; "
               "from vmeste.cli import main; main()")


@pytest.mark.parametrize("command", ["serve", "worker", "scheduler"])
def test_tracing_asked_for_but_not_installed_refuses_to_start(tmp_path, command):
    env = {**without_otel(environment(_nowhere(tmp_path),
                                      VMESTE_BROKER_URL="redis://127.0.0.1:1/0")),
           "OTEL_TRACES_EXPORTER": "otlp"}
    result = subprocess.run([sys.executable, "-c", WITHOUT_SDK, command], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "vmeste: tracing is switched on (OTEL_TRACES_EXPORTER is set) but OpenTelemetry is "
        "not installed: install vmeste[otel], or unset the OTEL_* variables"]


def test_an_unknown_exporter_refuses_to_start(tmp_path):
    env = {**without_otel(environment(_nowhere(tmp_path))), "OTEL_TRACES_EXPORTER": "jaeger"}
    result = subprocess.run([sys.executable, "-m", "vmeste", "serve"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "OTEL_TRACES_EXPORTER: 'jaeger' is not an exporter" in result.stderr


def _nowhere(tmp_path: Any) -> Any:
    """Settings whose database is never reached: the refusal comes first."""
    from vmeste.platform.settings import load_settings

    return load_settings({"VMESTE_DATABASE_URL": f"sqlite://{tmp_path}/never.sqlite3",
                          "VMESTE_DATA_DIR": str(tmp_path / "var")})


def test_without_otel_variables_nothing_of_opentelemetry_is_imported(empty_database):
    """A request through every middleware, and an outbox row written in it, in a
    process built as uvicorn builds one."""
    script = textwrap.dedent("""
        import asyncio, sys
        import httpx
        from tortoise.transactions import in_transaction
        from vmeste.app import app_from_environment
        from vmeste.platform.db import connect
        from vmeste.platform.outbox.services import emit
        from vmeste.platform.settings import load_settings

        async def main():
            app = app_from_environment()
            async with connect(load_settings()), httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
                answer = await http.post("/graphql", json={"query": "{ __typename }"})
                assert answer.status_code == 200 and answer.headers["x-request-id"]
                async with in_transaction() as conn:
                    await emit(conn, "notification.deliver", {"notification_id": 1}, "n1")
            print(sorted(name for name in sys.modules if name.startswith("opentelemetry")))

        asyncio.run(main())
    """)
    result = subprocess.run([sys.executable, "-c", script],
                            env=without_otel(environment(empty_database)),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def _spans(lines: list[str]) -> list[dict[str, Any]]:
    return [span for span in json_objects(lines) if "context" in span and "kind" in span]


async def test_a_request_span_and_its_jobs_spans_share_one_trace(db, world, tmp_path):
    token = await citizen_token(db)
    box = Mailbox()
    with smtp_server(box) as smtp, running_stack(
            db, tmp_path, OTEL_TRACES_EXPORTER="console", VMESTE_LOG_FORMAT="json",
            VMESTE_SMTP_URL=f"smtp://127.0.0.1:{smtp}") as stack:
        submit(stack, token, "req-e2e-trace-01",
               traceparent=f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01")

        def delivered() -> bool:
            return any(span["attributes"].get("vmeste.topic") == "notification.deliver"
                       for span in _spans(stack.worker.lines("stdout")))

        wait_for(delivered, "the delivery job's span", stack.processes)
    [request] = [span for span in _spans(stack.serve.lines("stdout"))
                 if span["kind"] == "SpanKind.SERVER"
                 and span["attributes"].get("graphql.operation.name") == "Submit"]
    assert request["name"] == "POST /graphql"
    assert request["context"]["trace_id"] == f"0x{CLIENT_TRACE}"  # the client's trace
    assert request["parent_id"] == f"0x{CLIENT_SPAN}"
    assert {key: request["attributes"][key] for key in (
        "http.request.method", "http.route", "url.path", "http.response.status_code")} == {
        "http.request.method": "POST", "http.route": "/graphql", "url.path": "/graphql",
        "http.response.status_code": 200}
    assert request["resource"]["attributes"]["service.name"] == "vmeste-api"
    jobs = {span["attributes"]["vmeste.topic"]: span
            for span in _spans(stack.worker.lines("stdout"))}
    assert {span["context"]["trace_id"] for span in jobs.values()} == {f"0x{CLIENT_TRACE}"}
    fan_out, delivery = jobs["appeal.events"], jobs["notification.deliver"]
    assert fan_out["kind"] == "SpanKind.CONSUMER"
    assert fan_out["parent_id"] == request["context"]["span_id"]  # its row, the request's
    assert delivery["parent_id"] == fan_out["context"]["span_id"]  # its row, the fan-out's
    assert fan_out["resource"]["attributes"]["service.name"] == "vmeste-worker"
    assert {request["attributes"]["vmeste.request_id"], fan_out["attributes"][
        "vmeste.request_id"], delivery["attributes"]["vmeste.request_id"]} == {
        "req-e2e-trace-01"}
    # The log lines name the trace, so an operator goes from a line to its trace.
    [access] = [line for line in json_objects(stack.serve.lines())
                if line["logger"] == "vmeste.access" and line.get("operation") == "Submit"]
    assert access["trace_id"] == CLIENT_TRACE
    traces = "\n".join(stack.serve.lines("stdout") + stack.worker.lines("stdout"))
    for secret in (APPEAL_TEXT, CITIZEN_EMAIL):
        assert secret not in traces, secret
