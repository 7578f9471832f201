"""OpenTelemetry traces: a server span per HTTP request and a span per job, the job's a
child of the request's through the ``traceparent`` its outbox row carried.

Off unless the standard variables switch it on: ``OTEL_TRACES_EXPORTER`` (``otlp``,
``console``, or both, comma-separated; ``none`` is off), or an OTLP endpoint
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``), unless
``OTEL_SDK_DISABLED=true``. The SDK reads the rest itself (headers, sampler, batching).
Asked for and not installed (the ``otel`` extra), the process refuses to start: a
deployment that expects traces must not run silently without them. Off, nothing of
OpenTelemetry is imported and a request pays one boolean test.

Spans carry no exception messages (the SDK's own recording would copy them into the
trace backend; they may quote personal data), no query strings, no headers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from vmeste.platform.work_context import (
    current_request_id,
    current_traceparent,
    set_traceparent,
)

EXPORTERS = ("otlp", "console")
#: The protocol of the OTLP exporter the ``otel`` extra installs.
OTLP_PROTOCOL = "http/protobuf"

#: The tracer once :func:`configure_tracing` switched tracing on in this process.
_tracer: Any = None


class TracingUnavailable(Exception):
    """Tracing was asked for but cannot run: one line for the operator."""


def requested_exporters(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The exporters the standard variables ask for; () means tracing is off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return ()
    named = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not named:
        endpoint = (environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
                    or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip())
        return ("otlp",) if endpoint else ()
    exporters = tuple(dict.fromkeys(n.strip() for n in named.split(",") if n.strip()))
    if exporters == ("none",):
        return ()
    for name in exporters:
        if name not in EXPORTERS:
            raise TracingUnavailable(f"OTEL_TRACES_EXPORTER: {name!r} is not an exporter "
                                     f"Vmeste has ({', '.join(EXPORTERS)}, or none)")
    if "otlp" in exporters:
        protocol = (environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "").strip()
                    or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "").strip() or OTLP_PROTOCOL)
        if protocol != OTLP_PROTOCOL:
            raise TracingUnavailable(f"OTLP protocol {protocol!r} is not installed; Vmeste "
                                     f"exports traces over {OTLP_PROTOCOL}")
    return exporters


def configure_tracing(process: str) -> bool:
    """Switch tracing on in this process (``api``, ``worker``, ``scheduler``: the
    default service name is ``vmeste-<process>``) when the variables ask for it; True
    when on. Raises :class:`TracingUnavailable` when asked for and impossible. Safe to
    call again (uvicorn's worker calls it when the app factory runs)."""
    global _tracer
    if _tracer is not None:
        return True
    exporters = requested_exporters(os.environ)
    if not exporters:
        return False
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )

        if "otlp" in exporters:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        raise TracingUnavailable(
            f"tracing is switched on ({_switch(os.environ)}) but OpenTelemetry is not "
            "installed: install vmeste[otel], or unset the OTEL_* variables") from None
    named = SERVICE_NAME in OTELResourceDetector().detect().attributes
    resource = Resource.create(None if named else {SERVICE_NAME: f"vmeste-{process}"})
    provider = TracerProvider(resource=resource)
    if "otlp" in exporters:
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if "console" in exporters:
        # For a developer watching: each span at once, one JSON object a line.
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(
            formatter=lambda span: span.to_json(indent=None) + os.linesep)))
    trace.set_tracer_provider(provider)
    _tracer = trace.get_tracer("vmeste")
    return True


def _switch(environ: Mapping[str, str]) -> str:
    """Which variable switched tracing on (one did, or nothing was asked for)."""
    switches = ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "OTEL_EXPORTER_OTLP_ENDPOINT")
    return next(f"{name} is set" for name in switches if environ.get(name, "").strip())


def tracing_enabled() -> bool:
    return _tracer is not None


def _traceparent_of(span: Any) -> str:
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def _parent(traceparent: str) -> Any:
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    return TraceContextTextMapPropagator().extract({"traceparent": traceparent} if traceparent
                                                   else {})


@contextmanager
def _span(name: str, kind: str, parent: str, attributes: dict[str, Any],
          not_failures: tuple[type[BaseException], ...] = ()) -> Iterator[Any]:
    """A span current for the block, whose ``traceparent`` the rows written meanwhile
    store; an exception (but ``not_failures``) marks it failed by its type alone."""
    from opentelemetry.trace import SpanKind, Status, StatusCode

    if request_id := current_request_id():
        attributes = {**attributes, "vmeste.request_id": request_id}
    with _tracer.start_as_current_span(
            name, context=_parent(parent), kind=SpanKind[kind], attributes=attributes,
            record_exception=False, set_status_on_exception=False) as span:
        previous = current_traceparent()
        set_traceparent(_traceparent_of(span))
        try:
            yield span
        except BaseException as error:
            if not isinstance(error, not_failures):
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                span.set_attribute("error.type", type(error).__qualname__)
            raise
        finally:
            set_traceparent(previous)


def server_span(method: str, path: str, traceparent: str) -> Any:
    """The span of one HTTP request, continuing the caller's trace when it sent one."""
    return _span(method, "SERVER", traceparent,
                 {"http.request.method": method, "url.path": path})


def finish_server_span(span: Any, status: int, route: str | None, operation: str | None
                       ) -> None:
    """What is known once the response went out: its status, the route (then the span's
    name, as the semantic conventions have it) and the GraphQL operation's name."""
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute("http.response.status_code", status)
    if route:
        span.set_attribute("http.route", route)
        span.update_name(f"{span.name} {route}")
    if operation:
        span.set_attribute("graphql.operation.name", operation)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


def job_span(queue: str, traceparent: str, attributes: dict[str, Any],
             not_failures: tuple[type[BaseException], ...] = ()) -> AbstractContextManager[Any]:
    """The span of one job, a child of the span that wrote its outbox row; nothing when
    tracing is off. The ``attributes`` (the job's log fields: ids, never values) go
    under ``vmeste.``; ``not_failures`` end the span without failing it (a job put off
    for later)."""
    if _tracer is None:
        return nullcontext()
    return _span(f"process {queue}", "CONSUMER", traceparent, {
        "messaging.system": "dramatiq", "messaging.operation.type": "process",
        "messaging.destination.name": queue,
        **{f"vmeste.{key}": value for key, value in attributes.items() if value is not None},
    }, not_failures)
