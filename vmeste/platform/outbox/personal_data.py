"""The outbox's share of a citizen's erasure: messages between the platform's parts
and the dead letters of failed jobs carry the person's ``issuer:subject`` in their
payloads (the actor of a step, a recipient). Those already done (delivered messages,
redriven dead letters) serve nobody any more, so the erasure deletes them; pending
ones are still to be delivered and stay until then."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmeste.platform.outbox.models import DeadLetter, OutboxMessage
from vmeste.platform.personal_data import Erasure, Outcome, PersonalData

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

#: Done rows whose JSON columns' text holds the actor.
DONE = {"outbox_message": ("done_at", ("payload",)),
        "dead_letter": ("redriven_at", ("args", "kwargs"))}


async def _export(runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
    """Nothing: a message is the platform's plumbing, not a record about the person."""
    return []


async def _erase(erasure: Erasure) -> Outcome:
    postgres = erasure.conn.capabilities.dialect == "postgres"
    mark = "$1" if postgres else "?"
    removed = 0
    for model in (OutboxMessage, DeadLetter):
        table = model._meta.db_table
        done, columns = DONE[table]
        mentions = " OR ".join(f"CAST({c} AS TEXT) LIKE {mark}" for c in columns)
        count, _rows = await erasure.conn.execute_query(
            f"DELETE FROM {table} WHERE {done} IS NOT NULL AND ({mentions})",
            [f"%{erasure.actor}%"] * (1 if postgres else len(columns)))
        removed += count
    return Outcome(removed=removed, notes=[
        "messages still to be delivered and dead letters not yet redriven are kept"])


OUTBOX_DATA = PersonalData(
    section="outbox", describes="Nothing: messages between the platform's parts that "
    "named you are deleted at erasure once delivered.", export=_export, erase=_erase)
