"""The poll row locked inside a transaction (:mod:`vmeste.platform.row_locks`), so that
a response and the closing step are ordered and never interleave: a response locks its
poll shared and re-reads it, so several proceed together and each sees whether the poll
still takes responses; the steps lock it exclusively, so a closing step waits for the
responses under way and counts them, and a response arriving meanwhile finds the poll
closed (``POLL_NOT_OPEN``, nothing written).
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.polls.models import Poll
from vmeste.platform.row_locks import locked_values


async def locked(conn: BaseDBAsyncClient, poll_id: int, *, exclusive: bool) -> Poll | None:
    """The poll as it is now, locked until ``conn``'s transaction ends."""
    if await locked_values(conn, Poll, poll_id, ("id",), exclusive=exclusive) is None:
        return None
    return await Poll.filter(id=poll_id).using_db(conn).first()
