import asyncio
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from vmeste.platform.reference.models import Territory, TerritoryKind
from vmeste.testing import _admin_execute


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


@dataclass(frozen=True)
class OldAppeal:
    id: int


async def old_appeal(conn: Any, pk: int, applicant_id: int, category_id: int,
                     territory: Territory, status: str,
                     organization_id: int | None = None) -> OldAppeal:
    """An appeal row as the tables before migration 0016 hold it: the model has columns
    they lack, so ``Appeal.create`` cannot write one."""
    postgres = conn.capabilities.dialect == "postgres"
    columns = ("id", "applicant_id", "applicant_type", "channel", "category_id",
               "territory_id", "territory_path", "address", "text", "legal_track", "status",
               "rework_count", "revision", "created_at", "updated_at", "reminders_sent",
               "organization_id")
    now = datetime.now(UTC)
    marks = ", ".join(f"${n + 1}" if postgres else "?" for n in range(len(columns)))
    await conn.execute_query(
        f"INSERT INTO appeal ({', '.join(columns)}) VALUES ({marks})",
        [pk, applicant_id, "person", "portal", category_id, territory.id, territory.path, "",
         "Яма", "message", str(status), 0, 0, now if postgres else now.isoformat(),
         now if postgres else now.isoformat(), "[]", organization_id])
    return OldAppeal(pk)


async def test_upgrading_makes_appeal_notifications_subjects_and_keeps_their_log(tmp_path):
    """Migration 0007 turns ``notification.appeal_id`` into the subject ``('appeal',
    id)`` and opens the channel columns; no notification, attempt or index is lost."""
    from tortoise import Tortoise
    from tortoise.backends.base.executor import EXECUTOR_CACHE
    from tortoise.migrations.api.migrate import migrate

    from tests.worlds import MUNICIPALITY_A, ORG_A, seed_world
    from vmeste.platform.appeals.models import AppealStatus
    from vmeste.platform.db import tortoise_config
    from vmeste.platform.identity.models import User
    from vmeste.platform.notifications.models import DeliveryAttempt, Notification
    from vmeste.platform.settings import load_settings

    config = tortoise_config(load_settings(
        {"VMESTE_DATABASE_URL": f"sqlite://{tmp_path / 'upgrade.sqlite3'}"}))
    try:
        await migrate(config=config, target="vmeste.0006_watchdog_next_check")
        # The models, not only the connection: run alone, no earlier test opened them.
        await Tortoise.init(config=config)
        world = await seed_world()  # tables untouched by 0007 are as the models say
        user = await User.create(issuer="dev", subject="ivanova")
        territory = await Territory.get(code=MUNICIPALITY_A)
        conn = Tortoise.get_connection("default")
        appeal = await old_appeal(conn, 1, user.id, world.categories["roads.pits"], territory,
                                  AppealStatus.ROUTED, world.organizations[ORG_A])
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
        # Tortoise keeps each table's INSERT by connection name, not by dialect: on the
        # suite's PostgreSQL pass the next test would send SQLite's "?" to PostgreSQL.
        EXECUTOR_CACHE.clear()
    assert (row.subject_type, row.subject_id) == ("appeal", appeal.id)
    assert kept == ("routed", "email", "a@b.c")
    assert attempts == 1
    columns = {sql["sql"].split("(", 1)[1] for sql in indexes}
    assert {'"subject_type", "subject_id")', '"recipient_id", "channel", "id")',
            '"status", "id")'} <= {c.replace("`", '"') for c in columns}


@pytest.fixture
def upgrade_url(tmp_path: Path) -> Iterator[str]:
    """An empty database to migrate step by step: a SQLite file, or a fresh PostgreSQL
    database when the suite runs on PostgreSQL (dropped afterwards)."""
    server = os.environ.get("VMESTE_TEST_DATABASE_URL", "").strip()
    if not server.startswith("postgres"):
        yield f"sqlite://{tmp_path / 'upgrade.sqlite3'}"
        return
    name = f"vmeste_upgrade_{secrets.token_hex(4)}"
    asyncio.run(_admin_execute(server, f'CREATE DATABASE "{name}"'))
    yield urlsplit(server)._replace(path=f"/{name}").geturl()
    asyncio.run(_admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_upgrading_carries_appeal_pauses_and_extensions_over_to_any_subject(
        upgrade_url):
    """Migration 0008 moves ``appeal_pause`` and ``appeal_extension`` rows, ids and all,
    into the subject-generic tables, and new rows continue after them."""
    from datetime import UTC, datetime

    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    from vmeste.platform.appeals.models import AppealStatus
    from vmeste.platform.db import tortoise_config
    from vmeste.platform.deadlines.models import DeadlineExtension, DeadlinePause
    from vmeste.platform.identity.models import User
    from vmeste.platform.reference.models import Category, CompetenceLevel
    from vmeste.platform.settings import load_settings

    config = tortoise_config(load_settings({"VMESTE_DATABASE_URL": upgrade_url}))
    started = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    postgres = upgrade_url.startswith("postgres")

    def insert(table: str, columns: tuple[str, ...]) -> str:
        marks = ", ".join(f"${n + 1}" if postgres else "?" for n in range(len(columns)))
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"

    try:
        await migrate(config=config, target="vmeste.0006_watchdog_next_check")
        # The models, not only the connection: run alone, no earlier test opened them.
        await Tortoise.init(config=config)
        territory = await Territory.create(code="RU", name="Россия", timezone="Europe/Moscow",
                                           kind=TerritoryKind.COUNTRY, path="RU")
        category = await Category.create(code="roads", name="Дороги", path="roads",
                                         competence_level=CompetenceLevel.MUNICIPAL)
        user = await User.create(issuer="dev", subject="citizen")
        conn = Tortoise.get_connection("default")
        appeals = [await old_appeal(conn, pk, user.id, category.id, territory,
                                    AppealStatus.CLARIFICATION_REQUESTED) for pk in (1, 2)]
        for appeal in appeals:
            await conn.execute_query(insert("appeal_pause", (
                "appeal_id", "started_at", "reason", "timeout_at", "reminders_sent")),
                [appeal.id, started, "clarification", started.replace(day=9), "[0.5]"])
        await conn.execute_query(insert("appeal_extension", (
            "appeal_id", "units", "reason", "actor", "at")),
            [appeals[1].id, 10, "Запрос документов", "org-admin", started])
        await migrate(config=config)
        pauses = await DeadlinePause.all().order_by("id")
        extensions = await DeadlineExtension.all()
        fresh = await DeadlinePause.create(subject_type="hearing", subject_id=1,
                                           started_at=started, reason="court")
    finally:
        await Tortoise.close_connections()
    assert [(p.subject_type, p.subject_id, p.reason, p.reminders_sent, p.ended_at)
            for p in pauses] == [("appeal", a.id, "clarification", [0.5], None)
                                 for a in appeals]
    assert pauses[0].started_at == started and pauses[0].timeout_at == started.replace(day=9)
    assert [(e.subject_type, e.subject_id, e.units, e.reason, e.actor) for e in extensions] == [
        ("appeal", appeals[1].id, 10, "Запрос документов", "org-admin")]
    assert fresh.id > pauses[-1].id


async def test_outbox_rows_gain_a_request_context_and_lose_it_going_back(upgrade_url):
    """Migration 0009 adds ``request_id`` and ``traceparent`` ("" in the rows already
    queued); going back drops both and keeps the rows and the table's indexes (Tortoise's
    SQLite editor would rebuild the table without them)."""
    from datetime import UTC, datetime

    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    from vmeste.platform.db import tortoise_config
    from vmeste.platform.outbox.models import OutboxMessage
    from vmeste.platform.settings import load_settings

    config = tortoise_config(load_settings({"VMESTE_DATABASE_URL": upgrade_url}))
    postgres = upgrade_url.startswith("postgres")
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    queued_at = datetime(2026, 5, 1, tzinfo=UTC)
    indexes = ("SELECT indexdef AS definition FROM pg_indexes WHERE tablename = "
               "'outbox_message'" if postgres else "SELECT sql AS definition FROM "
               "sqlite_master WHERE type = 'index' AND tbl_name = 'outbox_message' "
               "AND sql IS NOT NULL")
    try:
        await migrate(config=config, target="vmeste.0008_deadline_subjects")
        await Tortoise.init(config=config)
        conn = Tortoise.get_connection("default")
        await conn.execute_query(
            "INSERT INTO outbox_message (topic, dedupe_key, payload, created_at, "
            "relay_attempts, last_error) VALUES ('t', 'queued', '{}', "
            f"{'$1' if postgres else '?'}, 0, '')", [queued_at if postgres else
                                                      queued_at.isoformat()])
        _, before = await conn.execute_query(indexes)
        await migrate(config=config)
        queued = await OutboxMessage.get(dedupe_key="queued")
        await OutboxMessage.create(topic="t", dedupe_key="new", request_id="req-upgrade-1",
                                   traceparent=traceparent)
        fresh = await OutboxMessage.get(dedupe_key="new")
        await migrate(config=config, target="vmeste.0008_deadline_subjects")
        conn = Tortoise.get_connection("default")
        _, rows = await conn.execute_query("SELECT * FROM outbox_message ORDER BY id")
        _, after = await conn.execute_query(indexes)
    finally:
        await Tortoise.close_connections()
    assert (queued.request_id, queued.traceparent) == ("", "")
    assert (fresh.request_id, fresh.traceparent) == ("req-upgrade-1", traceparent)
    assert [row["dedupe_key"] for row in rows] == ["queued", "new"]
    assert not {"request_id", "traceparent"} & set(dict(rows[0]))
    assert sorted(row["definition"] for row in after) == sorted(
        row["definition"] for row in before)
    assert sum("relayed_at" in row["definition"] for row in after) == 2  # the relay's
