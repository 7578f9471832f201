"""Per-process memory of what a sealed bulletin board fixes.

Once a vote is closed its counted ballots are fixed by the board's root: a quarantine
or its release seals the board again under a new root, and nothing else changes them.
So whatever is computed from the counted ballots alone (the Merkle tree, equal-shares
winners, a published export) can be kept under a key holding the vote and its root,
and never goes stale. :class:`Recent` keeps the few last asked for.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """A small least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
