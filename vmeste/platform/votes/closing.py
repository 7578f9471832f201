"""Closing a vote: the one step both the organiser (``closeVote``) and the watchdog (at
``closesAt``) take, so the board is sealed the same way whoever closes it.

Closing also drops the keyed links from people to ballots (``voter_key``,
``replay_key``): they serve revoting and retries, which end with the vote, and once gone
not even the holder of ``VMESTE_BALLOT_KEY`` can join a ballot to its voter."""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from vmeste.platform.votes import board
from vmeste.platform.votes.audit import audit_step, state
from vmeste.platform.votes.lifecycle import Action
from vmeste.platform.votes.locks import lock_vote
from vmeste.platform.votes.models import Ballot, Vote, VoteStatus
from vmeste.platform.votes.steps import VOTE_STEPS


async def close_vote(vote: Vote, actor: str, now: datetime, reason: str = "") -> Vote:
    """Refuse further ballots, seal the bulletin board (its root fixes every counted
    receipt), in one transaction with the step's event and its audit record. The vote
    is locked first, so a ballot is either on the board or not written at all."""
    VOTE_STEPS.require(Action.CLOSE, vote)
    before = state(vote)
    async with in_transaction() as conn:
        await lock_vote(conn, vote)  # the ballots being written commit first, then none
        root, size = await board.seal(conn, vote)
        vote.board_root, vote.board_size = root, size
        vote.closed_at, vote.next_check_at = now, None
        await Ballot.filter(Q(voter_key__isnull=False) | Q(replay_key__isnull=False),
                            vote_id=vote.pk).using_db(conn).update(voter_key=None,
                                                                   replay_key=None)
        await VOTE_STEPS.move(conn, vote, actor, Action.CLOSE, VoteStatus.CLOSED,
                              reason=reason, payload={"board_root": root, "board_size": size})
        await audit_step(conn, vote, actor, Action.CLOSE, before)
    return vote


async def reseal(conn: BaseDBAsyncClient, vote: Vote) -> None:
    """A quarantine (or its release) on a closed vote changes which ballots count, so
    the board is sealed again inside that step's transaction; the step's own write
    (``VOTE_STEPS.move``) stores the new root with its event. An open vote has no
    board yet and is left as it is."""
    if vote.status == VoteStatus.CLOSED:
        vote.board_root, vote.board_size = await board.seal(conn, vote)
