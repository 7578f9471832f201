"""The edge: one ASGI layer that every HTTP request and WebSocket crosses before any route.

The edge does, in this order:

1. it makes the request's language current (:mod:`~vmeste.platform.http.locale`);
2. it gives the request its id, and its span when tracing is on, and writes its access line
   (:mod:`~vmeste.platform.http.request_id`);
3. it hands over to CORS, when origins are configured;
4. for HTTP only, it reads the body up to the limit, takes a slot
   (:mod:`~vmeste.platform.http.shedding`) and authenticates the caller
   (:mod:`~vmeste.platform.http.middleware`). An upload route (``http/uploads.py``) turns
   this around: the caller is authenticated from the header first (no token or a bad
   one is a 401 at once), then an upload slot (``VMESTE_ATTACHMENT_CONCURRENT_UPLOADS``)
   and a request slot are taken, and only then is its large body read, so nobody
   unauthenticated costs the process a body's memory and the bodies held at once are
   bounded.

Each step's refusal passes through the steps before it. So a 401 carries the CORS headers
that let a browser read it, the request id, and the caller's language.

**Why one layer.** These used to be five middlewares. Each one added a coroutine frame to
every request, and most added a wrapper around every message sent. The headers were also
turned into a dict five times. A read answered from a compiled plan costs about a third of
a millisecond, and those layers were a real share of it.

**Direct routes.** Paths in ``direct`` (the GraphQL endpoint) go straight to their app.
They skip Starlette's exception middleware and router, which such an app does not use: it
answers its own errors. Its ``route`` and ``endpoint`` are still set in the scope, as the
router would set them. Unhandled errors still reach Starlette's outermost error middleware.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from vmeste.platform.http.locale import negotiated
from vmeste.platform.http.middleware import Authentication, read_body, replaying, too_large
from vmeste.platform.http.protocol import json_error
from vmeste.platform.http.request_id import traced
from vmeste.platform.http.shedding import PROBES, Slots, route_path
from vmeste.platform.i18n import _, use_locale
from vmeste.platform.identity.authenticate import Authenticator
from vmeste.platform.settings import Settings

#: Scope key: the request's headers as a dict, built once for every step.
HEADERS = "vmeste.headers"
#: Scope key: the HTTP request's body, read once by the edge (the route may take it
#: from here rather than from ``receive``, which replays it).
BODY = "vmeste.body"


class Edge:
    def __init__(self, app: ASGIApp, *, settings: Settings, authenticator: Authenticator,
                 direct: Mapping[str, Route] | None = None,
                 body_limits: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default_locale = settings.locale
        self.max_bytes = settings.max_request_bytes
        #: Paths whose bodies have their own limit (uploads; see ``http/uploads.py``).
        self.body_limits = dict(body_limits or {})
        self.slots = Slots(settings.max_inflight, settings.inflight_wait_ms)
        self.uploads = Slots(settings.attachment_concurrent_uploads, settings.inflight_wait_ms)
        self.authentication = Authentication(authenticator, settings)
        self.direct = dict(direct or {})
        self.inner: ASGIApp = self.guarded
        if settings.allowed_origins:
            self.inner = CORSMiddleware(
                self.guarded, allow_origins=list(settings.allowed_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
                expose_headers=["X-Request-Id"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        headers = scope[HEADERS] = dict(scope["headers"])
        locale = negotiated(headers.get(b"accept-language"), self.default_locale)
        with use_locale(locale):
            await traced(self.inner, scope, receive, send, headers,
                         locale if kind == "http" else None)

    async def guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The body limit, a slot and the caller, then the route (HTTP only: a
        WebSocket's caller is checked by its own handler, and it is bounded elsewhere)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = scope[HEADERS]
        upload_limit = self.body_limits.get(scope["path"]) if self.body_limits else None
        if upload_limit is not None:
            await self._upload(scope, receive, send, headers, upload_limit)
            return
        limit = self.max_bytes
        body = await read_body(receive, headers.get(b"content-length"), limit)
        if body is None:
            await too_large(limit)(scope, receive, send)
            return
        scope[BODY] = body
        receive = replaying(body, receive)
        path = route_path(scope)
        if path in PROBES:  # the orchestrator must see the process as it is
            await self._admitted(scope, receive, send, headers, path)
            return
        if not await self.slots.acquire():
            await self.slots.shed()(scope, receive, send)
            return
        try:
            await self._admitted(scope, receive, send, headers, path)
        finally:
            self.slots.release()

    async def _upload(self, scope: Scope, receive: Receive, send: Send,
                      headers: dict[bytes, bytes], limit: int) -> None:
        """An upload route: the caller, an upload slot and a request slot, then the body."""
        principal = await self.authentication.principal(scope, headers.get(b"authorization"))
        if isinstance(principal, Response):  # a bad token
            await principal(scope, receive, send)
            return
        if principal.user is None:
            await json_error(401, "UNAUTHENTICATED", _("Sign in to upload files"),
                             **{"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        if not await self.uploads.acquire():
            await self.uploads.shed()(scope, receive, send)
            return
        try:
            if not await self.slots.acquire():
                await self.slots.shed()(scope, receive, send)
                return
            try:
                body = await read_body(receive, headers.get(b"content-length"), limit)
                if body is None:
                    await too_large(limit)(scope, receive, send)
                    return
                scope[BODY] = body
                scope.setdefault("state", {})["principal"] = principal
                await self.app(scope, replaying(body, receive), send)
            finally:
                self.slots.release()
        finally:
            self.uploads.release()

    async def _admitted(self, scope: Scope, receive: Receive, send: Send,
                        headers: dict[bytes, bytes], path: str) -> None:
        principal = await self.authentication.principal(scope, headers.get(b"authorization"))
        if isinstance(principal, Response):  # refused
            await principal(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        route = self.direct.get(path)
        if route is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = route
        scope["endpoint"] = route.endpoint
        scope["path_params"] = {}
        await route.app(scope, receive, send)
