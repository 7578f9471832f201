"""Database configuration, connections and migrations.

The same committed migrations run on SQLite (the embedded default) and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as tortoise_migrate
from tortoise.migrations.executor import MigrationExecutor

from vmeste.platform.components import declared
from vmeste.platform.components import model_modules as declared_models
from vmeste.platform.plugins import build_plugin_manager
from vmeste.platform.settings import Settings, load_settings

APP_LABEL = "vmeste"
MIGRATIONS_MODULE = "vmeste.platform.migrations"


def model_modules(settings: Settings) -> list[str]:
    """Every component's model modules: the components declare them (see
    :mod:`vmeste.platform.components`), so a new component's tables need no edit here."""
    return declared_models(declared(build_plugin_manager(settings)))


def tortoise_config(settings: Settings) -> dict[str, Any]:
    """Tortoise's config dict; creates the SQLite file's folder on first use."""
    connection: str | dict[str, Any] = settings.database_url
    if settings.is_sqlite:
        path = settings.database_url.split("://", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = {**expand_db_url(settings.database_url),
                      "engine": "vmeste.platform.sqlite_backend"}
    else:
        expanded = expand_db_url(settings.database_url)
        if expanded["engine"] == "tortoise.backends.asyncpg":
            connection = {**expanded, "engine": "vmeste.platform.postgres_backend"}
    return {
        "connections": {"default": connection},
        "apps": {
            APP_LABEL: {
                "models": model_modules(settings),
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str) -> Any:
    # The ``tortoise`` CLI reads ``[tool.tortoise] tortoise_orm`` from pyproject.toml;
    # computing it lazily keeps importing this module free of environment reads.
    if name == "TORTOISE_ORM":
        return tortoise_config(load_settings())
    raise AttributeError(name)


@asynccontextmanager
async def connect(settings: Settings, *, global_fallback: bool = False) -> AsyncIterator[None]:
    """Open the ORM for the duration of a block (CLI commands, workers, tests)."""
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=global_fallback)
    try:
        yield
    finally:
        await Tortoise.close_connections()


async def migrate(settings: Settings, progress: Callable[[str, str, str], object] | None = None
                  ) -> None:
    """Apply every pending migration, then release the connections it opened."""
    try:
        await tortoise_migrate(config=tortoise_config(settings), progress=progress)
    finally:
        await Tortoise.close_connections()


async def pending_migrations(settings: Settings) -> list[str]:
    """Names of migrations on disk that the connected database has not applied."""
    executor = MigrationExecutor(
        connections.get("default"),
        {APP_LABEL: {"models": model_modules(settings), "migrations": MIGRATIONS_MODULE}},
    )
    steps = await executor.plan()
    return [step.migration.name for step in steps if not step.backward]


def redact_url(url: str) -> str:
    """A database or broker URL with its password removed, safe to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
