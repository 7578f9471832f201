"""The row locks that order casting against closing.

Every transaction that writes a ballot first takes the vote's row in share mode and
checks again, inside it, that the vote is open (:func:`hold_open`); closing and every
step that seals the board again take the row for update first (:func:`lock_vote`).
So on PostgreSQL a close waits for the ballots being written to commit, and seals a
board that holds them, and a ballot arriving after it waits for the close, then finds
the vote closed and writes nothing. Ballots do not wait for each other: share locks
do not conflict. On SQLite a writing transaction begins ``IMMEDIATE`` (see
:mod:`vmeste.platform.sqlite_backend`), so writers are serialised and a read inside
the transaction is already current.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.row_locks import locked_values
from vmeste.platform.votes.admission import require_open
from vmeste.platform.votes.models import Vote, VoteStatus

#: What decides whether a vote takes ballots (:func:`admission.is_open`).
SCHEDULE = ("status", "is_template", "opens_at", "closes_at")


async def hold_open(conn: BaseDBAsyncClient, vote: Vote, now: datetime) -> None:
    """Casting's first statement: the vote's row held in share mode until the ballot
    commits, and ``VOTE_NOT_OPEN`` unless it is open at ``now`` as it stands now.
    ``vote`` is refreshed with the schedule read."""
    current = await locked_values(conn, Vote, vote.pk, SCHEDULE, exclusive=False)
    assert current is not None  # votes are never deleted
    for name in SCHEDULE:
        setattr(vote, name, current[name])
    vote.status = VoteStatus(vote.status)
    require_open(vote, now)


async def lock_vote(conn: BaseDBAsyncClient, vote: Vote) -> None:
    """The vote's row locked for update: no ballot is being written for it until the
    transaction ends, and none starts."""
    await locked_values(conn, Vote, vote.pk, ("id",), exclusive=True)
