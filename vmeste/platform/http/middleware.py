"""The HTTP middlewares every request crosses before any route: the body limit and
authentication (load shedding is :mod:`vmeste.platform.http.shedding`). They know
nothing of GraphQL, so a plugin's routes (``vmeste_http_routes``) get them too."""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from vmeste.platform.http.protocol import HttpErrorCode
from vmeste.platform.http.protocol import json_error as _json_error
from vmeste.platform.i18n import _
from vmeste.platform.identity.authenticate import Authenticator, bearer_token
from vmeste.platform.identity.principal import Principal
from vmeste.platform.identity.tokens import TokenError
from vmeste.platform.ratelimits.clients import client_key, parse_networks
from vmeste.platform.ratelimits.limiter import Budget, Refusal, RequestLimiter
from vmeste.platform.settings import Settings

log = logging.getLogger("vmeste.app")


class BodyLimitMiddleware:
    """Reads the request body up to the limit before anything parses it; oversized
    requests get 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_big(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_big(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_big(self, scope: Scope, receive: Receive, send: Send) -> None:
        from vmeste.platform.observability.metrics import Refused, refused

        refused(Refused.TOO_LARGE)
        response = _json_error(413, HttpErrorCode.REQUEST_TOO_LARGE,
                               _("The request is larger than {limit} bytes",
                                 limit=self.max_bytes))
        await response(scope, receive, send)


class AuthenticationMiddleware:
    """Resolves the bearer token once per HTTP request; a bad token is a 401, never an
    anonymous request, so a client with an expired token learns it at once.

    Each refused token spends the client address's ``auth_failures`` budget; once it is
    used up, requests with a token get 429 before the token is verified, so a flood of
    forged tokens costs neither signature checks nor user look-ups.
    """

    def __init__(self, app: ASGIApp, authenticator: Authenticator,
                 settings: Settings) -> None:
        self.app = app
        self.authenticator = authenticator
        self.limiter = RequestLimiter(settings) if settings.rate_limits else None
        self.trusted = parse_networks(settings.trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers", [])).get(b"authorization")
        principal = self._known(header)
        if principal is None:
            key = f"ip:{client_key(scope, self.trusted)}" if self.limiter is not None else ""
            if header and self.limiter is not None:
                refusal = await self.limiter.exhausted(Budget.AUTH_FAILURES, key)
                if refusal is not None:
                    log.info("rate limited: %s budget", refusal.budget.value)
                    await too_many_requests(refusal)(scope, receive, send)
                    return
            try:
                token = bearer_token(header.decode("latin-1") if header else None)
                principal = await self.authenticator(token)
            except TokenError as error:
                if self.limiter is not None:
                    await self.limiter.spend(Budget.AUTH_FAILURES, key)
                await self._refuse(scope, receive, send, error)
                return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    def _known(self, header: bytes | None) -> Principal | None:
        """The principal of a token verified moments ago: it costs no verification, so
        it skips the failures' budget (a forged token is never in the cache)."""
        if not header:
            return None
        try:
            token = bearer_token(header.decode("latin-1"))
        except TokenError:
            return None
        return self.authenticator.cached(token) if token is not None else None

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, error: TokenError) -> None:
        log.info("token refused: %s", error.reason)
        response = _json_error(401, "UNAUTHENTICATED", error.message,
                               **{"WWW-Authenticate": 'Bearer error="invalid_token"'})
        await response(scope, receive, send)


def too_many_requests(refusal: Refusal) -> JSONResponse:
    return JSONResponse({"errors": [{"message": refusal.message,
                                     "extensions": refusal.extensions}]},
                        status_code=429, headers={"Retry-After": str(refusal.retry_after)})
