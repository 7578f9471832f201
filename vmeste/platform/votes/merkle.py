"""The bulletin board's Merkle tree: a root that fixes every receipt at closing, and
inclusion proofs a voter checks against it without trusting the platform.

Leaves are ``sha256(0x00 ‖ receipt bytes)`` in ascending receipt order; a parent is
``sha256(0x01 ‖ left ‖ right)``; a level of odd length carries its last node up
unchanged (no duplicate leaf, so no second-preimage trick with a repeated receipt).
The prefixes keep leaves and inner nodes apart (RFC 6962's domain separation): the
two children of a node, given as one "receipt", do not hash to that node, so no
inner node passes for a ballot. :func:`verify` also takes only a receipt of 64 hex
characters (32 bytes), as every receipt is. A proof lists, from the leaf up, each
sibling and which side it is on. An empty board's root is ``sha256()`` of nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True)
class Step:
    hash: str
    side: Side


LEAF, NODE = b"\x00", b"\x01"
RECEIPT = re.compile(r"[0-9a-fA-F]{64}")


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf(receipt: str) -> bytes:
    return _h(LEAF + bytes.fromhex(receipt))


def node(left: bytes, right: bytes) -> bytes:
    return _h(NODE + left + right)


def levels(receipts: Sequence[str]) -> list[list[bytes]]:
    """Every level from the leaves (``receipts`` sorted) to the root."""
    level = [leaf(r) for r in receipts]
    found = [level]
    while len(level) > 1:
        level = [node(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
        found.append(level)
    return found


def root_of(tree: list[list[bytes]]) -> str:
    """The root as hex; an empty board's root is the hash of nothing."""
    return tree[-1][0].hex() if tree[0] else _h(b"").hex()


def proof(tree: list[list[bytes]], index: int) -> list[Step]:
    steps: list[Step] = []
    for level in tree[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            steps.append(Step(level[sibling].hex(), Side.LEFT if sibling < index else Side.RIGHT))
        index //= 2
    return steps


def verify(receipt: str, steps: Sequence[Step], root: str) -> bool:
    """What a voter (or anyone) runs to check a proof: no platform code needed. False
    for anything that is not a receipt (64 hex characters) or a proof of one."""
    if not RECEIPT.fullmatch(receipt):
        return False
    found = leaf(receipt)
    for step in steps:
        if not RECEIPT.fullmatch(step.hash):
            return False
        sibling = bytes.fromhex(step.hash)
        found = node(sibling, found) if step.side is Side.LEFT else node(found, sibling)
    return found.hex() == root
