"""Appeal statistics on a small world: the columns the steps keep for them (the first
answer survives rework), weeks in the territory's days, complementary suppression of a
two-way table, and migration 0016 filling the columns of appeals written before it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.appeal_world import seed_appeal_world
from tests.test_db import old_category, upgrade_url  # noqa: F401 (the fixture)
from tests.worlds import MUNICIPALITY_A
from vmeste.platform.appeals import statistics as stats
from vmeste.platform.appeals.models import Appeal, Channel
from vmeste.platform.appeals.services import AppealServices, SubmitInput
from vmeste.platform.identity.dev_tokens import dev_claims
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.identity.services import load_principal, upsert_user
from vmeste.platform.identity.tokens import claims_to_identity
from vmeste.platform.suppression import suppressed_cells
from vmeste.testing import Clock

#: A Monday morning in Kirov (UTC+3).
MONDAY = datetime(2026, 11, 2, 6, tzinfo=UTC)


def test_a_two_way_table_hides_complements_along_rows_and_columns() -> None:
    cells = {("a", 1): 3, ("a", 2): 40, ("b", 1): 50, ("b", 2): 60, ("c", 1): 70}
    hidden = suppressed_cells(cells, 10)
    # ("a", 1) is small; its column gives it back unless ("b", 1) goes too, its row
    # unless ("a", 2) goes too, and then column 2 needs ("b", 2) hidden as well.
    assert hidden == {("a", 1), ("b", 1), ("a", 2), ("b", 2)}
    assert suppressed_cells({("a", 1): 12, ("b", 1): 40}, 10) == frozenset()


#: Texts unlike each other, so moderation takes none for a repeat.
TEXTS = ("Яма на дороге у дома 7, машины бьют колёса.",
         "На перекрёстке Ленина и Мира провалился асфальт, объезжают по встречной.",
         "Во дворе школы номер три разбита дорога, дети ходят по лужам.",
         "Трещины и выбоины на мосту через реку, опасно ездить вечером.")


async def _walk(services: AppealServices, clock: Clock, citizen: Any, days: float,
                rework: bool = False) -> Appeal:
    """An appeal submitted now, answered ``days`` later, optionally rated 2 and answered
    again a week after that."""
    text = TEXTS[await Appeal.all().count()]
    appeal = await services.submit(citizen, SubmitInput(
        text=text, category_code="roads.pits",
        territory_code=MUNICIPALITY_A, channel=Channel.PORTAL))
    start = services.clock()
    clock.set(start + timedelta(days=days))
    await services.answer(SYSTEM, appeal.id, text="Заделаем яму.")
    if rework:
        await services.rate(citizen, appeal.id, rating=2)
        clock.set(start + timedelta(days=days + 7))
        await services.answer(SYSTEM, appeal.id, text="Заделали.")
    clock.set(start)
    return await Appeal.get(id=appeal.id)


async def author_world(vmeste_app: Any) -> tuple[AppealServices, Any]:
    """The appeal world seeded, its services, and a citizen to write the appeals."""
    await seed_appeal_world()
    return vmeste_app.state.runtime.service(AppealServices), await load_principal(
        await upsert_user(claims_to_identity(dev_claims("author", Role.CITIZEN))))


async def test_the_first_answer_is_kept_through_rework_and_weeks_are_local(
        world: Any, vmeste_app: Any, clock: Clock) -> None:
    services, citizen = await author_world(vmeste_app)
    # Sunday 23:30 in Kirov is Sunday 20:30 UTC: the previous week there.
    clock.set(MONDAY - timedelta(hours=9, minutes=30))
    sunday = await _walk(services, clock, citizen, 2, rework=True)
    clock.set(MONDAY)
    monday = [await _walk(services, clock, citizen, days) for days in (1, 3, 40)]

    assert sunday.received_on == date(2026, 11, 1)
    assert sunday.answer_seconds == 2 * 86_400 and sunday.answered_late is False
    assert sunday.answered_at == sunday.first_answered_at + timedelta(days=7)
    assert [a.received_on for a in monday] == [date(2026, 11, 2)] * 3
    assert [a.answered_late for a in monday] == [False, False, True]

    found = await stats.statistics(SYSTEM, stats.Scope(), period=stats.Period.WEEK,
                                   now=MONDAY + timedelta(days=60), min_group_size=10)
    (series,) = found.series
    weeks = {p.period: p.figures for p in series.points}
    assert list(weeks) == [date(2026, 10, 26), date(2026, 11, 2)]
    last = weeks[date(2026, 10, 26)]
    assert last is not None and (last.appeals, last.reworked, last.ratings) == (
        1, 1, (0, 1, 0, 0, 0))
    this = weeks[date(2026, 11, 2)]
    assert this is not None and this.answered == 3 and this.late == 1
    assert this.median_answer_seconds == 3 * 86_400
    assert this.mean_answer_seconds == 44 * 86_400 / 3
    assert this.on_time_share == 2 / 3

    public = await stats.statistics(SYSTEM, stats.Scope(), period=stats.Period.WEEK,
                                    now=MONDAY, min_group_size=2, published=True)
    assert [p.suppressed for p in public.series[0].points] == [True, True], (
        "one appeal is too few, and the other week would give it back")


async def test_the_upgrade_fills_the_columns_from_the_history(
        upgrade_url: str) -> None:  # noqa: F811 (the fixture)
    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    from vmeste.platform.db import tortoise_config
    from vmeste.platform.identity.models import User
    from vmeste.platform.reference.models import (
        CompetenceLevel,
        Territory,
        TerritoryKind,
    )
    from vmeste.platform.settings import load_settings

    config = tortoise_config(load_settings({"VMESTE_DATABASE_URL": upgrade_url}))
    postgres = upgrade_url.startswith("postgres")
    indexes = ("SELECT indexdef AS definition FROM pg_indexes WHERE tablename = 'appeal'"
               if postgres else "SELECT sql AS definition FROM sqlite_master WHERE "
               "type = 'index' AND tbl_name = 'appeal' AND sql IS NOT NULL")

    def insert(table: str, columns: tuple[str, ...]) -> str:
        marks = ", ".join(f"${n + 1}" if postgres else "?" for n in range(len(columns)))
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"

    def moment(value: datetime | None) -> Any:
        return value if postgres or value is None else value.isoformat(sep=" ")

    day = timedelta(days=1)
    created = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)  # 2 March, 00:30 in Kirov
    # id: registered, due, the answer events, answered_at
    seeded = {1: (created, created + 9 * day, [created + 3 * day, created + 19 * day]),
              2: (created, created + 9 * day, []),
              3: (created, created + 2 * day, [created + 3 * day]),
              4: (None, None, [])}
    columns = ("id", "applicant_id", "applicant_type", "channel", "category_id",
               "territory_id", "territory_path", "address", "text", "legal_track", "status",
               "rework_count", "revision", "created_at", "updated_at", "reminders_sent",
               "registered_at", "due_at", "answered_at")
    events = ("appeal_id", "at", "actor", "action", "from_status", "to_status", "reason",
              "payload")
    try:
        await migrate(config=config, target="vmeste.0014_incidents")
        await Tortoise.init(config=config)
        territory = await Territory.create(code="33701000", name="Киров", path="RU/33701000",
                                           timezone="Europe/Kirov",
                                           kind=TerritoryKind.MUNICIPALITY)
        conn = Tortoise.get_connection("default")
        category_id = await old_category(conn, "roads", "Дороги", CompetenceLevel.MUNICIPAL)
        user = await User.create(issuer="dev", subject="citizen")
        for pk, (registered, due, answers) in seeded.items():
            await conn.execute_query(insert("appeal", columns), [
                pk, user.id, "person", "portal", category_id, territory.id, territory.path,
                "", "Яма", "message", "answered" if answers else "routed", 0, 1,
                moment(created), moment(created), "[]", moment(registered), moment(due),
                moment(answers[-1] if answers else None)])
            for at in answers:
                await conn.execute_query(insert("appeal_event", events), [
                    pk, moment(at), "system", "answer", "in_progress", "answered", "", "{}"])
        _, before = await conn.execute_query(indexes)
        # Up to 0016 and back: the later migrations' models are not these rows'.
        await migrate(config=config, target="vmeste.0016_appeal_statistics")
        upgraded = {row["id"]: row for row in await Appeal.all().values(
            "id", "first_answered_at", "answer_seconds", "answered_late", "received_on")}
        await migrate(config=config, target="vmeste.0014_incidents")
        conn = Tortoise.get_connection("default")
        _, rows = await conn.execute_query("SELECT * FROM appeal ORDER BY id")
        _, after = await conn.execute_query(indexes)
    finally:
        await Tortoise.close_connections()
    assert {pk: (r["first_answered_at"], r["answer_seconds"], r["answered_late"])
            for pk, r in upgraded.items()} == {
        1: (created + 3 * day, 3 * 86_400, False), 2: (None, None, None),
        3: (created + 3 * day, 3 * 86_400, True), 4: (None, None, None)}
    assert {r["received_on"] for r in upgraded.values()} == {date(2026, 3, 2)}
    assert [row["id"] for row in rows] == list(seeded)
    assert "received_on" not in dict(rows[0]) and "answer_seconds" not in dict(rows[0])
    assert sorted(r["definition"] for r in after) == sorted(r["definition"] for r in before)
