from vmeste.platform.reference.models import Territory, TerritoryKind


async def test_tables_start_empty_and_accept_rows(db):
    assert await Territory.all().count() == 0
    await Territory.create(code="RU", name="Россия", kind=TerritoryKind.COUNTRY,
                           timezone="Europe/Moscow", path="RU")
    assert await Territory.filter(code="RU").exists()


async def test_each_test_gets_empty_tables(db):
    assert await Territory.all().count() == 0


async def test_upgrading_marks_rows_relayed_before_done_at_existed_as_done(tmp_path):
    """Migration 0005 adds ``done_at``; rows relayed before it are done, or the first
    sweep after an upgrade would relay the whole outbox history again."""
    from datetime import UTC, datetime

    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    from vmeste.platform.db import tortoise_config
    from vmeste.platform.settings import load_settings

    config = tortoise_config(load_settings(
        {"VMESTE_DATABASE_URL": f"sqlite://{tmp_path / 'upgrade.sqlite3'}"}))
    relayed = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    try:
        await migrate(config=config, target="vmeste.0004_notifications_outbox_deadlines")
        conn = Tortoise.get_connection("default")
        await conn.execute_query(
            "INSERT INTO outbox_message (topic, dedupe_key, payload, created_at, relayed_at, "
            "relay_attempts, last_error) VALUES ('t', 'old', '{}', ?, ?, 0, ''), "
            "('t', 'new', '{}', ?, NULL, 0, '')",
            [relayed.isoformat(), relayed.isoformat(), relayed.isoformat()])
        await migrate(config=config)
        conn = Tortoise.get_connection("default")
        _, rows = await conn.execute_query(
            "SELECT dedupe_key, done_at FROM outbox_message ORDER BY dedupe_key")
    finally:
        await Tortoise.close_connections()
    done = {row["dedupe_key"]: row["done_at"] for row in rows}
    assert done["new"] is None
    assert done["old"] is not None and str(done["old"]).startswith("2026-01-02")
