"""Log lines of every long-running process: one JSON object a line for a log pipeline,
or readable text for a developer's terminal (``VMESTE_LOG_FORMAT``).

Both carry the process (``api``, ``worker``, ``scheduler``), the current request id
(:mod:`vmeste.platform.work_context`), the trace id when tracing is on, and a
few structured fields a caller passes with ``extra=``; nothing else of ``extra`` is
printed, so a field added for one line cannot leak into the log by accident.
Exceptions are printed as their types and traceback frames, never their messages: a
driver's or a library's exception quotes the values it choked on, and those are a
citizen's address or passport number.

uvicorn's loggers go through the same handler (``vmeste serve`` hands uvicorn
:func:`logging_config`); its access log is off, because it prints query strings and a
GET to ``/graphql`` carries the query and its variables there. The access line comes
from :mod:`vmeste.platform.http.request_id` instead.
"""

from __future__ import annotations

import logging
import logging.config
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson

from vmeste.platform.observability.tracing import configure_tracing
from vmeste.platform.settings import Settings
from vmeste.platform.work_context import current_request_id, current_traceparent

#: The ``extra=`` fields a line may carry (besides any ``*_id`` integer, a subject's id).
FIELDS = frozenset({
    "topic", "actor", "outbox_id", "message_id", "outcome", "duration_ms", "status",
    "method", "path", "operation",
})
#: Loggers that print what must not be logged whatever ``VMESTE_LOG_LEVEL`` says: at
#: DEBUG, Tortoise and aiosqlite print every query's parameters (personal data),
#: httpx and httpcore every URL they call (a webhook's URL may hold its secret), pika
#: its connection parameters. Kept at WARNING or above.
QUIET = ("tortoise", "aiosqlite", "asyncpg", "httpx", "httpcore", "pika")
#: Attributes every LogRecord has; anything else came in through ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "color_message", "taskName"}


def traceback_without_messages(exception: BaseException) -> str:
    """The exception chain as types and frames (file, line, function, source line):
    everything a developer needs to find the bug and nothing the caller sent."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exception
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        lines.append(f"{_type_name(current)}\n")
        lines.extend(traceback.format_list(traceback.extract_tb(current.__traceback__)))
        current = current.__cause__ or current.__context__
    return "".join(lines).rstrip()


def _type_name(error: BaseException) -> str:
    kind = type(error)
    return f"{kind.__module__}.{kind.__qualname__}"


def structured_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The allowed ``extra=`` fields of a record, in the order they were given."""
    fields: dict[str, Any] = {}
    for key, value in vars(record).items():
        if key in _STANDARD or key == "request_id":
            continue
        if key in FIELDS or (key.endswith("_id") and type(value) is int):
            fields[key] = value
    return fields


#: The last second a line was stamped in and its ISO text: the API stamps one access
#: line per request, and building the text through ``datetime`` took a tenth of a line.
_second: tuple[int, str] = (-1, "")


def _timestamp(record: logging.LogRecord) -> str:
    global _second
    created = record.created
    second = int(created)
    cached = _second  # read once: another thread may stamp another second meanwhile
    if cached[0] != second:
        cached = _second = (second, datetime.fromtimestamp(second, UTC).strftime(
            "%Y-%m-%dT%H:%M:%S"))
    return f"{cached[1]}.{int((created - second) * 1000):03d}Z"


def _request_id(record: logging.LogRecord) -> str:
    given = getattr(record, "request_id", "")
    return given if isinstance(given, str) and given else current_request_id()


class JsonFormatter(logging.Formatter):
    """One JSON object a line (orjson: the API writes one per request)."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _timestamp(record), "level": record.levelname, "logger": record.name,
            "message": record.getMessage(), "process": self.process,
        }
        if request_id := _request_id(record):
            line["request_id"] = request_id
        if traceparent := current_traceparent():  # "00-<trace id>-<span id>-<flags>"
            line["trace_id"] = traceparent[3:35]
        line.update(structured_fields(record))
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            line["error"] = _type_name(error)
            line["traceback"] = traceback_without_messages(error)
        if record.stack_info:
            line["stack"] = record.stack_info
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """Readable lines for a terminal: time, level, logger, request id, the message,
    the structured fields, and the exception's types and frames below."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        request_id = _request_id(record)
        message = record.getMessage()
        said = set(message.split())  # a field the message already shows is not repeated
        fields = " ".join(f"{key}={value}" for key, value in structured_fields(record).items()
                          if str(value) not in said)
        text = (f"{_timestamp(record)} {record.levelname:<7} {self.process} {record.name}"
                f"{f' [{request_id}]' if request_id else ''} {message}"
                f"{f'  {fields}' if fields else ''}")
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + traceback_without_messages(record.exc_info[1])
        if record.stack_info:
            text += "\n" + record.stack_info
        return text


class WithoutWebSocketLines(logging.Filter):
    """uvicorn's error logger writes each WebSocket handshake as ``<client> - "WebSocket
    <path with its query string>"``: a client address and whatever the query carries.
    The platform's own access line (http/request_id.py) says the same without both."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith('%s - "WebSocket'))


def logging_config(settings: Settings, process: str) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` document of a process; uvicorn applies it in
    each of its worker processes too (``log_config=``)."""
    formatter = JsonFormatter if settings.log_format == "json" else TextFormatter
    level = settings.log_level
    quiet = logging.getLevelName(max(logging.WARNING, logging.getLevelNamesMapping()[level]))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"vmeste": {"()": f"{__name__}.{formatter.__qualname__}",
                                  "process": process}},
        "filters": {"websocket_lines": {"()": f"{__name__}.WithoutWebSocketLines"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "vmeste",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's own configuration gives them handlers of their own; here they
            # propagate to the one handler instead.
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True,
                              "filters": ["websocket_lines"]},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            **{name: {"level": quiet, "handlers": [],
                      "propagate": True} for name in QUIET},
        },
    }


def configure_logging(settings: Settings, process: str) -> None:
    """Send this process's logs (its libraries' too) through the one formatter; safe to
    call again (a uvicorn worker calls it when the app factory runs).

    The record attributes neither formatter prints are not collected (the logging
    HOWTO's "Optimization"): the caller's frame, thread, process and multiprocessing
    names cost about 15 of the 35 microseconds of each request's access line."""
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging.config.dictConfig(logging_config(settings, process))
    logging.captureWarnings(True)


def observe_process(settings: Settings, process: str) -> None:
    """Tracing when the ``OTEL_*`` variables ask for it, then the logs, for a process
    that has just started (a command, a uvicorn worker, a worker's spawned child);
    raises ``TracingUnavailable`` when tracing is asked for and impossible."""
    configure_tracing(process)
    configure_logging(settings, process)
