"""Tortoise's asyncpg backend, without the server-side session reset on every release.

asyncpg resets a connection each time it returns to the pool with one more round trip
(``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``). Tortoise
takes a connection from the pool for each statement outside a transaction, so a short
read paid for two round trips, and the reset was a fifth of the CPU of answering one
appeal by id. The platform keeps no session state to reset: its locks are row locks
and its settings ``SET LOCAL`` (both end with their transaction), and it neither
LISTENs nor keeps a cursor open outside a transaction; ``tests/test_postgres_backend.py``
holds the source to that. What asyncpg still does on release (rolls back a transaction
left open, drops listeners) stays.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient


async def _no_server_reset(_connection: asyncpg.Connection) -> None:
    """asyncpg calls this after its own client-side reset, in place of the reset query."""


class SessionlessAsyncpgClient(AsyncpgDBClient):
    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        return await super().create_pool(reset=_no_server_reset, **kwargs)

    async def fetch_rows(self, sql: str, params: list[Any]) -> list[Any]:
        """The rows of a read built beforehand, straight from the pool: the compiled read
        path's statements are all reads, so Tortoise's per-statement wrapper (a pool
        context, its exception translation, a debug call, an upper-cased copy of the SQL
        to choose between fetch and execute) would only add to a short read's cost."""
        if self._pool is None:
            _count, rows = await self.execute_query(sql, params)  # opens the pool
            return rows
        return await self._pool.fetch(sql, *params)


client_class = SessionlessAsyncpgClient
