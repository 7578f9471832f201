"""Which groups of a breakdown may not be published.

A group of fewer than ``min_size`` participants (but more than none) would let anyone
who knows a few of them learn how they voted, so it is suppressed. Suppressing it
alone is not enough: the total and the other groups give it back by subtraction. So
the next smallest groups are suppressed with it until the hidden groups together hold
at least ``min_size`` participants (or every group is hidden); what the total then
reveals is only the sum of a large enough set. Exports and charts take the same set.
"""

from __future__ import annotations

from collections.abc import Mapping


def suppressed(participants: Mapping[str, int], min_size: int) -> frozenset[str]:
    """The groups of one dimension to hide, given each group's participant count."""
    hidden = {group for group, n in participants.items() if 0 < n < min_size}
    if not hidden:
        return frozenset()
    candidates = sorted((n, group) for group, n in participants.items()
                        if n > 0 and group not in hidden)
    while candidates and (len(hidden) == 1 or sum(participants[g] for g in hidden) < min_size):
        hidden.add(candidates.pop(0)[1])
    return frozenset(hidden)
