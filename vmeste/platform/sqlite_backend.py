"""Tortoise's SQLite backend, with Unicode case folding for the embedded default.

SQLite's built-in ``upper()`` folds ASCII only, so a case-insensitive search
(``icontains``, which compares ``UPPER`` of both sides) would not find «Школа» for
«школа». Registering Python's ``str.upper`` as ``upper`` on every connection makes
Russian search behave as it does on PostgreSQL.

The embedded default has two connections to the file when the worker runs in-process
(the API's and the worker's, each on its own event loop). Transactions therefore
begin ``IMMEDIATE``: a deferred transaction that reads and then writes cannot wait for
the other writer and fails at once with "database is locked", while an immediate one
takes the write lock up front and waits up to the busy timeout for it.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError

#: How long a connection waits for the other one's write lock (milliseconds).
BUSY_TIMEOUT_MS = 30_000


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class UnicodeSqliteClient(SqliteClient):
    def __init__(self, file_path: str, **kwargs: object) -> None:
        kwargs.setdefault("busy_timeout", BUSY_TIMEOUT_MS)
        super().__init__(file_path, **kwargs)

    async def _post_connect(self) -> None:
        await super()._post_connect()
        await self._connection.create_function("upper", 1, _upper, deterministic=True)

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = UnicodeSqliteClient
