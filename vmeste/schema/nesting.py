"""How deeply a document's selections nest, and how many there are, once its fragments
are spread in place.

graphql-core's parser refuses more than 200 nested levels in one place of the text, but
a chain of fragments (``fragment f1 on Query { ...f2 }`` …) nests without bound in a
few thousand tokens, and every walk that follows spreads recurses through it: the
depth rule, the cost, the executor. 300 chained fragments overflow the stack inside
validation, which answers an uncoded, unmasked RecursionError. This walk uses explicit
stacks, visits each fragment once (a fragment spread many times is not walked again)
and ignores cycles (validation refuses them).

Size is the other way out: fragments that each spread the next one twice expand to 2^n
selections in a few hundred bytes, and the validation rules that follow spreads
(depth, overlapping fields) take time in proportion, while a tree of ``__typename``
costs nothing under the cost limit. The same one-visit walk counts the expanded
selections, so such a document is refused before validation.
"""

from __future__ import annotations

from dataclasses import dataclass

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
#: Selections a document may expand to with its fragments spread in place. The
#: introspection query GraphiQL sends expands to about a thousand; a page of the widest
#: read the README shows, to a few dozen.
MAX_EXPANDED_SELECTIONS = 20_000


@dataclass(frozen=True, slots=True)
class Expanded:
    """A selection set with its fragments spread in place: how deep, how many."""

    depth: int
    selections: int


#: A selection set's own depth and selection count, and each spread in it with the
#: depth it sits at.
_Shape = tuple[int, int, list[tuple[int, str]]]


def _shape(selection_set: SelectionSetNode) -> _Shape:
    deepest, count, spreads = 0, 0, []
    stack = [(selection_set, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        for selection in current.selections:
            count += 1
            if isinstance(selection, FragmentSpreadNode):
                spreads.append((depth, selection.name.value))
            elif isinstance(selection, FieldNode | InlineFragmentNode) and (
                    selection.selection_set is not None):
                stack.append((selection.selection_set, depth + 1))
    return deepest, count, spreads


def _spread(shape: _Shape, fragments: dict[str, Expanded]) -> Expanded:
    own_depth, own_count, spreads = shape
    empty = Expanded(0, 0)
    depth = max([own_depth, *(at + fragments.get(s, empty).depth for at, s in spreads)])
    count = own_count + sum(fragments.get(s, empty).selections for _, s in spreads)
    # Capped, so a doubling chain stays a small number while it is added up.
    return Expanded(depth, min(count, MAX_EXPANDED_SELECTIONS + 1))


def _fragments(shapes: dict[str, _Shape]) -> dict[str, Expanded]:
    """Each fragment expanded with the fragments it spreads, in one post-order walk."""
    done: dict[str, Expanded] = {}
    for root in shapes:
        stack, on_path = [(root, False)], set()
        while stack:
            name, finished = stack.pop()
            if finished:
                done[name] = _spread(shapes[name], done)
                on_path.discard(name)
            elif name in shapes and name not in done and name not in on_path:
                on_path.add(name)
                stack.append((name, True))
                stack.extend((spread, False) for _, spread in shapes[name][2])
    return done


def expanded(document: DocumentNode) -> Expanded:
    """The deepest nesting of any operation in ``document``, and the selections of all
    of them, fragments spread in place."""
    shapes = {d.name.value: _shape(d.selection_set) for d in document.definitions
              if isinstance(d, FragmentDefinitionNode)}
    fragments = _fragments(shapes)
    depth = count = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            operation = _spread(_shape(definition.selection_set), fragments)
            depth = max(depth, operation.depth)
            count += operation.selections
    return Expanded(depth, count)
