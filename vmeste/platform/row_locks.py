"""Row locks inside a transaction, where the database has them.

A subject taking many concurrent writes (ballots, poll responses) is locked shared by
each write and exclusively by the step that ends them (closing), so the step waits for
the writes under way and a write arriving meanwhile waits for the step, then sees it.
On PostgreSQL these are row locks. SQLite has none, but its writing transactions are
serialised (``BEGIN IMMEDIATE``, :mod:`vmeste.platform.sqlite_backend`), so a row read
inside the transaction is already the one every other writer waits behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.queryset import QuerySet

M = TypeVar("M", bound=Model)


def _postgres(conn: BaseDBAsyncClient) -> bool:
    return bool(conn.capabilities.dialect == "postgres")


async def locked_values(conn: BaseDBAsyncClient, model: type[Model], pk: int,
                        columns: Sequence[str], *, exclusive: bool
                        ) -> dict[str, Any] | None:
    """``columns`` of the row as it is now, locked (``FOR UPDATE`` or ``FOR SHARE``)
    until ``conn``'s transaction ends: one statement on PostgreSQL."""
    if _postgres(conn):
        mode = "UPDATE" if exclusive else "SHARE"
        names = ", ".join(f'"{c}"' for c in columns)
        _, rows = await conn.execute_query(
            f'SELECT {names} FROM "{model._meta.db_table}" WHERE "id" = $1 FOR {mode}', [pk])
        return dict(rows[0]) if rows else None
    found = await model.filter(id=pk).using_db(conn).values(*columns)
    return found[0] if found else None


async def for_update(conn: BaseDBAsyncClient, query: QuerySet[M]) -> M | None:
    """The query's first row, locked for update until the transaction ends."""
    query = query.using_db(conn)
    if _postgres(conn):
        query = query.select_for_update()
    return await query.first()
