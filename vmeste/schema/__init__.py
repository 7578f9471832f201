"""The GraphQL schema: every area's queries, mutations and subscriptions merged (each
area declares its part in ``vmeste/schema/<area>/component.py``, see ``parts``).

``schema`` (for ``strawberry export-schema vmeste.schema:schema``) is built from the
environment's settings on first access; the app builds its own with ``build_schema``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pluggy
import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.relay.types import GlobalIDValueError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from vmeste.platform.observability.metrics import graphql_error
from vmeste.platform.plugins import build_plugin_manager
from vmeste.platform.ratelimits.limiter import RequestLimiter
from vmeste.platform.settings import Settings, load_settings
from vmeste.schema.context import Context
from vmeste.schema.error_log import log_errors
from vmeste.schema.guards import RequestGuards
from vmeste.schema.loaders import LoaderFactory
from vmeste.schema.masking import VmesteMaskErrors, VmesteParserCache, error_code
from vmeste.schema.parts import SchemaPart, collect, loaders_of, merged
from vmeste.schema.ratelimit import rate_limits


@strawberry.type
class NodeQuery:
    # An explicit resolver rather than ``relay.node()``: that helper rewrites the field
    # in place and so breaks building a second schema (tests build one per settings).
    @strawberry.field(description="Any object by its global id.")
    async def node(self, info: strawberry.Info, id: relay.GlobalID) -> relay.Node | None:
        try:
            return await id.resolve_node(info, required=False)
        except GlobalIDValueError:  # a type that is unknown or not a Node: nothing there
            return None


class VmesteSchema(strawberry.Schema):
    #: Every area's DataLoader factories; the view builds a request's ``Loaders`` from them.
    loaders: dict[str, LoaderFactory]
    #: The validation rules added to graphql-core's (compiled plans validate with them).
    validation_limits: tuple[Any, ...]
    #: The request budgets' counters, shared by the resolvers' path and compiled plans.
    limiter: RequestLimiter | None

    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        """Counts every error by the code it is answered with, and logs without the
        document or its values (see ``error_log``)."""
        for error in errors:
            graphql_error(error_code(error))
        log_errors(errors, execution_context)

    def create_extensions_runner(self, execution_context: ExecutionContext,
                                 extensions: list[SchemaExtension]) -> SchemaExtensionsRunner:
        """Also hands an HTTP request's context its execution context: the view labels
        the request's metrics with the operation Strawberry chose (a name the client
        left out is the document's, and the operation's type). Not a WebSocket's
        context, which lives as long as the connection and would keep the last result."""
        context = execution_context.context
        if isinstance(context, Context) and isinstance(context.request, Request):
            context.execution = execution_context
        return super().create_extensions_runner(execution_context, extensions)


#: Schemas built in this process, newest last, with the parts and settings each was
#: built from. Converting every type costs about a tenth of a second, and a process that
#: builds several apps (the test suite builds one per test, a host may mount a few)
#: mostly asks for the same schema again.
_BUILT: list[tuple[list[SchemaPart], Settings, VmesteSchema]] = []
_BUILT_KEPT = 8


def build_schema(settings: Settings, plugins: pluggy.PluginManager | None = None
                 ) -> VmesteSchema:
    """Every schema area's part merged with the plugins' (``plugins`` defaults to the
    manager the settings describe); the schema an earlier call built from equal parts
    and settings when there is one."""
    parts = collect(settings, plugins or build_plugin_manager(settings))
    if settings.rate_limits:  # the limiter counts requests: each app has its own
        return _build(settings, parts)
    # Where the data lives is no input of the schema's.
    key = replace(settings, database_url="", data_dir=Path())
    for index, (built_parts, built_key, schema) in enumerate(_BUILT):
        if built_parts == parts and built_key == key:
            _BUILT.append(_BUILT.pop(index))
            return schema
    schema = _build(settings, parts)
    _BUILT.append((parts, key, schema))
    del _BUILT[:-_BUILT_KEPT]
    return schema


def _build(settings: Settings, parts: list[SchemaPart]) -> VmesteSchema:
    # The depth and alias rules are built once per schema, not once per request as
    # QueryDepthLimiter and MaxAliasesLimiter do: a fresh rule class per request is a
    # new key for ValidationCache, which would then never hit (validation is the
    # largest fixed cost of a small query).
    limits = [depth_rule(settings.max_query_depth, None),
              alias_rule(settings.max_aliases)]
    limiter = RequestLimiter(settings) if settings.rate_limits else None
    # Order matters: VmesteMaskErrors codes the errors ValidationCache has found, so it
    # comes after it; RequestGuards runs last, on a document known to be valid.
    extensions: list[Any] = [
        VmesteParserCache,
        ValidationCache,
        lambda: AddValidationRules(limits),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: VmesteMaskErrors(hide_suggestions=not settings.introspection),
        lambda: RequestGuards(settings),
        *rate_limits(settings, limiter),  # after the guards: over budget gets 429 first
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    query = merged("Query", [*(p.query for p in parts if p.query), NodeQuery])
    schema = VmesteSchema(
        query=query,
        mutation=merged("Mutation", [p.mutation for p in parts if p.mutation]),
        subscription=merged("Subscription", [p.subscription for p in parts if p.subscription]),
        types=[t for p in parts for t in p.types],
        extensions=extensions,
        config=StrawberryConfig(relay_max_results=settings.max_page_size),
    )
    schema.loaders = loaders_of(parts)
    schema.validation_limits = tuple(limits)
    schema.limiter = limiter
    return schema


def __getattr__(name: str) -> Any:
    if name == "schema":
        return build_schema(load_settings())
    raise AttributeError(name)
