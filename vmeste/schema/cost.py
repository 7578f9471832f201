"""What an operation may cost before it runs: an upper bound on the fields it resolves.

Depth, alias and token limits each allow a query that is small on the wire and huge in
work (30 aliases of ``territories(first: 100) { … children(first: 100) … }`` resolve
millions of fields). The cost multiplies through instead: every field costs 1, and what
a field selects below a list is paid once per item the list may hold. A connection's
size is its ``first``/``last`` (``limit`` for the few plain lists that take one), read
from the literal or the request's variables; a plain list whose length its component
bounds says so (``metadata=at_most(30)``: a question's choices); without either, the
page cap (``max_page_size``) is assumed, because nothing smaller is promised.
Fragments count as written out in place. ``__typename`` is free and an introspection root
(``__schema``, ``__type``) costs a fixed amount, so GraphiQL works.

The cost depends on the variables, so it is computed per request (after validation, so
the document is known to be well-formed), never inside a cached validation rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)

#: Arguments that bound how many items a field returns.
PAGE_ARGUMENTS = ("first", "last")
#: A Strawberry field's metadata key: the most items its list holds.
MAX_ITEMS = "vmeste.max_items"
LIMIT_ARGUMENTS = ("limit",)
INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
#: A fixed price for a whole introspection subtree (GraphiQL's query is ~2,000 fields).
INTROSPECTION_COST = 10


@dataclass
class CostCalculator:
    """Prices one operation of a validated document; ``page_cap`` is the page size
    assumed when a list does not say how long it is."""

    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    defaults: Mapping[str, Any]
    page_cap: int
    _fragment_costs: dict[tuple[str, int | None], int] = field(default_factory=dict)

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        return self.selections(operation.selection_set, root, None)

    def selections(self, selection_set: SelectionSetNode | None,
                   parent: GraphQLCompositeType, page: int | None) -> int:
        """``page`` is the size a connection above declared for its ``edges``."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = (self._type(selection.type_condition.name.value)
                             if selection.type_condition else parent)
                total += self.selections(selection.selection_set, condition, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, page)
        return total

    def _fragment(self, name: str, page: int | None) -> int:
        # Memoised: a fragment spread many times is priced once, so pricing stays
        # linear in the document even when fragments nest.
        key = (name, page)
        if key not in self._fragment_costs:
            fragment = self.fragments[name]
            self._fragment_costs[key] = self.selections(
                fragment.selection_set, self._type(fragment.type_condition.name.value), page)
        return self._fragment_costs[key]

    def _type(self, name: str) -> GraphQLCompositeType:
        found = self.schema.get_type(name)
        assert is_composite_type(found), name  # validation has checked the condition
        return found  # type: ignore[return-value]

    def field(self, node: FieldNode, parent: GraphQLCompositeType, page: int | None) -> int:
        name = node.name.value
        if name == "__typename":
            return 0
        if name in INTROSPECTION_ROOTS:
            return INTROSPECTION_COST
        definition = parent.fields[name]  # type: ignore[union-attr]
        named = get_named_type(definition.type)
        if not is_composite_type(named):
            return 1
        size = self._size(node, definition.args)
        items = 1
        if _is_list(definition.type):
            # A list is as long as its own size argument, else as the page its
            # connection declared, else as its declared bound, else as long as the cap.
            items = (size if size is not None else page if page is not None
                     else _declared_bound(definition) or self.page_cap)
            size = None
        return 1 + items * self.selections(node.selection_set, named, size)  # type: ignore[arg-type]

    def _size(self, node: FieldNode, declared: Mapping[str, Any]) -> int | None:
        """The field's page size, when it takes one: ``first``/``last`` (at most the
        cap: a larger page is refused anyway) or ``limit``; absent means the cap."""
        names = [n for n in (*PAGE_ARGUMENTS, *LIMIT_ARGUMENTS) if n in declared]
        if not names:
            return None
        given = {a.name.value: self._int(a.value) for a in node.arguments or ()}
        sizes = [given[n] for n in names if given.get(n) is not None]
        if not sizes:
            defaults = [declared[n].default_value for n in names]
            sizes = [d for d in defaults if isinstance(d, int) and not isinstance(d, bool)]
        if not sizes:
            return self.page_cap
        size = max(0, max(sizes))
        return min(size, self.page_cap) if names[0] in PAGE_ARGUMENTS else size

    def _int(self, value: Any) -> int | None:
        """The size an argument asks for, None when it leaves the field's default.

        A variable's value is read as graphql-core will coerce it to Int: a whole float
        (``1000.0``) is that number. Anything coercion refuses (a string, a bool, a
        fraction, beyond 32 bits) fails before it runs and is priced at the cap, never
        at the argument's default, which may be smaller than what the client sent."""
        if isinstance(value, IntValueNode):
            return int(value.value)
        if not isinstance(value, VariableNode):
            return None
        name = value.name.value
        raw = self.variables[name] if name in self.variables else self.defaults.get(name)
        if raw is None:
            return None
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, int) and not isinstance(raw, bool) and (
                GRAPHQL_MIN_INT <= raw <= GRAPHQL_MAX_INT):
            return raw
        return self.page_cap


def at_most(items: int) -> dict[str, Any]:
    """Field metadata for a plain list its component never lets grow past ``items``."""
    return {MAX_ITEMS: items}


def _declared_bound(definition: Any) -> int | None:
    declared = (definition.extensions or {}).get("strawberry-definition")
    return getattr(declared, "metadata", None) and declared.metadata.get(MAX_ITEMS)


def _is_list(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def operation_cost(schema: GraphQLSchema, operation: OperationDefinitionNode,
                   fragments: Mapping[str, FragmentDefinitionNode],
                   variables: Mapping[str, Any] | None, page_cap: int) -> int:
    """The cost of ``operation`` (of a document that passed validation)."""
    defaults = {}
    for definition in operation.variable_definitions or ():
        if isinstance(definition.default_value, IntValueNode):
            defaults[definition.variable.name.value] = int(definition.default_value.value)
    calculator = CostCalculator(schema, fragments, variables or {}, defaults, page_cap)
    return calculator.operation(operation)
