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
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from vmeste.platform.errors import DomainError
from vmeste.platform.settings import Settings, load_settings
from vmeste.schema.audit.queries import AuditQuery
from vmeste.schema.audit.subscriptions import AuditSubscription
from vmeste.schema.identity.mutations import IdentityMutation
from vmeste.schema.identity.queries import IdentityQuery
from vmeste.schema.policies.mutations import PoliciesMutation
from vmeste.schema.policies.queries import PoliciesQuery
from vmeste.schema.reference.mutations import ReferenceMutation
from vmeste.schema.reference.queries import ReferenceQuery


@strawberry.type
class Query(IdentityQuery, ReferenceQuery, PoliciesQuery, AuditQuery):
    # An explicit resolver rather than ``relay.node()``: that helper rewrites the field
    # in place and so breaks building a second schema (tests build one per settings).
    @strawberry.field(description="Любой объект по глобальному id.")
    async def node(self, info: strawberry.Info, id: relay.GlobalID) -> relay.Node | None:
        return await id.resolve_node(info, required=False)


@strawberry.type
class Mutation(ReferenceMutation, IdentityMutation, PoliciesMutation):
    pass


@strawberry.type
class Subscription(AuditSubscription):
    pass


def should_mask(error: GraphQLError) -> bool:
    """Hide unexpected exceptions; keep validation errors and our typed ones."""
    original = error.original_error
    return original is not None and not isinstance(original, DomainError | GraphQLError)


def build_schema(settings: Settings) -> strawberry.Schema:
    extensions: list[Any] = [
        ParserCache,
        ValidationCache,
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        lambda: MaskErrors(should_mask_error=should_mask,
                           error_message="Внутренняя ошибка сервера"),
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
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
