"""The GraphQL schema: every component's queries, mutations and subscriptions merged.

``schema`` (for ``strawberry export-schema vmeste.schema:schema``) is built from the
environment's settings on first access; the app builds its own with ``build_schema``.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.relay.types import GlobalIDValueError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from vmeste.platform.settings import Settings, load_settings
from vmeste.schema.appeals.mutations import AppealsMutation
from vmeste.schema.appeals.queries import AppealsQuery
from vmeste.schema.audit.queries import AuditQuery
from vmeste.schema.audit.subscriptions import AuditSubscription
from vmeste.schema.deadlines.mutations import DeadlinesMutation
from vmeste.schema.deadlines.queries import DeadlinesQuery
from vmeste.schema.error_log import log_errors
from vmeste.schema.guards import RequestGuards
from vmeste.schema.identity.mutations import IdentityMutation
from vmeste.schema.identity.queries import IdentityQuery
from vmeste.schema.masking import VmesteMaskErrors, VmesteParserCache
from vmeste.schema.notifications.mutations import NotificationsMutation
from vmeste.schema.notifications.queries import NotificationsQuery
from vmeste.schema.operations.mutations import OperationsMutation
from vmeste.schema.operations.queries import OperationsQuery
from vmeste.schema.policies.mutations import PoliciesMutation
from vmeste.schema.policies.queries import PoliciesQuery
from vmeste.schema.ratelimit import rate_limits
from vmeste.schema.reference.mutations import ReferenceMutation
from vmeste.schema.reference.queries import ReferenceQuery


@strawberry.type
class Query(IdentityQuery, ReferenceQuery, AppealsQuery, PoliciesQuery, AuditQuery,
            DeadlinesQuery, OperationsQuery, NotificationsQuery):
    # An explicit resolver rather than ``relay.node()``: that helper rewrites the field
    # in place and so breaks building a second schema (tests build one per settings).
    @strawberry.field(description="Any object by its global id.")
    async def node(self, info: strawberry.Info, id: relay.GlobalID) -> relay.Node | None:
        try:
            return await id.resolve_node(info, required=False)
        except GlobalIDValueError:  # a type that is unknown or not a Node: nothing there
            return None


@strawberry.type
class Mutation(AppealsMutation, ReferenceMutation, IdentityMutation, PoliciesMutation,
               DeadlinesMutation, OperationsMutation, NotificationsMutation):
    pass


@strawberry.type
class Subscription(AuditSubscription):
    pass


class VmesteSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        """Logs without the document or its values (see ``error_log``)."""
        log_errors(errors, execution_context)


def build_schema(settings: Settings) -> strawberry.Schema:
    # The depth and alias rules are built once per schema, not once per request as
    # QueryDepthLimiter and MaxAliasesLimiter do: a fresh rule class per request is a
    # new key for ValidationCache, which would then never hit (validation is the
    # largest fixed cost of a small query).
    limits = [depth_rule(settings.max_query_depth, None),
              alias_rule(settings.max_aliases)]
    # Order matters: VmesteMaskErrors codes the errors ValidationCache has found, so it
    # comes after it; RequestGuards runs last, on a document known to be valid.
    extensions: list[Any] = [
        VmesteParserCache,
        ValidationCache,
        lambda: AddValidationRules(limits),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: VmesteMaskErrors(hide_suggestions=not settings.introspection),
        lambda: RequestGuards(settings),
        *rate_limits(settings),  # after the guards: an over-budget caller gets 429 first
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return VmesteSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(relay_max_results=settings.max_page_size),
    )


def __getattr__(name: str) -> Any:
    if name == "schema":
        return build_schema(load_settings())
    raise AttributeError(name)
