"""Request budgets (``VMESTE_RATE_LIMIT_*``) spent where every transport meets: the schema.

``GET``, ``POST`` and operations over the WebSocket all run through here, after parsing
and validation, so the budget follows the operation type Strawberry actually chose (with
``operationName``) and no document is parsed twice. Anonymous callers spend their client
address's budget (an IPv6 client: its /64); authenticated ones their principal's read or
mutation budget, wherever they come from. A request that fails to parse or validate
never executes; it still spends one read, so a flood of them runs dry like any other.

Over a budget the operation is not run: over HTTP the answer is 429 with ``Retry-After``;
on a WebSocket the operation's error carries the same ``RATE_LIMITED`` code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    get_operation_ast,
)
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from vmeste.platform.identity.principal import ANONYMOUS, Principal
from vmeste.platform.observability.metrics import refused
from vmeste.platform.ratelimits.clients import Network, client_key, parse_networks
from vmeste.platform.ratelimits.limiter import Budget, Refusal, RequestLimiter
from vmeste.platform.settings import Settings

#: Scope state key: a compiled plan already spent this request's budget (the refusal it
#: got, or None, in a 1-tuple) before handing the request to the resolvers.
PREPAID = "vmeste.prepaid"


class RateLimit(SchemaExtension):
    def __init__(self, limiter: RequestLimiter, trusted: tuple[Network, ...]) -> None:
        self.limiter = limiter
        self.trusted = trusted
        self.spent = False

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        if not self.spent:  # refused before execution: parse or validation errors
            await self._spend(Budget.READS)

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        if ctx.operation_type is OperationType.MUTATION:
            refusal = await self._spend(Budget.MUTATIONS, _root_fields(ctx))
        else:
            refusal = await self._spend(Budget.READS)
        if refusal is not None:
            refused(refusal.reason)
            error = GraphQLError(refusal.message, extensions=refusal.extensions)
            if ctx.operation_type is OperationType.SUBSCRIPTION:
                raise error  # Strawberry subscribes a preset result, but answers this
            ctx.result = ExecutionResult(data=None, errors=[error])
            _answer_429(ctx.context, refusal)
        yield

    async def _spend(self, budget: Budget, units: int = 1) -> Refusal | None:
        self.spent = True
        context = self.execution_context.context
        scope = getattr(getattr(context, "request", None), "scope", {})
        prepaid = scope.get("state", {}).get(PREPAID)
        if prepaid is not None:  # a compiled plan spent it, then handed the request over
            return prepaid[0]  # type: ignore[no-any-return]
        budget, key = budget_key(budget, getattr(context, "principal", ANONYMOUS), scope,
                                 self.trusted)
        # A refusal is logged with the operation's other errors (``error_log``).
        return await self.limiter.spend(budget, key, units)


def budget_key(budget: Budget, principal: Principal, scope: Any,
               trusted: tuple[Network, ...]) -> tuple[Budget, str]:
    """Whose budget a request spends: an authenticated principal's own, else its client
    address's anonymous one."""
    if principal.authenticated:
        return budget, f"principal:{principal.actor}"
    return Budget.ANONYMOUS, f"ip:{client_key(scope, trusted)}"


def _root_fields(ctx: Any) -> int:
    """How many mutations one document runs: thirty aliased mutation fields are thirty
    mutations, not one (fragments at the root are expanded)."""
    document = ctx.graphql_document
    operation = get_operation_ast(document, ctx.operation_name) if document else None
    if operation is None:
        return 1
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    count, pending, seen = 0, [operation.selection_set], set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                count += selection.name.value != "__typename"
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif (isinstance(selection, FragmentSpreadNode)
                  and selection.name.value not in seen
                  and selection.name.value in fragments):
                seen.add(selection.name.value)
                pending.append(fragments[selection.name.value].selection_set)
    return max(count, 1)


def _answer_429(context: Any, refusal: Refusal) -> None:
    """Over HTTP the response is Strawberry's sub-response; on a WebSocket it is the
    socket itself, which has no status."""
    response = getattr(context, "response", None)
    if isinstance(response, Response):
        response.status_code = 429
        response.headers["Retry-After"] = str(refusal.retry_after)


def rate_limits(settings: Settings, limiter: RequestLimiter | None) -> list[Any]:
    """The extension for ``build_schema`` (none with ``VMESTE_RATE_LIMITS=0``); its
    counters belong to the schema, so one app keeps one set, which compiled plans
    (``vmeste.schema.compiled.reads``) spend too."""
    if limiter is None:
        return []
    trusted = parse_networks(settings.trusted_proxies)
    return [lambda: RateLimit(limiter, trusted)]
