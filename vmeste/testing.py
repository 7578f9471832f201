"""Pytest fixtures for Vmeste and for regional plugins built on it.

Installed as a pytest plugin (entry point ``pytest11``), so a plugin package gets the
same database, app client and token fixtures as the platform's own suite.

The database is chosen by ``VMESTE_TEST_DATABASE_URL``: unset means SQLite; a
``postgres://`` URL names a server on which a fresh database is created for the
session and dropped afterwards. Migrations run once per session, and every test starts
from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise import Tortoise, connections

from vmeste.app import create_app
from vmeste.platform import db as database
from vmeste.platform.appeals.models import Appeal, Channel
from vmeste.platform.appeals.services import AppealServices, SubmitInput
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.dev_tokens import issue_dev_token
from vmeste.platform.identity.models import Role, User
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.identity.services import load_principal
from vmeste.platform.policies.services import RegionPolicyInput, set_region_policy
from vmeste.platform.settings import Settings, load_settings
from vmeste.testkit import Background, Clock, OutboxInspector


async def _admin_execute(server_url: str, sql: str) -> None:
    import asyncpg

    parts = urlsplit(server_url)
    conn = await asyncpg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        database="postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--vmeste-database-only", action="store_true",
        help="run only the tests that use the database: the second engine's pass, so the "
             "tests that touch no database run once")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test uses the database when its fixture closure reaches the migrated database;
    every database fixture of this module (``db``, ``empty_database``, …) does."""
    if not config.getoption("vmeste_database_only"):
        return
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        uses_database = "vmeste_migrated_database" in getattr(item, "fixturenames", ())
        (kept if uses_database else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def vmeste_migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once for the session: a template SQLite file, or a fresh
    PostgreSQL database that is dropped afterwards."""
    server = os.environ.get("VMESTE_TEST_DATABASE_URL", "").strip()
    if not server or server.startswith("sqlite"):
        url = f"sqlite://{tmp_path_factory.mktemp('db') / 'template.sqlite3'}"
        drop = None
    else:
        name = f"vmeste_test_{os.getpid()}_{secrets.token_hex(3)}"
        url = urlsplit(server)._replace(path=f"/{name}").geturl()
        asyncio.run(_admin_execute(server, f'CREATE DATABASE "{name}"'))
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    asyncio.run(database.migrate(load_settings({"VMESTE_DATABASE_URL": url})))
    yield url
    if drop:
        asyncio.run(_admin_execute(server, drop))


@pytest.fixture
def vmeste_database_url(vmeste_migrated_database: str, tmp_path: Path) -> str:
    """This test's database. SQLite tests get a copy of the migrated template, which is
    faster than emptying tables and leaves the audit trail's append-only triggers on;
    PostgreSQL tests share the session database and start from truncated tables."""
    if not vmeste_migrated_database.startswith("sqlite"):
        return vmeste_migrated_database
    copy = tmp_path / "vmeste.sqlite3"
    shutil.copyfile(vmeste_migrated_database.split("://", 1)[1], copy)
    return f"sqlite://{copy}"


@pytest.fixture
def vmeste_settings(vmeste_database_url: str, tmp_path: Path) -> Settings:
    """Dev-mode settings on this test's database, with a per-test data folder."""
    base = load_settings({"VMESTE_DATABASE_URL": vmeste_database_url, "VMESTE_DEV_MODE": "1",
                          # A test that changes a role sees the change at once.
                          "VMESTE_AUTH_CACHE_SECONDS": "0",
                          # Background workers start only in tests that ask for them.
                          "VMESTE_EMBEDDED_WORKERS": "0",
                          # Webhook tests post to receivers on 127.0.0.1.
                          "VMESTE_WEBHOOK_ALLOW_PRIVATE": "1",
                          # Request budgets only in tests that ask for them
                          # (``app_client(rate_limits=True, ...)``).
                          "VMESTE_RATE_LIMITS": "0"})
    return replace(base, data_dir=tmp_path / "var")


async def _truncate_all() -> None:
    """Empties the tables that have rows and restarts their id sequences.

    A test leaves a few rows in a few tables, and deleting them with triggers off (the
    foreign keys' and the audit table's append-only guard) takes milliseconds, where a
    TRUNCATE of the same tables takes a tenth of a second to seconds (it swaps every
    table's files and waits for exclusive locks). Switching triggers off needs a
    superuser; without one the tables are truncated."""
    conn = connections.get("default")
    tables = [m._meta.db_table for m in Tortoise.apps.get_models_iterable()]
    probe = " UNION ALL ".join(
        f"SELECT '{t}' AS name WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
    _, rows = await conn.execute_query(probe)
    used = [row["name"] for row in rows]
    if not used:
        return
    names = ", ".join(f"'{t}'" for t in used)
    restart = ("SELECT setval(s.oid, 1, false) FROM pg_class s JOIN pg_depend d "
               "ON d.objid = s.oid AND d.deptype IN ('a', 'i') JOIN pg_class t "
               f"ON t.oid = d.refobjid WHERE s.relkind = 'S' AND t.relname IN ({names})")
    _, rows = await conn.execute_query("SELECT current_setting('is_superuser') AS su")
    if rows[0]["su"] == "on":
        await conn.execute_script(
            "BEGIN; SET LOCAL session_replication_role = replica; "
            + "".join(f'DELETE FROM "{t}"; ' for t in used) + restart + "; COMMIT")
    else:
        await conn.execute_script(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in used) + " RESTART IDENTITY CASCADE")


@pytest.fixture
def empty_database(vmeste_settings: Settings) -> Settings:
    """Empty tables for a test that runs the app in its own thread or process (a
    WebSocket test client, a subprocess) rather than in the test's event loop."""
    if not vmeste_settings.is_sqlite:

        async def empty() -> None:
            async with database.connect(vmeste_settings):
                await _truncate_all()

        asyncio.run(empty())
    return vmeste_settings


@pytest_asyncio.fixture
async def db(vmeste_settings: Settings) -> AsyncIterator[Settings]:
    """An open ORM on empty tables; yields the settings it was opened with."""
    async with database.connect(vmeste_settings):
        if not vmeste_settings.is_sqlite:
            await _truncate_all()
        yield vmeste_settings


@pytest_asyncio.fixture
async def vmeste_app(db: Settings) -> Starlette:
    """The ASGI app on the test database (the ORM is already open)."""
    return create_app(db, manage_database=False)


@pytest_asyncio.fixture
async def client(vmeste_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=vmeste_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vmeste.test") as http:
        yield http


class GraphQLClient:
    """Posts GraphQL documents; ``token`` sends a bearer token."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def raw(self, query: str, variables: dict[str, Any] | None = None,
                  token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post("/graphql", json={"query": query, "variables": variables},
                                    headers=headers)

    async def __call__(self, query: str, variables: dict[str, Any] | None = None,
                       token: str | None = None) -> dict[str, Any]:
        response = await self.raw(query, variables, token)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def graphql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


TokenFactory = Callable[..., Awaitable[str]]


@pytest.fixture
def make_token(db: Settings) -> TokenFactory:
    """``await make_token("regional_admin", territory="33000000")`` → a dev bearer token
    for a user holding that role (roles are real assignments in the database)."""

    async def make(role: str = "citizen", *, org: str | None = None,
                   territory: str | None = None, sub: str | None = None) -> str:
        return await issue_dev_token(db, Role(role), organization_ogrn=org,
                                     territory_code=territory, subject=sub)

    return make


@pytest.fixture
def region_policy(vmeste_app: Starlette) -> Callable[..., Awaitable[Any]]:
    """``await region_policy("33000000", "routing", "least-loaded", {...})`` stores a
    region policy as the platform would, through the app's own resolver."""
    runtime = vmeste_app.state.runtime

    async def set_policy(territory_code: str, kind: str, plugin: str,
                         settings: dict[str, Any] | None = None, active: bool = True) -> Any:
        return await set_region_policy(SYSTEM, runtime.resolver, RegionPolicyInput(
            territory_code=territory_code, kind=kind, plugin=plugin, settings=settings,
            active=active))

    return set_policy


@pytest.fixture
def submit_appeal(vmeste_app: Starlette, make_token: TokenFactory
                  ) -> Callable[..., Awaitable[Appeal]]:
    """``await submit_appeal(category="roads", territory="33701000")`` submits an appeal
    through the real lifecycle (moderation, routing) as a citizen, ``citizen`` naming
    which one."""
    runtime = vmeste_app.state.runtime

    async def submit(*, category: str, territory: str, citizen: str = "citizen",
                     text: str = "Во дворе большая яма, машины не могут проехать.",
                     **fields: Any) -> Appeal:
        await make_token("citizen", sub=citizen)
        user = await User.get(issuer=DEV_ISSUER, subject=citizen)
        data = SubmitInput(text=text, category_code=category, territory_code=territory,
                           channel=fields.pop("channel", Channel.PORTAL), **fields)
        return await runtime.service(AppealServices).submit(await load_principal(user), data)

    return submit


@pytest.fixture
def clock(vmeste_app: Starlette) -> Clock:
    """``clock.set(moment)`` / ``clock.advance(days=3)``: the app's "now" for submission
    and every later step, and for the watchdog run by ``run_background``."""
    held = Clock()
    vmeste_app.state.runtime.clock = held
    return held


@pytest.fixture
def outbox(db: Settings) -> OutboxInspector:
    """``await outbox.messages("notification.deliver")``: what the steps have queued."""
    return OutboxInspector()


@pytest.fixture
def run_background(vmeste_app: Starlette) -> Background:
    """``await run_background()`` runs every due job (fan-out, delivery, recomputation,
    domain events, a plugin's topics) and the deadline watchdog until nothing is left,
    in the test's event loop; returns what ran (:class:`vmeste.testkit.BackgroundRun`)."""
    runtime = vmeste_app.state.runtime
    return Background(runtime, lambda: runtime.clock())
