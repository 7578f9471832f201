"""The fields an operation selects, merged by response key as GraphQL's CollectFields
does, for documents without directives (the compiler refuses those: ``@include(if:
$flag)`` would make the plan depend on a variable's value)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    visit,
)

Fields = dict[str, list[FieldNode]]


class NotCompilable(Exception):
    """The operation lies outside what plans can answer: the resolvers run it."""


def has_directives(document: DocumentNode) -> bool:
    found: list[Node] = []

    class Directives(Visitor):
        def enter_directive(self, node: Node, *_: object) -> object:
            found.append(node)
            return Visitor.BREAK

    visit(document, Directives())
    return bool(found)


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)}


def _applies(condition: str | None, runtime: GraphQLObjectType) -> bool:
    return condition is None or condition == runtime.name or any(
        i.name == condition for i in runtime.interfaces)


def collect(runtime: GraphQLObjectType, selection_sets: Iterable[SelectionSetNode],
            fragments: Mapping[str, FragmentDefinitionNode]) -> Fields:
    """Response key → the field nodes under it, in first-seen order. A fragment whose
    type condition ``runtime`` does not satisfy is skipped, as the executor skips it."""
    fields: Fields = {}
    visited: set[str] = set()

    # Depth first in document order, so keys come out in the executor's order.
    def walk(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if _applies(condition.name.value if condition else None, runtime):
                    walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if _applies(fragment.type_condition.name.value, runtime):
                    walk(fragment.selection_set)

    for selection_set in selection_sets:
        walk(selection_set)
    return fields


def sub_selections(nodes: list[FieldNode]) -> list[SelectionSetNode]:
    return [n.selection_set for n in nodes if n.selection_set is not None]


def single_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        if len(operations) != 1:
            raise NotCompilable("several operations and no operationName")
        return operations[0]
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    raise NotCompilable("no operation of that name")
