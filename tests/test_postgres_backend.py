"""The PostgreSQL pool skips asyncpg's server-side session reset on release: what it
saves, what it still does, and the source rule that makes skipping it safe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from vmeste.platform.db import tortoise_config
from vmeste.platform.postgres_backend import SessionlessAsyncpgClient
from vmeste.platform.reference.models import Territory, TerritoryKind
from vmeste.platform.settings import Settings, load_settings
from vmeste.schema.compiled.statements import Statements, database, fetch

ROOT = Path(__file__).resolve().parent.parent

#: SQL that leaves state on the session, which a pool without the reset query would
#: hand to the next request: session advisory locks, LISTEN, session-wide SET, cursors
#: declared WITH HOLD, set_config(…, false).
SESSION_STATE = re.compile(
    r"pg_advisory_lock|pg_try_advisory_lock\(|\bLISTEN\s|add_listener\(|"
    r"""(^\s*|[(=,]\s*[fr]?["']|;\s*)SET\s+(?!LOCAL\b)|WITH\s+HOLD|"""
    r"set_config\([^)]*,\s*false\)")  # SQL keywords as the code writes them: upper case


def test_the_engine_is_chosen_for_postgresql_urls_only(tmp_path: Path):
    pg = tortoise_config(load_settings({"VMESTE_DATABASE_URL": "postgres://u@db.internal:5432/d"}))
    lite = tortoise_config(load_settings({"VMESTE_DATABASE_URL": f"sqlite://{tmp_path}/v.sqlite3"}))
    assert pg["connections"]["default"]["engine"] == "vmeste.platform.postgres_backend"
    assert pg["connections"]["default"]["credentials"]["database"] == "d"
    assert lite["connections"]["default"]["engine"] == "vmeste.platform.sqlite_backend"


def test_the_platform_keeps_no_session_state_a_reset_would_clear():
    offenders = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
                 for path in sorted((ROOT / "vmeste").rglob("*.py"))
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if SESSION_STATE.search(line) and "SESSION_STATE" not in line]
    assert offenders == []


@pytest.mark.parametrize("line", [
    "await conn.execute('SET statement_timeout = 100')",
    'await conn.execute("SET SESSION search_path TO x")',
    "SELECT pg_advisory_lock(42)",
    "await conn.add_listener('outbox', wake)",
    "LISTEN outbox_ready",
    "SELECT set_config('app.user', $1, false)",
])
def test_the_session_state_rule_catches_what_it_names(line):
    assert SESSION_STATE.search(line)


@pytest.mark.parametrize("line", [
    "SET LOCAL session_replication_role = replica",
    "SELECT set_config('app.user', $1, true)",
    "settings of the SET of territories",
    '"UPDATE outbox_message SET done_at = relayed_at"',
    """f'UPDATE "{table}" SET "{column}" = $1'""",
    "set VMESTE_BROKER_URL to amqp://",
])
def test_the_session_state_rule_lets_transaction_scoped_sql_pass(line):
    assert not SESSION_STATE.search(line)


def _pool_connections() -> list:
    client = Tortoise.get_connection("default")
    return [holder._con for holder in client._pool._holders if holder._con is not None]


@pytest.mark.postgres_only
async def test_a_read_outside_a_transaction_costs_one_statement(db: Settings):
    if db.is_sqlite:
        pytest.skip("the pool and its reset are asyncpg's")
    await Territory.filter(code="nowhere").first()  # opens the pool
    statements: list[str] = []
    for connection in _pool_connections():
        connection.add_query_logger(lambda record: statements.append(record.query))
    await Territory.filter(code="nowhere").first()
    assert len(statements) == 1 and "territory" in statements[0]


@pytest.mark.postgres_only
async def test_a_transaction_left_open_is_still_rolled_back_on_release(db: Settings):
    if db.is_sqlite:
        pytest.skip("the pool and its reset are asyncpg's")
    pool = Tortoise.get_connection("default")._pool
    async with pool.acquire() as connection:
        await connection.execute("BEGIN")
        await connection.execute("CREATE TEMP TABLE left_open (n int)")
    connections = _pool_connections()
    assert connections and not any(c.is_in_transaction() for c in connections)
    for connection in connections:  # the table of the rolled-back transaction is gone
        assert await connection.fetchval("SELECT to_regclass('pg_temp.left_open')") is None


async def test_a_built_read_inside_a_transaction_sees_what_the_transaction_wrote(db: Settings):
    """The compiled path fetches from the pool only outside a transaction."""
    query = Territory.filter(code="t-backend").values_list("id", "code")
    statement = Statements(8).select(Territory.filter(code="t-backend"), ("id", "code"))
    async with in_transaction():
        territory = await Territory.create(code="t-backend", name="Внутри",
                                           kind=TerritoryKind.COUNTRY,
                                           timezone="Europe/Moscow", path="t-backend")
        rows = await fetch(database(Territory), statement)
        assert [tuple(row) for row in rows] == [(territory.id, "t-backend")]
        assert await query == [(territory.id, "t-backend")]
    outside = await fetch(database(Territory), statement)
    assert [tuple(row) for row in outside] == [(territory.id, "t-backend")]
    assert isinstance(database(Territory), SessionlessAsyncpgClient) != db.is_sqlite
