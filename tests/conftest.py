"""Fixtures shared by the platform's own tests (the general ones live in
``vmeste.testing``, which regional plugins use too)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import limits.aio.storage.memory
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.worlds import COUNTRY, World, seed_world
from vmeste.app import create_app
from vmeste.platform.ratelimits import limiter
from vmeste.platform.settings import Settings
from vmeste.testing import GraphQLClient

#: The embedded default's database file in a data folder (settings.py).
SQLITE_NAME = "vmeste.sqlite3"

AppClient = Callable[..., AbstractAsyncContextManager[tuple[Starlette, GraphQLClient]]]

# The commands tests start inherit this environment, and the POSIX locale picks their
# language: a developer's LANG=en_US.UTF-8 must not turn the Russian they expect English.
for _name in ("LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_name, None)
os.environ["LANG"] = "C.UTF-8"


@pytest_asyncio.fixture
async def world(db: Settings) -> World:
    """The shared small world (see ``tests/worlds.py``) on empty tables."""
    return await seed_world()


@pytest.fixture
def app_client(db: Settings) -> AppClient:
    """``async with app_client(max_query_depth=3) as (app, graphql):`` an app built from
    the test settings with some of them replaced."""

    @asynccontextmanager
    async def build(**changes: Any) -> AsyncIterator[tuple[Starlette, GraphQLClient]]:
        if "dev_mode" in changes:  # GraphiQL follows dev mode, as in load_settings
            changes.setdefault("graphiql", changes["dev_mode"])
        app = create_app(replace(db, **changes), manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vmeste.test") as http:
            yield app, GraphQLClient(http)

    return build


@pytest_asyncio.fixture
async def federal(world: World, make_token: Any) -> str:
    """A federal configurator's bearer token (the world is seeded first)."""
    return str(await make_token("federal_configurator", territory=COUNTRY))


class WindowClock:
    """The wall clock of the in-memory budgets, started at the top of the next hour and
    running at the real pace. The sliding-window counter floors the previous window's
    weighted count, so a test that crossed a window's end between two requests would
    get one request more than its budget: every test starts a fresh window instead."""

    def __init__(self) -> None:
        self.base = (time.time() // 3600 + 1) * 3600
        self.started = time.monotonic()

    def time(self) -> float:
        return self.base + time.monotonic() - self.started

    def monotonic(self) -> float:
        return time.monotonic()


@pytest.fixture
def window_clock(monkeypatch: pytest.MonkeyPatch) -> WindowClock:
    clock = WindowClock()
    monkeypatch.setattr(limits.aio.storage.memory, "time", clock)
    monkeypatch.setattr(limiter, "time", clock)
    return clock


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder's SQLite file after ``vmeste migrate``, made once per test process:
    the command takes ten seconds or more (Tortoise clones its schema state for every
    operation of every migration), and the commands' tests only need its result."""
    from tests.test_cli import vmeste

    folder = tmp_path_factory.mktemp("migrated")
    result = vmeste(folder, "migrate")
    assert result.returncode == 0, result.stderr
    return folder / "var" / SQLITE_NAME


@pytest.fixture
def migrated_folder(tmp_path: Path, migrated_sqlite: Path) -> Path:
    """This test's folder as ``vmeste migrate`` leaves it (``vmeste(tmp_path, ...)`` runs
    the commands there), from a copy of the migrated file."""
    (tmp_path / "var").mkdir(exist_ok=True)
    shutil.copyfile(migrated_sqlite, tmp_path / "var" / SQLITE_NAME)
    return tmp_path
