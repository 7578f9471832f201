"""The bulletin board's Merkle tree, checked against sha256 computed here: leaves and
inner nodes hashed apart, and nothing but a receipt proved."""

from __future__ import annotations

import hashlib

from vmeste.platform.votes import merkle
from vmeste.platform.votes.merkle import Side, Step

RECEIPTS = sorted(hashlib.sha256(bytes([n])).hexdigest() for n in range(4))


def h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_leaves_and_nodes_are_hashed_with_their_own_prefix() -> None:
    leaves = [h(b"\x00" + bytes.fromhex(r)) for r in RECEIPTS]
    left, right = h(b"\x01" + leaves[0] + leaves[1]), h(b"\x01" + leaves[2] + leaves[3])
    tree = merkle.levels(RECEIPTS)
    assert merkle.root_of(tree) == h(b"\x01" + left + right).hex()
    # An odd level carries its last node up unchanged.
    assert merkle.root_of(merkle.levels(RECEIPTS[:3])) == h(b"\x01" + left + leaves[2]).hex()
    assert merkle.root_of(merkle.levels([])) == h(b"").hex()
    for index, receipt in enumerate(RECEIPTS):
        assert merkle.verify(receipt, merkle.proof(tree, index), merkle.root_of(tree))
        assert merkle.verify(receipt.upper(), merkle.proof(tree, index), merkle.root_of(tree))


def test_an_inner_node_does_not_pass_for_a_receipt() -> None:
    """The classic second preimage: a node's two children given as one leaf."""
    tree = merkle.levels(RECEIPTS)
    root = merkle.root_of(tree)
    forged = (tree[0][0] + tree[0][1]).hex()
    assert not merkle.verify(forged, [Step(tree[1][1].hex(), Side.RIGHT)], root)


def test_what_is_not_a_receipt_or_a_proof_is_refused_not_raised() -> None:
    tree = merkle.levels(RECEIPTS)
    root, steps = merkle.root_of(tree), merkle.proof(tree, 0)
    for bad in ("", RECEIPTS[0][:63], RECEIPTS[0] + "0", "z" * 64, " " + RECEIPTS[0][1:]):
        assert not merkle.verify(bad, steps, root)
    assert not merkle.verify(RECEIPTS[0], [Step("xyz", steps[0].side), *steps[1:]], root)
