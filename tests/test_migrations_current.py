"""The committed migrations describe the models exactly: a field, index or model changed
without ``tortoise makemigrations`` would reach a database only through a schema the
migrations never create, so production and the models would silently disagree."""

from pathlib import Path

from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

from vmeste.platform.db import tortoise_config
from vmeste.platform.settings import load_settings


async def _pending(tmp_path: Path) -> list[str]:
    """The migrations ``tortoise makemigrations`` would write now, by name."""
    config = tortoise_config(load_settings(
        {"VMESTE_DATABASE_URL": f"sqlite://{tmp_path / 'models.sqlite3'}"}))
    async with tortoise_cli_context(config) as context:
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
    return [f"{writer.app_label}.{writer.name}" for writer in writers]


async def test_the_models_need_no_migration_that_is_not_committed(tmp_path):
    assert await _pending(tmp_path) == []
