"""Every HTTP request and WebSocket gets a request id, and every HTTP request one access
line (and, with tracing on, a server span).

The edge (:mod:`vmeste.platform.http.edge`) runs :func:`traced` outside its guards, so
their refusals (413, 503, 401) carry the id too. The id is the client's
``X-Request-Id`` when well-formed, else a fresh one; it is echoed in the response,
current while the request runs (log lines, a masked error's ``extensions.requestId``,
the outbox rows the request writes all read it), and so it reaches the jobs those rows
become.

The access line names the path without its query string: a GET to ``/graphql`` carries
the query and its variables there. The probes' lines are DEBUG, and they get no span:
an orchestrator asks every few seconds, and a line or a span each time would bury the
requests. A WebSocket's line is written when it closes; it gets no span (it may stay
open for hours).
"""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vmeste.platform.http.locale import label
from vmeste.platform.http.shedding import PROBES, route_path
from vmeste.platform.observability import tracing
from vmeste.platform.work_context import accepted_request_id, carried

log = logging.getLogger("vmeste.access")

HEADER = b"x-request-id"
#: Where the GraphQL view leaves the operation's name (see :func:`name_operation`).
OPERATION = "vmeste.operation"
_MAX_PATH = 200
#: What a path may show in a log line; a percent-decoded path can hold anything.
_UNPRINTABLE = re.compile(r"[^\x21-\x7e\u00a0-\uffff]")


def name_operation(scope: Scope, name: str) -> None:
    """The GraphQL operation's name (a checked GraphQL name), for the access line and
    the span."""
    scope[OPERATION] = name


def _loggable(path: str) -> str:
    return _UNPRINTABLE.sub("?", path[:_MAX_PATH])


class Exchange:
    """One request's answer as it goes out: the id added, an HTTP answer labelled with
    its language, the status noted."""

    def __init__(self, scope: Scope, send: Send, request_id: str, locale: str | None
                 ) -> None:
        self.scope = scope
        self.downstream = send
        self.echoed = (HEADER, request_id.encode("latin-1"))
        self.locale = locale
        self.status = 500  # the app failed before it answered
        self.started = time.perf_counter()

    async def send(self, message: Message) -> None:
        if message["type"] in ("http.response.start", "websocket.accept"):
            self.status = message.get("status", 101)
            message["headers"] = headers = [*message.get("headers", ()), self.echoed]
            if self.locale is not None:
                label(headers, self.locale)
        elif message["type"] == "websocket.close" and self.status == 500:
            self.status = 403  # refused before it was accepted
        await self.downstream(message)

    def log(self) -> None:
        """The access line (in the request's context: its id, its trace)."""
        path = route_path(self.scope)
        method = self.scope.get("method", "WEBSOCKET")
        level = logging.DEBUG if path in PROBES else logging.INFO
        if not log.isEnabledFor(level):
            return
        shown = _loggable(path)
        duration_ms = round((time.perf_counter() - self.started) * 1000, 1)
        fields = {"method": method, "path": shown, "status": self.status,
                  "duration_ms": duration_ms}
        if operation := self.scope.get(OPERATION):
            fields["operation"] = operation
        log.log(level, "%s %s %d %.1f ms", method, shown, self.status, duration_ms,
                extra=fields)


async def traced(app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                 headers: dict[bytes, bytes], locale: str | None) -> None:
    """``app``'s answer under the request's id (and span), then its access line;
    ``locale`` labels an HTTP answer (None for a WebSocket's handshake)."""
    incoming = headers.get(HEADER)
    request_id = accepted_request_id(incoming.decode("latin-1") if incoming else None)
    exchange = Exchange(scope, send, request_id, locale)
    with carried(request_id):
        if not tracing.tracing_enabled() or scope["type"] != "http" or \
                route_path(scope) in PROBES:
            await _answer(app, scope, receive, exchange)
            return
        parent = headers.get(b"traceparent", b"").decode("latin-1")
        with tracing.server_span(scope["method"], route_path(scope), parent) as span:
            await _answer(app, scope, receive, exchange, span)


async def _answer(app: ASGIApp, scope: Scope, receive: Receive, exchange: Exchange,
                  span: object = None) -> None:
    """The app's answer, then (the response out, still in the request's span) what the
    span learnt and the access line."""
    try:
        await app(scope, receive, exchange.send)
    finally:
        if span is not None:
            tracing.finish_server_span(span, exchange.status,
                                       getattr(scope.get("route"), "path", None),
                                       scope.get(OPERATION))
        exchange.log()
