"""Checks between validation and execution: the ones that depend on the variables or
on the caller, so they cannot be validation rules (ValidationCache would reuse one
caller's verdict for the next).

A refusal is put on the context as the operation's result, so graphql-core never runs
it, and it is logged and coded like any other error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    BREAK,
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    StringValueNode,
    Visitor,
    get_operation_ast,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from vmeste.platform.errors import ErrorCode
from vmeste.platform.i18n import N_, _, translate
from vmeste.platform.observability.metrics import Refused, refused
from vmeste.platform.settings import Settings
from vmeste.schema.cost import operation_cost

_SURROGATE = re.compile("[\ud800-\udfff]")
#: A GraphQL escape that decodes to NUL (``\u0000``, ``\u{0}``); only a document whose
#: text holds one has its string literals looked at.
_NUL_ESCAPE = re.compile(r"\\u(?:0000|\{0+\})", re.IGNORECASE)
_NUL_MESSAGE = N_("A string contains a NUL character")


#: How deep a variable's value may nest (objects and lists). No input of this schema
#: comes near it; a deeper one is an attack on every recursive walk that follows
#: (graphql-core's coercion, the resolvers'), so it is refused before any of them.
MAX_VARIABLE_DEPTH = 64


def _walk(value: Any) -> Iterator[tuple[Any, int]]:
    """Every value inside ``value`` (dict keys too) with its nesting depth, walked with
    an explicit stack: a recursive walk would overflow on what the client nested."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        yield current, depth
        if isinstance(current, dict):
            stack.extend((part, depth + 1) for pair in current.items() for part in pair)
        elif isinstance(current, list):
            stack.extend((item, depth + 1) for item in current)


def variables_defect(variables: Any) -> str | None:
    """Why the (decoded JSON) variables are refused, or None. A string anywhere (keys
    too) may hold a UTF-16 surrogate or a NUL: JSON can escape both (``"\\ud800"``,
    ``"\\u0000"``), Python keeps them, and they fail deep inside the database driver
    (PostgreSQL text holds no NUL; a surrogate cannot be encoded as UTF-8). The HTTP
    transport refuses NUL earlier with a 400; a WebSocket message meets this check."""
    for value, depth in _walk(variables):
        # The variables mapping is depth 0, an object or list a variable holds depth 1.
        if depth > MAX_VARIABLE_DEPTH and isinstance(value, dict | list):
            return _("A variable's value is nested deeper than {limit} levels",
                     limit=MAX_VARIABLE_DEPTH)
        if isinstance(value, str):
            if _SURROGATE.search(value) is not None:
                return _("A string contains a character not allowed (a lone UTF-16 "
                         "surrogate)")
            if "\x00" in value:
                return translate(_NUL_MESSAGE)
    return None


def document_defect(source: str | None, document: DocumentNode) -> str | None:
    """A string literal of the document that decodes to NUL (a raw NUL in the text is a
    syntax error already)."""
    if not source or _NUL_ESCAPE.search(source) is None:
        return None
    found: list[str] = []

    class Literals(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
            if "\x00" in node.value:
                found.append(node.value)
                return BREAK
            return None

    visit(document, Literals())
    return translate(_NUL_MESSAGE) if found else None


def _refusal(message: str, code: ErrorCode, **extensions: object) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.value, **extensions})


class RequestGuards(SchemaExtension):
    """Refuses, before execution: several operations without ``operationName`` (Strawberry
    would silently run the first), variables with lone surrogates or NUL, or nested too
    deep, string literals that decode to NUL (literals with lone surrogates are syntax
    errors already), and operations over the
    caller's cost budget (``VMESTE_GRAPHQL_MAX_COST``, ``…_ANONYMOUS`` for anonymous
    callers)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_execute(self) -> Iterator[None]:
        error = self.refusal()
        if error is not None:
            if (error.extensions or {}).get("code") == ErrorCode.COST_LIMIT.value:
                refused(Refused.COST_LIMIT)
            if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
                # Strawberry subscribes whatever result is preset, but answers an error
                # raised here (this one is coded already).
                raise error
            self.execution_context.result = ExecutionResult(data=None, errors=[error])
        yield

    def refusal(self) -> GraphQLError | None:
        ctx = self.execution_context
        document = ctx.graphql_document
        assert document is not None
        # Strawberry fills a missing operationName with the first operation's; only the
        # name the client sent tells whether the choice was theirs. (An unknown name
        # never gets here: Strawberry refuses it before execution.)
        operation = get_operation_ast(document, getattr(ctx, "_provided_operation_name", None))
        if operation is None:
            return _refusal(_("The document holds several operations: give operationName"),
                            ErrorCode.INVALID_QUERY)
        defect = (variables_defect(ctx.variables)
                  or document_defect(ctx.query, document))
        if defect is not None:
            return _refusal(defect, ErrorCode.INVALID)
        return self._over_budget(operation, document.definitions)

    def _over_budget(self, operation: OperationDefinitionNode,
                     definitions: Any) -> GraphQLError | None:
        fragments = {d.name.value: d for d in definitions
                     if isinstance(d, FragmentDefinitionNode)}
        return over_budget(self.settings, self.execution_context.schema._schema,
                           getattr(self.execution_context.context, "principal", None),
                           operation, fragments, self.execution_context.variables)


def over_budget(settings: Settings, schema: Any, principal: Any,
                operation: OperationDefinitionNode, fragments: dict[str, Any],
                variables: dict[str, Any] | None) -> GraphQLError | None:
    """The refusal of an operation costing more than the caller's budget, or None."""
    budget = (settings.graphql_max_cost
              if principal is not None and principal.authenticated
              else settings.graphql_max_cost_anonymous)
    cost = operation_cost(schema, operation, fragments, variables, settings.max_page_size)
    if cost <= budget:
        return None
    return _refusal(_("The query costs too much: {cost} is over the allowed {budget}",
                      cost=cost, budget=budget),
                    ErrorCode.COST_LIMIT, cost=cost, maxCost=budget)
