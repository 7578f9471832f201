"""Which groups of a breakdown may not be published (votes, polls, appeal statistics).

A group of fewer than ``min_size`` people (but more than none) would let anyone who
knows a few of them learn how they voted, or what they wrote and how they rated the
answer, so it is suppressed. Suppressing it alone is not enough: the total and the
other groups give it back by subtraction. So the next smallest groups are suppressed
with it until the hidden groups together hold at least ``min_size`` (or every group is
hidden); what the total then reveals is only the sum of a large enough set. Exports
and charts take the same set.

A table of two dimensions (groups by period) has margins both ways, so
:func:`suppressed_cells` repeats the rule along each row and each column until
neither hides anything more.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)


def suppressed(participants: Mapping[K, int], min_size: int,
               hidden_already: Collection[K] = ()) -> frozenset[K]:
    """The groups of one dimension to hide, given each group's count (and the groups
    already hidden for another reason, which count as hidden here too)."""
    hidden = {group for group, n in participants.items() if 0 < n < min_size}
    hidden |= {group for group in hidden_already if group in participants}
    if not hidden:
        return frozenset()
    candidates = sorted((n, group) for group, n in participants.items()  # type: ignore[type-var]
                        if n > 0 and group not in hidden)
    while candidates and (len(hidden) == 1 or sum(participants[g] for g in hidden) < min_size):
        hidden.add(candidates.pop(0)[1])
    return frozenset(hidden)


def suppressed_cells(cells: Mapping[tuple[R, C], int], min_size: int
                     ) -> frozenset[tuple[R, C]]:
    """The cells of a (row, column) table to hide: the rule of :func:`suppressed` along
    every row and every column, repeated until it hides nothing more."""
    hidden: set[tuple[R, C]] = set()
    rows = {row for row, _column in cells}
    columns = {column for _row, column in cells}
    while True:
        before = len(hidden)
        for row in rows:
            line = {column: n for (r, column), n in cells.items() if r == row}
            hidden |= {(row, column) for column in suppressed(
                line, min_size, {c for (r, c) in hidden if r == row})}
        for column in columns:
            across = {row: n for (row, c), n in cells.items() if c == column}
            hidden |= {(row, column) for row in suppressed(
                across, min_size, {r for (r, c) in hidden if c == column})}
        if len(hidden) == before:
            return frozenset(hidden)
