"""A direct line is public from the moment it is announced: one cancelled while still a
draft stays a draft to the public, on every read path (the lines list compiled or
resolved, a line by id, a node, asking a question), and migration 0012 gives the lines
already past draft the moment they were announced."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from strawberry import relay

from tests.line_world import citizen, line, now
from tests.test_db import upgrade_url  # noqa: F401 (a fixture)
from tests.worlds import MUNICIPALITY_A, ORG_A, ok_data
from vmeste.app import create_app
from vmeste.platform.errors import DomainError
from vmeste.platform.hearings import access, lines, questions
from vmeste.platform.hearings.line_models import DirectLine, LineStatus
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.settings import Settings

LIST = """{ directLines(status: [CANCELLED]) { totalCount edges { node { id title status
  organization { name } } } } }"""


async def _cancelled_pair() -> tuple[DirectLine, DirectLine]:
    """A line cancelled as a draft, and one cancelled after it was announced."""
    void = await lines.cancel(SYSTEM, (await line(LineStatus.DRAFT, title="Черновик")).id)
    called_off = await lines.cancel(SYSTEM, (await line(title="Объявленная")).id, "Перенос")
    return void, called_off


async def _lines_list(db: Settings, token: str | None) -> list[dict[str, Any]]:
    """The answers of the compiled read path and of the resolvers, in that order."""
    answers = []
    for compiled in (True, False):
        app = create_app(replace(db, compiled_reads=compiled, rate_limits=False),
                         manage_database=False)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            answers.append((await http.post("/graphql", json={"query": LIST},
                                            headers=headers)).json())
        assert app.state.reads.stats.compiled == (1 if compiled else 0)
    return answers


async def test_announcing_records_the_moment(world: Any) -> None:
    row = await line(LineStatus.DRAFT)
    assert row.announced_at is None
    moment = now()
    announced = await lines.announce(SYSTEM, row.id, moment)
    assert (await DirectLine.get(id=row.id)).announced_at == announced.announced_at == moment
    started = await lines.start(SYSTEM, row.id, moment + timedelta(hours=1))
    assert (await DirectLine.get(id=started.id)).announced_at == moment


async def test_a_line_cancelled_as_a_draft_stays_a_draft_to_the_public(
        world: Any, db: Settings, make_token: Any, graphql: Any, runtime: Any) -> None:
    void, called_off = await _cancelled_pair()
    assert (void.announced_at, access.public_line(void)) == (None, False)
    assert called_off.announced_at is not None and access.public_line(called_off)
    organiser = await make_token("org_admin", org=ORG_A)
    for token, seen in ((None, {called_off.id}),
                        (await make_token("citizen"), {called_off.id}),
                        (organiser, {void.id, called_off.id}),
                        (await make_token("auditor", territory=MUNICIPALITY_A),
                         {void.id, called_off.id})):
        compiled, resolved = await _lines_list(db, token)
        assert compiled == resolved
        found = ok_data(compiled)["directLines"]
        assert {int(relay.from_base64(e["node"]["id"])[1]) for e in found["edges"]} == seen
        assert found["totalCount"] == len(seen)
        for row in (void, called_off):
            variables = {"id": relay.to_base64("DirectLine", row.id)}
            by_id = ok_data(await graphql("query($id: ID!) { directLine(id: $id) { id } "
                                          "node(id: $id) { id } }", variables, token=token))
            assert (by_id["directLine"] is not None) is (row.id in seen)
            assert (by_id["node"] is not None) is (row.id in seen)
    with pytest.raises(DomainError) as refused:  # not "no longer takes questions"
        await questions.ask(await citizen(db, "ivanova"), void.id, "Когда починят дорогу?",
                            "", resolver=runtime.resolver, now=now())
    assert [(e.field, e.code.value) for e in refused.value.errors] == [
        ("lineId", "NOT_FOUND")]


@pytest.fixture
def runtime(vmeste_app: Any) -> Any:
    return vmeste_app.state.runtime


async def test_the_upgrade_gives_lines_past_draft_their_announcement(
        upgrade_url: str) -> None:  # noqa: F811 (the fixture)
    """Migration 0012: the moment of the ``announce`` event, else the creation for a line
    past draft; nothing for drafts and for lines cancelled as drafts. Going back drops
    the column and keeps the table's indexes (SQLite would rebuild it otherwise)."""
    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    from vmeste.platform.db import tortoise_config
    from vmeste.platform.reference.models import (
        Organization,
        OrganizationKind,
        Territory,
        TerritoryKind,
    )
    from vmeste.platform.settings import load_settings

    config = tortoise_config(load_settings({"VMESTE_DATABASE_URL": upgrade_url}))
    postgres = upgrade_url.startswith("postgres")
    created = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    announced = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    indexes = ("SELECT indexdef AS definition FROM pg_indexes WHERE tablename = "
               "'direct_line'" if postgres else "SELECT sql AS definition FROM "
               "sqlite_master WHERE type = 'index' AND tbl_name = 'direct_line' "
               "AND sql IS NOT NULL")

    def insert(table: str, columns: tuple[str, ...]) -> str:
        marks = ", ".join(f"${n + 1}" if postgres else "?" for n in range(len(columns)))
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"

    def moment(value: datetime) -> Any:
        return value if postgres else value.isoformat()

    line_columns = ("id", "title", "description", "official_name", "official_position",
                    "organization_id", "territory_id", "territory_path", "topics",
                    "starts_at", "status", "revision", "created_by", "created_at",
                    "updated_at")
    event_columns = ("line_id", "at", "actor", "action", "from_status", "to_status",
                     "reason", "payload")
    # id: status, whether its history has the announce event.
    seeded = {1: ("draft", False), 2: ("collecting", True), 3: ("finished", True),
              4: ("cancelled", True), 5: ("cancelled", False), 6: ("live", False)}
    try:
        await migrate(config=config, target="vmeste.0011_hearings")
        await Tortoise.init(config=config)
        territory = await Territory.create(code="RU", name="Россия", path="RU",
                                           timezone="Europe/Moscow",
                                           kind=TerritoryKind.COUNTRY)
        organization = await Organization.create(
            ogrn="1000000000001", inn="1000000001", name="Министерство",
            kind=OrganizationKind.REGIONAL, territory=territory)
        conn = Tortoise.get_connection("default")
        for pk, (status, with_event) in seeded.items():
            await conn.execute_query(insert("direct_line", line_columns), [
                pk, f"Линия {pk}", "", "Иванов", "", organization.id, territory.id, "RU",
                "[]", moment(created + timedelta(days=10)), status, 1, "system",
                moment(created), moment(created)])
            if with_event:
                await conn.execute_query(insert("direct_line_event", event_columns), [
                    pk, moment(announced), "system", "announce", "draft", "collecting", "",
                    "{}"])
        _, before = await conn.execute_query(indexes)
        await migrate(config=config)
        upgraded = dict(await DirectLine.all().values_list("id", "announced_at"))
        await migrate(config=config, target="vmeste.0011_hearings")
        conn = Tortoise.get_connection("default")
        _, rows = await conn.execute_query("SELECT * FROM direct_line ORDER BY id")
        _, after = await conn.execute_query(indexes)
    finally:
        await Tortoise.close_connections()
    assert upgraded == {1: None, 2: announced, 3: announced, 4: announced, 5: None,
                        6: created}
    assert [row["id"] for row in rows] == list(seeded)
    assert "announced_at" not in dict(rows[0])
    assert sorted(r["definition"] for r in after) == sorted(r["definition"] for r in before)
