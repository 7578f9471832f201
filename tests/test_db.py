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


async def test_upgrading_makes_appeal_notifications_subjects_and_keeps_their_log(tmp_path):
    """Migration 0007 turns ``notification.appeal_id`` into the subject ``('appeal',
    id)`` and opens the channel columns; no notification, attempt or index is lost."""
    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    from tests.worlds import MUNICIPALITY_A, ORG_A, seed_world
    from vmeste.platform.appeals.models import Appeal, AppealStatus, ApplicantType, Channel
    from vmeste.platform.db import tortoise_config
    from vmeste.platform.identity.models import User
    from vmeste.platform.notifications.models import DeliveryAttempt, Notification
    from vmeste.platform.settings import load_settings

    config = tortoise_config(load_settings(
        {"VMESTE_DATABASE_URL": f"sqlite://{tmp_path / 'upgrade.sqlite3'}"}))
    try:
        await migrate(config=config, target="vmeste.0006_watchdog_next_check")
        world = await seed_world()  # tables untouched by 0007 are as the models say
        user = await User.create(issuer="dev", subject="ivanova")
        territory = await Territory.get(code=MUNICIPALITY_A)
        appeal = await Appeal.create(
            applicant=user, applicant_type=ApplicantType.PERSON, channel=Channel.PORTAL,
            category_id=world.categories["roads.pits"], territory=territory,
            territory_path=territory.path, text="Яма", status=AppealStatus.ROUTED,
            organization_id=world.organizations[ORG_A])
        conn = Tortoise.get_connection("default")
        await conn.execute_query(
            "INSERT INTO notification (dedupe_key, event, channel, recipient_id, address, "
            "appeal_id, territory_path, subject, body, data, status, attempts, last_error, "
            "created_at) VALUES (?, 'routed', 'email', ?, 'a@b.c', ?, ?, 'Тема', 'Текст', "
            "'{}', 'sent', 1, '', '2026-01-02T03:04:05+00:00')",
            [f"appeal-event:1:email:user:{user.id}", user.id, appeal.id, territory.path])
        await conn.execute_query(
            "INSERT INTO delivery_attempt (notification_id, number, at, ok, error, "
            "duration_ms) VALUES (1, 1, '2026-01-02T03:04:05+00:00', 1, '', 7)")
        await migrate(config=config)
        row = await Notification.get(id=1)
        kept = (row.event, row.channel, row.address)
        attempts = await DeliveryAttempt.filter(notification_id=1).count()
        conn = Tortoise.get_connection("default")
        _, indexes = await conn.execute_query(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notification' "
            "AND sql IS NOT NULL")
        row.channel = "messenger-kirov-region-long-name"  # wider than the old enum
        await row.save(update_fields=["channel"])
    finally:
        await Tortoise.close_connections()
    assert (row.subject_type, row.subject_id) == ("appeal", appeal.id)
    assert kept == ("routed", "email", "a@b.c")
    assert attempts == 1
    columns = {sql["sql"].split("(", 1)[1] for sql in indexes}
    assert {'"subject_type", "subject_id")', '"recipient_id", "channel", "id")',
            '"status", "id")'} <= {c.replace("`", '"') for c in columns}
