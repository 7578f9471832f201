"""The bulletin board: every counted ballot's receipt, fixed at closing by a Merkle
root, and the inclusion proof of any receipt on it.

The board holds receipts only, never contents beside identities. A ballot held in
quarantine at closing is not on it (it is not counted); one released later is (the
board is sealed again when a quarantine changes before publication). The tree is
rebuilt from the receipts on demand and kept per process (with the sorted receipts,
for bisection) for the boards last asked about: a board is fixed once sealed, so a
cached tree never goes stale.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.votes import merkle
from vmeste.platform.votes.models import Ballot, Vote
from vmeste.platform.votes.sealed import Recent

#: Trees kept per process (a national vote's tree of 14M receipts is about 900 MB of
#: hashes in Python, so only a few).
_CACHED_TREES = 4
_Board = tuple[list[str], list[list[bytes]]]
_boards: Recent[tuple[int, str], _Board] = Recent(_CACHED_TREES)


async def receipts(vote_id: int, conn: BaseDBAsyncClient | None = None) -> list[str]:
    """The counted ballots' receipts, ascending: the board's leaves."""
    query = Ballot.filter(vote_id=vote_id, quarantine_id=None)
    if conn is not None:
        query = query.using_db(conn)
    return list(await query.order_by("receipt").values_list("receipt", flat=True))


async def seal(conn: BaseDBAsyncClient, vote: Vote) -> tuple[str, int]:
    """The root and size of the board as it stands in ``conn``'s transaction."""
    leaves = await receipts(vote.pk, conn)
    tree = merkle.levels(leaves)
    root = merkle.root_of(tree)
    _boards.put((vote.pk, root), (leaves, tree))
    return root, len(leaves)


@dataclass(frozen=True)
class Inclusion:
    included: bool
    #: The sealed root (None before closing: there is no board yet).
    root: str | None
    proof: tuple[merkle.Step, ...] = ()
    #: The receipt's position among the board's receipts, from 0.
    index: int | None = None


async def inclusion(vote: Vote, receipt: str) -> Inclusion:
    """Whether ``receipt`` is on the sealed board, with the proof that it is."""
    root = vote.board_root
    if root is None:
        return Inclusion(included=False, root=None)
    board = _boards.get((vote.pk, root))
    if board is None:
        leaves = await receipts(vote.pk)
        board = (leaves, merkle.levels(leaves))
        if merkle.root_of(board[1]) != root:  # changed since sealing: never prove against it
            return Inclusion(included=False, root=root)
        _boards.put((vote.pk, root), board)
    leaves, tree = board
    index = bisect_left(leaves, receipt)
    if index == len(leaves) or leaves[index] != receipt:
        return Inclusion(included=False, root=root)
    return Inclusion(included=True, root=root, proof=tuple(merkle.proof(tree, index)),
                     index=index)

