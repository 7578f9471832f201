"""The request id (and the trace context) of the work in hand, as context variables.

One id follows one piece of work from the HTTP request that started it, through every
outbox row written while it runs, into each job those rows become and the rows that job
writes in turn. A log line, a masked error's ``extensions.requestId`` and an outbox row
all read it from here, so an operator greps one id across the API's and the workers'
logs. The W3C ``traceparent`` travels the same way, so a job's span joins the request's
trace (:mod:`vmeste.platform.observability.tracing`).
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar

#: What an incoming ``X-Request-Id`` may look like to be reused (a proxy's id ties our
#: log line to its own); anything else could smuggle text into the logs.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
#: A W3C trace context header, version 00: 55 characters.
TRACEPARENT = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")

_request_id: ContextVar[str] = ContextVar("vmeste_request_id", default="")
_traceparent: ContextVar[str] = ContextVar("vmeste_traceparent", default="")


def accepted_request_id(incoming: str | None) -> str:
    """The caller's id when well-formed, else a fresh one: the id a user quotes from a
    masked error and an operator finds in the log."""
    if incoming and REQUEST_ID.fullmatch(incoming):
        return incoming
    return os.urandom(16).hex()  # 128 random bits, as a uuid4 has, at a quarter of its cost


def current_request_id() -> str:
    """The id of the work in hand; "" outside a request or a job that carries one."""
    return _request_id.get()


def current_traceparent() -> str:
    """The trace context a row written now should carry to its job ("" when none)."""
    return _traceparent.get()


class carried:
    """Make ``request_id`` and ``traceparent`` current for a block: a request, or a job
    continuing the work its outbox row was written for. Malformed values (a row written
    by hand, a broker message from elsewhere) are dropped rather than logged. A class, not
    a generator: every request enters one."""

    __slots__ = ("_tokens", "request_id", "traceparent")

    def __init__(self, request_id: str, traceparent: str = "") -> None:
        self.request_id = request_id if REQUEST_ID.fullmatch(request_id) else ""
        self.traceparent = traceparent if TRACEPARENT.fullmatch(traceparent) else ""

    def __enter__(self) -> None:
        self._tokens = (_request_id.set(self.request_id), _traceparent.set(self.traceparent))

    def __exit__(self, *_exc: object) -> None:
        _traceparent.reset(self._tokens[1])
        _request_id.reset(self._tokens[0])


def set_traceparent(traceparent: str) -> None:
    """The span now current (a request's or a job's) is the parent of what follows in
    this context; set inside a :func:`carried` block, which restores the old value."""
    _traceparent.set(traceparent)
