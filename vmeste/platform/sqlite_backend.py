"""Tortoise's SQLite backend, with Unicode case folding for the embedded default.

SQLite's built-in ``upper()`` folds ASCII only, so a case-insensitive search
(``icontains``, which compares ``UPPER`` of both sides) would not find «Школа» for
«школа». Registering Python's ``str.upper`` as ``upper`` on every connection makes
Russian search behave as it does on PostgreSQL.
"""

from __future__ import annotations

from tortoise.backends.sqlite.client import SqliteClient


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


class UnicodeSqliteClient(SqliteClient):
    async def _post_connect(self) -> None:
        await super()._post_connect()
        await self._connection.create_function("upper", 1, _upper, deterministic=True)


client_class = UnicodeSqliteClient
