"""The guards every HTTP request passes before any route, as parts the edge
(:mod:`vmeste.platform.http.edge`) runs in turn: the body limit and authentication (load
shedding is :mod:`vmeste.platform.http.shedding`). They know nothing of GraphQL, so a
plugin's routes (``vmeste_http_routes``) are guarded too."""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope

from vmeste.platform.http.protocol import HttpErrorCode
from vmeste.platform.http.protocol import json_error as _json_error
from vmeste.platform.i18n import _
from vmeste.platform.identity.authenticate import Authenticator, bearer_token
from vmeste.platform.identity.principal import Principal
from vmeste.platform.identity.tokens import TokenError
from vmeste.platform.observability.metrics import Refused, refused
from vmeste.platform.ratelimits.clients import client_key, parse_networks
from vmeste.platform.ratelimits.limiter import Budget, Refusal, RequestLimiter
from vmeste.platform.settings import Settings

log = logging.getLogger("vmeste.app")


async def read_body(receive: Receive, declared: bytes | None, max_bytes: int) -> bytes | None:
    """The whole request body, read before anything parses it; None when it is larger
    than ``max_bytes`` (declared so, or found so while reading)."""
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """``receive`` for the app behind: the body read already, then the connection's own
    messages (a disconnect)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def too_large(max_bytes: int) -> Response:
    refused(Refused.TOO_LARGE)
    return _json_error(413, HttpErrorCode.REQUEST_TOO_LARGE,
                       _("The request is larger than {limit} bytes", limit=max_bytes))


class Authentication:
    """Resolves the bearer token once per HTTP request; a bad token is a 401, never an
    anonymous request, so a client with an expired token learns it at once.

    Each refused token spends the client address's ``auth_failures`` budget; once it is
    used up, requests with a token get 429 before the token is verified, so a flood of
    forged tokens costs neither signature checks nor user look-ups.
    """

    def __init__(self, authenticator: Authenticator, settings: Settings) -> None:
        self.authenticator = authenticator
        self.limiter = RequestLimiter(settings) if settings.rate_limits else None
        self.trusted = parse_networks(settings.trusted_proxies)

    async def principal(self, scope: Scope, header: bytes | None) -> Principal | Response:
        """The caller, or the refusal to send instead."""
        known = self._known(header)
        if known is not None:
            return known
        key = f"ip:{client_key(scope, self.trusted)}" if self.limiter is not None else ""
        if header and self.limiter is not None:
            refusal = await self.limiter.exhausted(Budget.AUTH_FAILURES, key)
            if refusal is not None:
                log.info("rate limited: %s budget", refusal.budget.value)
                return too_many_requests(refusal)
        try:
            token = bearer_token(header.decode("latin-1") if header else None)
            return await self.authenticator(token)
        except TokenError as error:
            if self.limiter is not None:
                await self.limiter.spend(Budget.AUTH_FAILURES, key)
            log.info("token refused: %s", error.reason)
            return _json_error(401, "UNAUTHENTICATED", error.message,
                               **{"WWW-Authenticate": 'Bearer error="invalid_token"'})

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


def too_many_requests(refusal: Refusal) -> JSONResponse:
    return JSONResponse({"errors": [{"message": refusal.message,
                                     "extensions": refusal.extensions}]},
                        status_code=429, headers={"Retry-After": str(refusal.retry_after)})
