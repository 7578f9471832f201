"""The compiled path's front door: a GraphQL request over HTTP whose document has a plan
is answered here, before Strawberry's pipeline, with the checks that pipeline would make
on a document it has parsed and validated before (the variables, the cost budget, the
rate limit); anything else, and anything a plan steps aside from, goes on to Strawberry.

A document is parsed, validated (with the schema's own rules) and compiled once; its
plan, or the fact that it has none, is kept by document and operation name.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import GraphQLSyntaxError, parse, specified_rules, validate
from graphql.execution.values import get_variable_values
from starlette.requests import Request
from strawberry.http import GraphQLRequestData

from vmeste.platform.identity.principal import ANONYMOUS
from vmeste.platform.observability.metrics import COMPILED, read_fallback
from vmeste.platform.ratelimits.clients import parse_networks
from vmeste.platform.ratelimits.limiter import Budget
from vmeste.platform.runtime import Runtime
from vmeste.schema import VmesteSchema
from vmeste.schema.compiled.plans import Fallback, Plan, compile_plan
from vmeste.schema.compiled.selection import NotCompilable, fragments_of
from vmeste.schema.compiled.statements import Statements
from vmeste.schema.context import Context
from vmeste.schema.guards import document_defect, over_budget, variables_defect
from vmeste.schema.loaders import Loaders
from vmeste.schema.nesting import MAX_EXPANDED_SELECTIONS, MAX_SELECTION_NESTING, expanded
from vmeste.schema.ratelimit import PREPAID, budget_key

log = logging.getLogger("vmeste.reads")

#: Scope state key: the operation that answered a request, as the request's metrics
#: label it: (name or None, operation type, path); the view observes it.
ANSWERED = "vmeste.answered"


@dataclass
class ReadStats:
    """What the front door did, for tests, benchmarks and the coverage report."""

    #: HTTP requests a plan answered.
    compiled: int = 0
    #: HTTP requests the resolvers answered (no plan, or the plan stepped aside).
    interpreted: int = 0
    #: Why plans stepped aside, by reason.
    fallbacks: Counter[str] = field(default_factory=Counter)
    #: Why documents got no plan, by reason.
    refusals: Counter[str] = field(default_factory=Counter)


class CompiledReads:
    def __init__(self, schema: VmesteSchema, runtime: Runtime) -> None:
        self.schema = schema
        self.runtime = runtime
        self.settings = runtime.settings
        self.trusted = parse_networks(self.settings.trusted_proxies)
        self.plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()
        self.statements = Statements(self.settings.read_plan_cache)
        self.stats = ReadStats()

    def plan(self, query: str, operation_name: str | None) -> Plan | None:
        key = (query, operation_name)
        try:
            self.plans.move_to_end(key)
            return self.plans[key]
        except KeyError:
            pass
        plan = self._compile(query, operation_name)
        self.plans[key] = plan
        if len(self.plans) > self.settings.read_plan_cache:
            self.plans.popitem(last=False)
        return plan

    def _compile(self, query: str, operation_name: str | None) -> Plan | None:
        try:
            document = parse(query, max_tokens=self.settings.max_query_tokens)
        except GraphQLSyntaxError:
            self.stats.refusals["syntax"] += 1
            return None
        shape = expanded(document)
        if shape.depth > MAX_SELECTION_NESTING or shape.selections > MAX_EXPANDED_SELECTIONS:
            # Validation follows every spread, exponentially on a doubling chain; the
            # parser cache refuses such documents first, and words the refusal.
            self.stats.refusals["too large"] += 1
            return None
        graphql_schema = self.schema._schema
        rules = (*specified_rules, *self.schema.validation_limits)
        if validate(graphql_schema, document, rules) or document_defect(query, document):
            self.stats.refusals["invalid"] += 1
            return None
        try:
            return compile_plan(self.schema, document, operation_name)
        except NotCompilable as reason:
            self.stats.refusals[str(reason)] += 1
        except Exception as error:  # a compiler defect must not cost the request
            log.warning("a read plan could not be compiled (%s); the resolvers answer",
                        type(error).__name__)
            self.stats.refusals[type(error).__name__] += 1
        return None

    async def answer(self, request: Request, data: GraphQLRequestData) -> bytes | None:
        """The encoded answer of a request a plan answers; None hands it to Strawberry."""
        plan = self.plan(data.query, data.operation_name) if self.settings.compiled_reads \
            else None
        result = await self._run(plan, request, data) if plan is not None else None
        if plan is None or result is None:
            self.stats.interpreted += 1
            return None
        self.stats.compiled += 1
        name = plan.operation.name
        request.scope.setdefault("state", {})[ANSWERED] = (
            name.value if name else None, "query", COMPILED)
        return orjson.dumps({"data": result})

    async def _run(self, plan: Plan, request: Request, data: GraphQLRequestData
                   ) -> dict[str, Any] | None:
        variables = data.variables or {}
        scope = request.scope
        principal = scope.get("state", {}).get("principal", ANONYMOUS)
        try:
            raw = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # a lone surrogate, nesting beyond orjson's: the guards word it
            return self._fallback("variables")
        # The same caller sending the same variables again: they passed every check.
        coerced = self.statements.recall(plan, principal, raw)
        if coerced is None:
            coerced = self._checked(plan, principal, variables)
            if coerced is None:
                return None
            self.statements.remember(plan, principal, raw, coerced)
        if self.schema.limiter is not None:
            budget, key = budget_key(Budget.READS, principal, scope, self.trusted)
            refusal = await self.schema.limiter.spend(budget, key)
            scope.setdefault("state", {})[PREPAID] = (refusal,)
            if refusal is not None:
                return self._fallback("rate limit")
        context = Context(request=request, response=None, runtime=self.runtime,
                          principal=principal, loaders=Loaders(self.schema.loaders))
        try:
            return await plan.run(self.schema, context, coerced, self.statements, raw)
        except Fallback as reason:
            return self._fallback(str(reason))
        except Exception as error:  # the resolvers answer it, or log it with the request id
            log.warning("a read plan failed (%s); the resolvers answer instead",
                        type(error).__name__)
            return self._fallback(type(error).__name__)

    def _checked(self, plan: Plan, principal: Any, variables: dict[str, Any]) -> Any:
        """The variables coerced, once they pass the checks Strawberry's path makes of
        them (characters, types, the cost they give the operation); None hands the
        request over, so the resolvers' path words the refusal."""
        if variables_defect(variables) is not None:
            return self._fallback("variables")
        coerced = get_variable_values(self.schema._schema,
                                      plan.operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            return self._fallback("variables")
        if over_budget(self.settings, self.schema._schema, principal, plan.operation,
                       fragments_of(plan.document), variables) is not None:
            return self._fallback("cost")
        return coerced

    def _fallback(self, reason: str) -> None:
        self.stats.fallbacks[reason] += 1
        read_fallback(reason)
        return None
