"""How deeply a document's selections nest once its fragments are spread in place.

graphql-core's parser refuses more than 200 nested levels in one place of the text, but
a chain of fragments (``fragment f1 on Query { ...f2 }`` …) nests without bound in a
few thousand tokens, and every walk that follows spreads recurses through it: the
depth rule, the cost, the executor. 300 chained fragments overflow the stack inside
validation, which answers an uncoded, unmasked RecursionError. This walk uses explicit
stacks, visits each fragment once (a fragment spread many times is not walked again)
and ignores cycles (validation refuses them).
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

#: Nested selection sets (fields, inline fragments and spreads, each a level) a
#: document may reach: far beyond any real query (field depth is limited to
#: ``VMESTE_MAX_QUERY_DEPTH``, at most 100), well below what overflows the stack.
MAX_SELECTION_NESTING = 128

#: A selection set's own depth, and each spread in it with the depth it sits at.
_Shape = tuple[int, list[tuple[int, str]]]


def _shape(selection_set: SelectionSetNode) -> _Shape:
    deepest, spreads = 0, []
    stack = [(selection_set, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        for selection in current.selections:
            if isinstance(selection, FragmentSpreadNode):
                spreads.append((depth, selection.name.value))
            elif isinstance(selection, FieldNode | InlineFragmentNode) and (
                    selection.selection_set is not None):
                stack.append((selection.selection_set, depth + 1))
    return deepest, spreads


def _fragment_depths(shapes: dict[str, _Shape]) -> dict[str, int]:
    """Each fragment's depth with the fragments it spreads, in one post-order walk."""
    depths: dict[str, int] = {}
    for root in shapes:
        stack, on_path = [(root, False)], set()
        while stack:
            name, finished = stack.pop()
            if finished:
                own, spreads = shapes[name]
                depths[name] = max([own, *(at + depths.get(s, 0) for at, s in spreads)])
                on_path.discard(name)
            elif name in shapes and name not in depths and name not in on_path:
                on_path.add(name)
                stack.append((name, True))
                stack.extend((spread, False) for _, spread in shapes[name][1])
    return depths


def selection_nesting(document: DocumentNode) -> int:
    """The deepest nesting of any operation in ``document``, fragments spread in place."""
    shapes = {d.name.value: _shape(d.selection_set) for d in document.definitions
              if isinstance(d, FragmentDefinitionNode)}
    depths = _fragment_depths(shapes)
    deepest = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            own, spreads = _shape(definition.selection_set)
            deepest = max([deepest, own, *(at + depths.get(s, 0) for at, s in spreads)])
    return deepest
