"""From a root field's selection to the columns one statement reads and the generated
function that turns its rows into the field's value.

The function is Python source built once per plan and compiled with ``exec``: a nested
dict and list comprehension over the driver's rows, the shape of the response written
out, with Tortoise's conversion and the scalar's serialization folded into one call
where a column needs any, so answering costs little more than building the dicts
rather than graphql-core's resolver, task and completion per field. Only names fixed
when the plan is built reach the source (response keys are GraphQL names, the rest are
indexes); values go through the constants tuple.
"""

from __future__ import annotations

from binascii import b2a_base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from tortoise import fields as orm
from tortoise.fields.relational import ForeignKeyFieldInstance, OneToOneFieldInstance
from tortoise.models import Model

from vmeste.schema.compiled.declare import READ, Backing, ToOne, backing_of
from vmeste.schema.compiled.selection import (
    NotCompilable,
    collect,
    sub_selections,
)
from vmeste.schema.pagination import encode_cursor

#: Model fields whose values graphql-core's serializer of the matching scalar returns
#: unchanged; the generated code reads them as they are.
_AS_IS = {"String": (orm.CharField, orm.TextField), "Boolean": (orm.BooleanField,),
          "Int": (orm.IntField, orm.SmallIntField)}
_PAGE_INFO = {"hasNextPage": "has_next_page", "hasPreviousPage": "has_previous_page",
              "startCursor": "start_cursor", "endCursor": "end_cursor"}


def global_id(type_name: str) -> Callable[[Any], str]:
    """Relay's id of a ``type_name`` row: what ``relay.to_base64`` gives, without its
    checks of the type argument on every row."""
    prefix = f"{type_name}:"
    return lambda pk: b2a_base64(f"{prefix}{pk}".encode(), newline=False).decode()


def _utc_isoformat(to_python: Callable[[Any], Any], serialize: Callable[[Any], Any]
                   ) -> Callable[[Any], Any]:
    """A timestamp the driver read in UTC already (asyncpg's are) stays a datetime:
    orjson writes the response and encodes it as the ISO string Tortoise's conversion
    would serialize to (``isoformat``, ``+00:00`` and all), ten times faster than
    ``isoformat`` (which was a sixth of answering a page of proposals). Others take the
    long way."""
    def convert(raw: Any) -> Any:
        if isinstance(raw, datetime) and raw.tzinfo is UTC:
            return raw
        return serialize(to_python(raw))
    return convert


@dataclass
class Source:
    """The growing generated function: the columns its statement reads (by Tortoise
    path) and the constants its code refers to."""

    paths: list[str] = field(default_factory=list)
    constants: list[Any] = field(default_factory=list)
    counts: bool = False

    def column(self, path: str) -> str:
        if path not in self.paths:
            self.paths.append(path)
        return f"r[{self.paths.index(path)}]"

    def constant(self, value: Any) -> str:
        self.constants.append(value)
        return f"K[{len(self.constants) - 1}]"

    def build(self, expression: str, single: bool) -> Callable[[list[Any], Any, Any], Any]:
        """``shape(rows, page_info, total)``: the list's connection, or the one row's
        object (None without a row)."""
        if single:
            body = f"    for r in rows:\n        return {expression}\n    return None\n"
        else:
            body = f"    return {expression}\n"
        namespace: dict[str, Any] = {"K": tuple(self.constants)}
        exec(compile(f"def shape(rows, p, t):\n{body}", "<read plan>", "exec"), namespace)
        return namespace["shape"]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Context:
    fragments: dict[str, FragmentDefinitionNode]


def _definition(field_def: GraphQLField) -> Any:
    return field_def.extensions.get("strawberry-definition")


def backing_for(graphql_type: GraphQLObjectType) -> Backing:
    definition = graphql_type.extensions.get("strawberry-definition")
    backing = backing_of(definition.origin) if definition is not None else None
    if backing is None:
        raise NotCompilable(f"{graphql_type.name} is not backed by a model")
    return backing


def _native(model: type[Model], column: str) -> bool:
    """Whether the database driver already gives ``column``'s Python value (Tortoise
    converts the others on every read; the generated code calls its converter)."""
    return any(name == column for _key, name, _field in model._meta.db_native_fields)


def _leaf(source: Source, value: str, field_def: GraphQLField, model: type[Model],
          column: str) -> str:
    """The column's raw ``value`` as graphql-core's completion of a leaf would serialize
    the model's attribute: Tortoise's conversion, then the scalar's."""
    model_field = model._meta.fields_map[column]
    named = get_named_type(field_def.type)
    nullable = not isinstance(field_def.type, GraphQLNonNull)
    if isinstance(field_def.type if nullable else field_def.type.of_type, GraphQLList):
        # A list of scalars kept in one column (a line's topics): the scalar's
        # serializer takes one item, not the list.
        raise NotCompilable("a list over a column")
    if not nullable and model_field.null:
        raise NotCompilable("a non-null field over a nullable column")
    native = _native(model, column)
    if isinstance(named, GraphQLEnumType):
        enum = getattr(model_field, "enum_type", None)
        if enum is None:
            raise NotCompilable("an enum over a column without one")
        # Keyed by members, which equal (and hash as) the raw values they are read from.
        converted = f"{source.constant({m: named.serialize(m) for m in enum})}[{value}]"
    elif isinstance(named, GraphQLScalarType):
        if native and isinstance(model_field, _AS_IS.get(named.name, ())):
            return value
        serialize, to_python = named.serialize, model_field.to_python_value
        if native:
            convert = serialize
        elif isinstance(model_field, orm.DatetimeField) and named.name == "DateTime":
            convert = _utc_isoformat(to_python, serialize)
        else:
            convert = lambda raw: serialize(to_python(raw))  # noqa: E731
        converted = f"{source.constant(convert)}({value})"
    else:
        raise NotCompilable("an object without a resolver")
    return f"(None if {value} is None else {converted})" if nullable else converted


def _embedded(source: Source, context: Context, value: str, field_def: GraphQLField,
              nodes: list[FieldNode], model: type[Model], column: str) -> str:
    """An object a type builds from a JSON column's keys (an organization's contacts):
    each plain field is the key of its Python name, absent keys null."""
    model_field = model._meta.fields_map[column]
    target = get_named_type(field_def.type)
    assert isinstance(target, GraphQLObjectType)
    if not isinstance(model_field, orm.JSONField) or model_field.null or not isinstance(
            field_def.type, GraphQLNonNull):
        raise NotCompilable("an object without a resolver")
    picks: list[tuple[str, str | None, Callable[[Any], Any] | None]] = []
    for key, fields in collect(target, sub_selections(nodes), context.fragments).items():
        name = fields[0].name.value
        if name == "__typename":
            picks.append((key, target.name, None))
            continue
        definition = _definition(target.fields[name])
        scalar = get_named_type(target.fields[name].type)
        if definition is None or definition.base_resolver is not None or not isinstance(
                scalar, GraphQLScalarType) or isinstance(target.fields[name].type,
                                                         GraphQLNonNull):
            raise NotCompilable(f"{target.name}.{name}")
        picks.append((key, definition.python_name, scalar.serialize))
    to_python = model_field.to_python_value

    def embed(raw: Any) -> dict[str, Any]:
        found = to_python(raw)
        return {key: name if serialize is None else (
            None if (item := found.get(name)) is None else serialize(item))
            for key, name, serialize in picks}

    return f"{source.constant(embed)}({value})"


def object_expression(source: Source, context: Context, graphql_type: GraphQLObjectType,
                      nodes: list[FieldNode], prefix: str = "") -> str:
    """The dict literal of one ``graphql_type`` object read from the row's columns under
    ``prefix`` (a Tortoise relation path such as ``organization__``)."""
    backing = backing_for(graphql_type)
    meta = backing.model._meta

    def value(name: str, fields: list[FieldNode]) -> str:
        field_def = graphql_type.fields[name]
        definition = _definition(field_def)
        marker = definition.metadata.get(READ) if definition is not None else None
        if name == "id" and any(i.name == "Node" for i in graphql_type.interfaces):
            pk = source.column(prefix + meta.pk_attr)
            return f"{source.constant(global_id(graphql_type.name))}({pk})"
        if isinstance(marker, ToOne):
            return _related(source, context, backing, field_def, marker, fields, prefix)
        if definition is None or definition.base_resolver is not None or field_def.args:
            raise NotCompilable(f"{graphql_type.name}.{name} is resolved")
        column = backing.column(definition.python_name)
        if column is None:
            raise NotCompilable(f"{graphql_type.name}.{name} has no column")
        raw = source.column(prefix + column)
        if isinstance(get_named_type(field_def.type), GraphQLObjectType):
            return _embedded(source, context, raw, field_def, fields, backing.model, column)
        return _leaf(source, raw, field_def, backing.model, column)

    return _literal(graphql_type, nodes, context, value)


def _related(source: Source, context: Context, backing: Backing, field_def: GraphQLField,
             marker: ToOne, nodes: list[FieldNode], prefix: str) -> str:
    relation = backing.model._meta.fields_map.get(marker.relation)
    if not isinstance(relation, ForeignKeyFieldInstance | OneToOneFieldInstance):
        raise NotCompilable(f"{marker.relation} is not a foreign key")
    target = get_named_type(field_def.type)
    if not isinstance(target, GraphQLObjectType) or backing_for(target).model is not (
            relation.related_model):
        raise NotCompilable(f"{marker.relation} leads to another model")
    inner = f"{prefix}{marker.relation}__"
    expression = object_expression(source, context, target, nodes, inner)
    if isinstance(field_def.type, GraphQLNonNull):
        if relation.null:
            raise NotCompilable("a non-null relation over a nullable key")
        return expression
    key = source.column(inner + relation.related_model._meta.pk_attr)
    return f"(None if {key} is None else {expression})"


def _literal(graphql_type: GraphQLObjectType, nodes: list[FieldNode], context: Context,
             value: Callable[[str, list[FieldNode]], str]) -> str:
    """The dict literal of an object's selection; ``value`` writes a field's (by name),
    ``__typename`` is the type's name."""
    parts = []
    for key, fields in collect(graphql_type, sub_selections(nodes), context.fragments).items():
        name = fields[0].name.value
        written = repr(graphql_type.name) if name == "__typename" else value(name, fields)
        parts.append(f"{key!r}: {written}")
    return "{" + ", ".join(parts) + "}"


def _object_field(graphql_type: GraphQLObjectType, name: str) -> GraphQLObjectType:
    found = get_named_type(graphql_type.fields[name].type)
    assert isinstance(found, GraphQLObjectType)
    return found


def connection_expression(source: Source, context: Context, graphql_type: GraphQLObjectType,
                          nodes: list[FieldNode]) -> str:
    """A Relay connection of ``CountedConnection``'s shape over the page's rows."""

    def value(name: str, fields: list[FieldNode]) -> str:
        if name == "totalCount":
            source.counts = True
            return "t"
        if name == "pageInfo":
            return _literal(_object_field(graphql_type, name), fields, context,
                            lambda info, _fields: f"p.{_PAGE_INFO[info]}")
        if name == "edges":
            edge = _object_field(graphql_type, name)
            return f"[{_literal(edge, fields, context, edge_value)} for r in rows]"
        raise NotCompilable(f"{graphql_type.name}.{name}")

    def edge_value(name: str, fields: list[FieldNode]) -> str:
        if name == "cursor":
            return f"{source.constant(encode_cursor)}(r[0])"
        if name == "node":
            edge = _object_field(graphql_type, "edges")
            return object_expression(source, context, _object_field(edge, name), fields)
        raise NotCompilable(f"edge.{name}")

    return _literal(graphql_type, nodes, context, value)


def is_connection(graphql_type: Any) -> bool:
    named = get_named_type(graphql_type)
    return (isinstance(named, GraphQLObjectType) and not isinstance(graphql_type, GraphQLList)
            and {"edges", "pageInfo"} <= set(named.fields))
