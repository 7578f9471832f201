"""A compiled operation: its root fields, each answered by one statement (and a count
when ``totalCount`` is asked) whose rows a generated function shapes.

Running a plan never decides anything the resolvers would decide differently: the rows
come from the same ``rows`` function the resolver calls, paging from the same
:class:`~vmeste.schema.pagination.PageRequest`. Whatever the resolvers would answer with
an error (a refused argument, a bad cursor, a caller who must sign in) makes the plan
step aside with :class:`Fallback`, and the resolvers answer it, error and all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
)
from graphql.execution.values import get_argument_values
from strawberry.types.arguments import convert_arguments
from tortoise.models import Model

from vmeste.platform.errors import DomainError
from vmeste.schema.compiled.compiler import (
    Context,
    Source,
    backing_for,
    connection_expression,
    is_connection,
    object_expression,
)
from vmeste.schema.compiled.declare import READ, RootRows
from vmeste.schema.compiled.selection import (
    NotCompilable,
    collect,
    fragments_of,
    has_directives,
    single_operation,
)
from vmeste.schema.compiled.statements import Statements, database, fetch
from vmeste.schema.pagination import PageRequest, encode_cursor

_PAGING = ("first", "after", "last", "before")


class Fallback(Exception):
    """The resolvers must answer this request (they know how to word its error)."""


#: What a plan step aside for: the errors resolvers turn into GraphQL errors.
EXPECTED = (DomainError, GraphQLError, ValueError)


@dataclass(frozen=True)
class Prepared:
    """A root field's statements for one caller and one set of arguments."""

    model: type[Model]
    select: tuple[str, list[Any]]
    page: PageRequest | None
    count: tuple[str, list[Any]] | None


@dataclass(frozen=True, eq=False)  # hashed by identity: a key of the prepared memo
class RootPlan:
    key: str
    field_def: GraphQLField
    node: FieldNode
    read: RootRows
    paths: tuple[str, ...]
    shape: Callable[[list[Any], Any, Any], Any]
    connection: bool
    counts: bool
    #: Its statements follow from the caller and the variables (``RootRows.stable_for``).
    stable: bool

    async def run(self, schema: Any, context: Any, variables: Any,
                  statements: Statements, raw: bytes) -> Any:
        """``raw`` is the request's variables as sent, canonically encoded."""
        stable = self.stable
        prepared = statements.recall(self, context.principal, raw) if stable else None
        if prepared is None:
            prepared = await self._prepare(schema, context, variables, statements)
            if stable:
                statements.remember(self, context.principal, raw, prepared)
        db = database(prepared.model)
        rows = await fetch(db, prepared.select)
        if prepared.page is None:
            return self.shape(rows, None, None)
        page = prepared.page
        rows, has_more = page.trim(rows)
        info = page.page_info(has_more, encode_cursor(rows[0][0]) if rows else None,
                              encode_cursor(rows[-1][0]) if rows else None)
        total = None
        if prepared.count is not None:
            counted = await fetch(db, prepared.count)
            total = counted[0][0]
        return self.shape(rows, info, total)

    async def _prepare(self, schema: Any, context: Any, variables: Any,
                       statements: Statements) -> Prepared:
        definition = self.field_def.extensions["strawberry-definition"]
        try:
            arguments = convert_arguments(
                get_argument_values(self.field_def, self.node, variables),
                definition.arguments, scalar_registry=schema.schema_converter.scalar_registry,
                config=schema.config)
            paging = {name: arguments.pop(name, None) for name in _PAGING} if (
                self.connection) else {}
            query = await self.read.rows(context, **arguments)
            if not self.connection:
                return Prepared(query.model, statements.select(query.limit(1), self.paths),
                                None, None)
            page = PageRequest.of(query, context.settings, descending=self.read.descending,
                                  **paging)
        except EXPECTED as error:
            raise Fallback(type(error).__name__) from error
        return Prepared(query.model, statements.select(page.window(query), self.paths), page,
                        statements.count(query) if self.counts else None)


@dataclass(frozen=True, eq=False)  # hashed by identity: a key of the memo
class Plan:
    document: DocumentNode
    operation: OperationDefinitionNode
    #: Response key → a root plan, or the constant ``__typename``.
    roots: tuple[tuple[str, RootPlan | str], ...]

    async def run(self, schema: Any, context: Any, variables: Any,
                  statements: Statements, raw: bytes) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, root in self.roots:
            data[key] = root if isinstance(root, str) else await root.run(
                schema, context, variables, statements, raw)
        return data


def compile_plan(schema: Any, document: DocumentNode, operation_name: str | None) -> Plan:
    """The plan of a valid document's operation; :class:`NotCompilable` says why there
    is none."""
    operation = single_operation(document, operation_name)
    if operation.operation is not OperationType.QUERY:
        raise NotCompilable("not a query")
    if has_directives(document):
        raise NotCompilable("directives")
    query_type: GraphQLObjectType = schema._schema.query_type
    context = Context(fragments_of(document))
    roots: list[tuple[str, RootPlan | str]] = []
    for key, nodes in collect(query_type, [operation.selection_set], context.fragments).items():
        name = nodes[0].name.value
        if name == "__typename":
            roots.append((key, query_type.name))
            continue
        if name not in query_type.fields:
            raise NotCompilable("introspection")
        roots.append((key, _root(context, key, query_type.fields[name], nodes)))
    return Plan(document, operation, tuple(roots))


def _root(context: Context, key: str, field_def: GraphQLField, nodes: list[FieldNode]
          ) -> RootPlan:
    definition = field_def.extensions.get("strawberry-definition")
    read = definition.metadata.get(READ) if definition is not None else None
    if not isinstance(read, RootRows):
        raise NotCompilable(f"Query.{nodes[0].name.value} declares no rows")
    target = get_named_type(field_def.type)
    assert isinstance(target, GraphQLObjectType)
    connection = is_connection(field_def.type)
    if connection and not isinstance(field_def.type, GraphQLNonNull):
        raise NotCompilable("a nullable connection")
    if not connection and isinstance(field_def.type, GraphQLNonNull):
        raise NotCompilable("a non-null object: its absence is an error")
    source = Source()
    node_type = (get_named_type(target.fields["edges"].type).fields["node"].type
                 if connection else target)
    source.column(_pk(get_named_type(node_type)))  # r[0]: cursors and presence
    if connection:
        expression = connection_expression(source, context, target, nodes)
    else:
        expression = object_expression(source, context, target, nodes)
    given = {argument.name.value for node in nodes for argument in node.arguments or ()}
    return RootPlan(key=key, field_def=field_def, node=nodes[0], read=read,
                    paths=tuple(source.paths), shape=source.build(expression, not connection),
                    connection=connection, counts=source.counts,
                    stable=read.stable_for(given))


def _pk(graphql_type: Any) -> str:
    return backing_for(graphql_type).model._meta.pk_attr
