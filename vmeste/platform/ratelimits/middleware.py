"""Spending request budgets on ``POST /graphql`` before the schema runs.

Anonymous requests spend the anonymous budget of their client address; authenticated
ones spend their principal's read or mutation budget (one account keeps its budget
behind a shared NAT, and a new address does not refill it). Health probes and the
WebSocket endpoint are not counted here: subscriptions have a per-principal connection
cap instead. Over a budget: 429 with ``Retry-After`` and a GraphQL-shaped body whose
``extensions.code`` is ``RATE_LIMITED``.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vmeste.platform.errors import ErrorCode
from vmeste.platform.identity.principal import ANONYMOUS, Principal
from vmeste.platform.ratelimits.clients import client_address, parse_networks
from vmeste.platform.ratelimits.limiter import Budget, Refusal, RequestLimiter
from vmeste.platform.ratelimits.operations import Operation, classify
from vmeste.platform.settings import Settings

log = logging.getLogger("vmeste.ratelimits")

LIMITED_PATH = "/graphql"


def too_many_requests(refusal: Refusal) -> JSONResponse:
    body = {"errors": [{
        "message": f"Слишком много запросов: повторите через {refusal.retry_after} с",
        "extensions": {"code": ErrorCode.RATE_LIMITED.value,
                       "retryAfter": refusal.retry_after, "budget": refusal.budget.value},
    }]}
    return JSONResponse(body, status_code=429, headers={"Retry-After": str(refusal.retry_after)})


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    """The whole body, and the messages that carried it for replay."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    return body, messages


class RateLimitMiddleware:
    """Runs after authentication (it needs the principal) and after the body limit (so
    the body it reads is already bounded)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limiter = RequestLimiter(settings)
        self.trusted = parse_networks(settings.trusted_proxies)
        self.max_tokens = settings.max_query_tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope.get("method") != "POST"
                or scope.get("path") != LIMITED_PATH):
            await self.app(scope, receive, send)
            return
        body, messages = await _read_body(receive)
        principal: Principal = scope.get("state", {}).get("principal", ANONYMOUS)
        operation, cost = classify(body, self.max_tokens)
        if principal.authenticated:
            budget = Budget.MUTATIONS if operation == Operation.MUTATION else Budget.READS
            key = f"principal:{principal.actor}"
        else:
            budget, key = Budget.ANONYMOUS, f"ip:{client_address(scope, self.trusted)}"
        refusal = await self.limiter.spend(budget, key, cost)
        if refusal is not None:
            # The key names an account or an address: keep it out of the log.
            log.info("rate limited: %s budget", budget.value)
            await too_many_requests(refusal)(scope, receive, send)
            return
        pending = list(messages)

        async def replay() -> Any:
            if pending:
                return pending.pop(0)
            return await receive()

        await self.app(scope, replay, send)
