"""Calendars as stored data: seeding, resolution by territory, import through GraphQL
and the CLI, recomputation of open deadlines, and the deadlines `vmeste deadline` prints
against the official federal and Tatarstan calendars.

In the test world 92000000 (region B) carries the Tatarstan calendar's code."""

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from strawberry import relay

from tests.appeal_world import SUBMIT, seed_appeal_world, submit_input
from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, REGION_A, ok_data, user_error_codes
from vmeste.app import create_app
from vmeste.platform.appeals.models import Appeal
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.deadlines import services
from vmeste.platform.deadlines.models import StoredCalendar
from vmeste.platform.deadlines.services import CALENDAR_RECOMPUTE, import_calendar
from vmeste.platform.deadlines.store import CalendarStore, packaged_document
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.runtime import build_runtime
from vmeste.testing import GraphQLClient

ROOT = Path(__file__).resolve().parent.parent
IMPORT = """mutation($d: JSON!) { importCalendar(document: $d) {
  calendar { name version current } affected userErrors { field code message } } }"""
PREVIEW = """query($t: String!, $s: String, $p: String, $c: String, $l: LegalTrack) {
  previewDeadline(territoryCode: $t, start: $s, policy: $p, categoryCode: $c,
  legalTrack: $l) { dueAt policy calendar timezone covered strategy redirectDueAt } }"""


@pytest_asyncio.fixture
async def seeded(world):
    await seed_appeal_world()


def vmeste(db, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    environment["VMESTE_DATABASE_URL"] = db.database_url
    return subprocess.run([sys.executable, "-m", "vmeste", *args], capture_output=True,
                          text=True, env=environment, cwd=ROOT, timeout=120)


async def due(db, territory: str, start: str, policy: str) -> str:
    """What ``vmeste deadline`` prints as ``due_at``: the service it calls, asked in
    process (a command a date would cost a second or more of start-up each)."""
    found = await build_runtime(db).service(AppealServices).terms.preview(
        territory_code=territory, start=start, policy=policy)
    return found.due_at.isoformat()


async def test_vmeste_deadline_prints_what_the_service_computes(seeded, db):
    result = vmeste(db, "deadline", "--territory", MUNICIPALITY_B, "--start", "2025-11-05",
                    "--policy", "working-days:1", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["due_at"] == await due(db, MUNICIPALITY_B, "2025-11-05", "working-days:1")
    assert (answer["policy"], answer["calendar"], answer["timezone"]) == (
        "working-days:1", "ru_92_tatarstan", "Europe/Moscow")


async def test_packaged_calendars_seed_a_fresh_database_once(db):
    store = CalendarStore(0)
    calendars = await store.current()
    assert set(calendars.bindings.values()) == {"ru_federal", "ru_92_tatarstan"}
    assert calendars.for_path("RU/92000000/92701000").name == "ru_92_tatarstan"
    assert calendars.for_path("RU/33000000").name == "ru_federal"
    await CalendarStore(0).current()
    assert await StoredCalendar.all().count() == 2


async def test_vmeste_deadline_matches_the_official_calendars(seeded, db):
    # Federal 2025: Saturday 1 November is worked; 3 and 4 November are off.
    assert await due(db, MUNICIPALITY_A, "2025-10-31", "working-days:1") == (
        "2025-11-01T23:59:59.999999+03:00")
    assert await due(db, MUNICIPALITY_A, "2025-11-01", "working-days:1") == (
        "2025-11-05T23:59:59.999999+03:00")
    # 2 and 8 May 2025 are days off (transferred); 1–4 and 8–11 May are all off.
    assert await due(db, MUNICIPALITY_A, "2025-04-30", "working-days:1") == (
        "2025-05-05T23:59:59.999999+03:00")
    assert await due(db, MUNICIPALITY_A, "2025-05-07", "working-days:1") == (
        "2025-05-12T23:59:59.999999+03:00")
    # Art. 193: 30 calendar days from 3 Oct 2025 end on Sunday 2 Nov → Wed 5 Nov.
    assert await due(db, MUNICIPALITY_A, "2025-10-03", "calendar-days:30") == (
        "2025-11-05T23:59:59.999999+03:00")
    # Tatarstan adds Republic Day (Sat 30 Aug 2025 — no effect on a weekend), Constitution
    # Day (Thu 6 Nov 2025) and Kurban Bayram (Fri 6 Jun 2025).
    assert await due(db, MUNICIPALITY_B, "2025-11-05", "working-days:1") == (
        "2025-11-07T23:59:59.999999+03:00")
    assert await due(db, MUNICIPALITY_A, "2025-11-05", "working-days:1") == (
        "2025-11-06T23:59:59.999999+03:00")
    assert await due(db, MUNICIPALITY_B, "2025-06-05", "working-days:1") == (
        "2025-06-09T23:59:59.999999+03:00")
    # Republic Day 2024 fell on Friday 30 August.
    assert await due(db, MUNICIPALITY_B, "2024-08-29", "working-days:1") == (
        "2024-09-02T23:59:59.999999+03:00")


async def test_vmeste_deadline_explains_bad_input(seeded, db):
    result = vmeste(db, "deadline", "--territory", MUNICIPALITY_A, "--start", "31.10.2025",
                    "--policy", "working-days:1")
    assert result.returncode == 2 and "start" not in result.stdout
    assert "ГГГГ-ММ-ДД" in result.stderr
    result = vmeste(db, "deadline", "--territory", MUNICIPALITY_A, "--policy", "weeks:2")
    assert result.returncode == 2 and "Неверная политика срока" in result.stderr


async def test_preview_deadline_is_open_to_anyone(seeded, graphql):
    body = ok_data(await graphql(PREVIEW, {"t": MUNICIPALITY_A, "s": "2025-10-31",
                                           "c": "roads.pits"}))
    preview = body["previewDeadline"]
    assert (preview["policy"], preview["strategy"], preview["calendar"]) == (
        "working-days:10", "working-days", "ru_federal")
    assert preview["timezone"] == "Europe/Kirov" and preview["covered"] is True
    # Kirov is UTC+3; the date counts in Kirov's zone.
    # 1 Nov (worked), 5, 6, 7, 10, 11, 12, 13, 14, 17 Nov.
    assert preview["dueAt"] == "2025-11-17T23:59:59.999999+03:00"
    statute = ok_data(await graphql(PREVIEW, {"t": MUNICIPALITY_A, "s": "2025-10-03",
                                              "l": "APPEAL_59FZ"}))["previewDeadline"]
    assert statute["policy"] == "calendar-days:30"
    assert statute["redirectDueAt"].startswith("2025-10-10")
    body = await graphql(PREVIEW, {"t": MUNICIPALITY_A, "s": "2025-10-31", "p": "days:3"})
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def recompute(runtime, payload: dict) -> int:
    """Runs the worker's job for one ``calendar.recompute`` message."""
    return await runtime.topics[CALENDAR_RECOMPUTE].handle(runtime, payload, False)


def tatarstan(version: str, **changes) -> dict:
    document = packaged_document("ru_92_tatarstan")
    document["version"] = version
    document.update(changes)
    return document


async def test_import_validates_stores_audits_and_recomputes(seeded, graphql, make_token,
                                                             submit_appeal, vmeste_app):
    runtime = vmeste_app.state.runtime
    runtime.service(AppealServices).clock = lambda: datetime(
        2025, 10, 28, 10, 0, tzinfo=ZoneInfo("UTC"))
    appeal = await submit_appeal(category="roads", territory=MUNICIPALITY_B)
    other = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                citizen="other")
    admin = await make_token("regional_admin", territory="92000000")
    broken = tatarstan("2025-12-01")
    broken["years"]["2025"]["holidays"].append("2025-13-01")
    refused = ok_data(await graphql(IMPORT, {"d": broken}, token=admin))["importCalendar"]
    assert user_error_codes(refused) == ["INVALID"] and "ГГГГ-ММ-ДД" in refused[
        "userErrors"][0]["message"]
    again = ok_data(await graphql(IMPORT, {"d": tatarstan("2026-11-28")}, token=admin))
    assert user_error_codes(again["importCalendar"]) == ["CONFLICT"]
    federal = ok_data(await graphql(IMPORT, {"d": packaged_document("ru_federal") | {
        "version": "2030-01-01"}}, token=admin))
    assert user_error_codes(federal["importCalendar"]) == ["FORBIDDEN"]

    # A new regional holiday on Monday 10 November 2025 moves the Tatarstan deadline.
    before = (await Appeal.get(id=appeal.id)).due_at
    extra = tatarstan("2025-12-01")
    extra["years"]["2025"]["holidays"].append("2025-11-10")
    events = await AuditEvent.filter(action="calendar.import").count()
    result = ok_data(await graphql(IMPORT, {"d": extra}, token=admin))["importCalendar"]
    assert result["userErrors"] == []
    assert result["calendar"] == {"name": "ru_92_tatarstan", "version": "2025-12-01",
                                  "current": True}
    assert result["affected"] == 1
    # The import only queued the recomputation, in its own transaction.
    assert (await Appeal.get(id=appeal.id)).due_at == before
    job = await OutboxMessage.get(topic=CALENDAR_RECOMPUTE)
    assert job.payload["after"] == 0 and job.payload["scope"] == "RU/92000000"
    assert job.payload["kind"] == "appeals"
    # The job as the release before deadline kinds wrote it (no kind) still recomputes:
    # an import's chain may be midway through an upgrade.
    legacy = {key: value for key, value in job.payload.items() if key != "kind"}
    assert await recompute(runtime, legacy) == 1
    moved = await Appeal.get(id=appeal.id)
    assert (moved.due_at - before).days == 1
    assert moved.calendar_version.startswith("2025-12-01+ru_federal@")
    assert (await Appeal.get(id=other.id)).calendar_version.startswith("2026-11-28")
    assert await AuditEvent.filter(action="calendar.import").count() == events + 1
    assert await StoredCalendar.filter(name="ru_92_tatarstan").count() == 2
    listed = ok_data(await graphql("{ calendars { name version } }"))["calendars"]
    assert {"name": "ru_92_tatarstan", "version": "2025-12-01"} in listed


async def test_cli_imports_a_calendar(seeded, db, tmp_path):
    path = tmp_path / "ru_federal.json"
    path.write_text(json.dumps(packaged_document("ru_federal") | {"version": "2027-01-01"}),
                    encoding="utf-8")
    result = vmeste(db, "calendars", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "ru_federal version 2027-01-01 is current" in result.stdout
    listing = vmeste(db, "calendars", "list")
    assert "ru_federal\t2027-01-01\tRU" in listing.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x"}), encoding="utf-8")
    refused = vmeste(db, "calendars", "import", str(bad))
    assert refused.returncode == 1 and "INVALID" in refused.stderr


@pytest.mark.parametrize("start", ["2025-10-31T17:00"])
async def test_working_hours_cross_a_transferred_saturday(seeded, db, start):
    # Kirov (Europe/Kirov, UTC+3): 17:00–18:00 Friday, then Saturday 1 November 2025 is
    # a working day: 9:00–11:00 completes three hours.
    assert await due(db, MUNICIPALITY_A, start, "working-hours:3") == "2025-11-01T11:00:00+03:00"


async def test_a_regional_admin_cannot_take_over_another_regions_calendar(
        seeded, graphql, make_token):
    admin = await make_token("regional_admin", territory=REGION_A)
    # The Tatarstan calendar, rebound to the admin's own region.
    document = tatarstan("2099-01-01", territory=REGION_A)
    result = ok_data(await graphql(IMPORT, {"d": document}, token=admin))["importCalendar"]
    assert user_error_codes(result) == ["CONFLICT"]
    assert "92000000" in result["userErrors"][0]["message"]
    assert not await StoredCalendar.filter(version="2099-01-01").exists()
    calendars = await CalendarStore(0).current()
    assert calendars.bindings["92000000"] == "ru_92_tatarstan"
    assert REGION_A not in calendars.bindings


async def test_extreme_starts_are_refused_not_crashed(seeded, graphql, db):
    for start in ("9999-12-31", "9999-12-31T23:00", "0001-01-01", "1899-12-31"):
        body = await graphql(PREVIEW, {"t": MUNICIPALITY_A, "s": start,
                                       "p": "calendar-days:9999"})
        assert body["errors"][0]["extensions"]["code"] == "INVALID", body
        assert "1900–2200" in body["errors"][0]["message"]
    # The far edge of the range still computes, however long the term.
    body = ok_data(await graphql(PREVIEW, {"t": MUNICIPALITY_A, "s": "2200-12-31",
                                           "p": "working-days:9999"}))
    assert body["previewDeadline"]["covered"] is False
    result = vmeste(db, "deadline", "--territory", MUNICIPALITY_A, "--start", "9999-12-31",
                    "--policy", "working-days:1")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "1900–2200" in result.stderr


async def test_recomputation_runs_in_batches_each_queueing_the_next(
        seeded, graphql, make_token, submit_appeal, vmeste_app, monkeypatch):
    runtime = vmeste_app.state.runtime
    runtime.service(AppealServices).clock = lambda: datetime(
        2025, 10, 28, 10, 0, tzinfo=ZoneInfo("UTC"))
    appeals = [await submit_appeal(category="roads", territory=MUNICIPALITY_B, citizen=f"c{n}")
               for n in range(3)]
    monkeypatch.setattr(services, "BATCH", 2)
    admin = await make_token("regional_admin", territory="92000000")
    extra = tatarstan("2025-12-01")
    extra["years"]["2025"]["holidays"].append("2025-11-10")
    result = ok_data(await graphql(IMPORT, {"d": extra}, token=admin))["importCalendar"]
    assert result["affected"] == 3
    first = await OutboxMessage.get(topic=CALENDAR_RECOMPUTE)
    assert await recompute(runtime, first.payload) == 2
    second = await OutboxMessage.get(topic=CALENDAR_RECOMPUTE, id__gt=first.id)
    assert second.payload["after"] == appeals[1].id
    # A batch run twice (a redelivered message) rewrites the same values and queues
    # its successor once.
    assert await recompute(runtime, first.payload) == 2
    assert await recompute(runtime, second.payload) == 1
    assert await OutboxMessage.filter(topic=CALENDAR_RECOMPUTE).count() == 2
    for appeal in appeals:
        moved = await Appeal.get(id=appeal.id)
        assert (moved.due_at - appeal.due_at).days == 1
        assert moved.calendar_version.startswith("2025-12-01+")
    # A job of a calendar version superseded since is left to its successor's job.
    ok_data(await graphql(IMPORT, {"d": tatarstan("2025-12-02")}, token=admin))
    assert await recompute(runtime, first.payload) == 0


async def test_concurrent_imports_of_one_version_conflict(seeded, vmeste_app):
    deadlines = vmeste_app.state.runtime.deadlines
    document = tatarstan("2030-01-01")
    results = await asyncio.gather(
        *(import_calendar(SYSTEM, document, deadlines) for _ in range(2)),
        return_exceptions=True)
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], DomainError), results
    assert refused[0].errors[0].code == ErrorCode.CONFLICT
    assert await StoredCalendar.filter(name="ru_92_tatarstan", current=True).count() == 1
    assert await StoredCalendar.filter(version="2030-01-01").count() == 1


async def test_the_embedded_worker_recomputes_after_an_import(world, db, make_token):
    await seed_appeal_world()
    settings = replace(db, embedded_workers=True, relay_interval_ms=20)
    app = create_app(settings, manage_database=False)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        runtime.service(AppealServices).clock = lambda: datetime(
            2025, 10, 28, 10, 0, tzinfo=ZoneInfo("UTC"))
        citizen = await make_token("citizen", sub="ivanova")
        admin = await make_token("regional_admin", territory="92000000")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            graphql = GraphQLClient(http)
            body = ok_data(await graphql(SUBMIT, submit_input(territoryCode=MUNICIPALITY_B,
                                                      categoryCode="roads"),
                                         token=citizen))
            appeal = await Appeal.get(id=int(relay.from_base64(
                body["submitAppeal"]["appeal"]["id"])[1]))
            extra = tatarstan("2025-12-01")
            extra["years"]["2025"]["holidays"].append("2025-11-10")
            result = ok_data(await graphql(IMPORT, {"d": extra}, token=admin))
            assert result["importCalendar"]["affected"] == 1
            for _ in range(200):
                moved = await Appeal.get(id=appeal.id)
                if moved.calendar_version.startswith("2025-12-01+"):
                    break
                await asyncio.sleep(0.05)
    assert moved.calendar_version.startswith("2025-12-01+")
    assert (moved.due_at - appeal.due_at).days == 1


async def test_a_release_brings_newer_packaged_calendars_and_leaves_newer_imports(db):
    """``vmeste migrate`` imports a packaged calendar newer than the stored one, with
    its audit event (and a recompute job for each kind with subjects: none here), and
    never downgrades an administrator's import."""
    deadlines = build_runtime(db).deadlines
    await CalendarStore(0).current()  # an installation seeded by an older release
    await StoredCalendar.filter(name="ru_federal").update(version="2000-01-01")
    await StoredCalendar.filter(name="ru_92_tatarstan").update(version="2999-01-01")
    upgrades = await services.upgrade_packaged_calendars(deadlines)
    packaged = packaged_document("ru_federal")["version"]
    assert [(u.name, u.from_version, u.to_version, u.affected) for u in upgrades] == [
        ("ru_federal", "2000-01-01", packaged, 0)]
    current = await StoredCalendar.filter(current=True).order_by("name").values_list(
        "name", "version")
    assert current == [("ru_92_tatarstan", "2999-01-01"), ("ru_federal", packaged)]
    assert await AuditEvent.filter(action="calendar.import", object_id="ru_federal").exists()
    assert not await OutboxMessage.filter(topic=CALENDAR_RECOMPUTE).exists()
    assert await services.upgrade_packaged_calendars(deadlines) == []
    # A version an administrator named otherwise is not compared, and not replaced.
    await StoredCalendar.filter(name="ru_federal", current=True).update(version="v2099")
    [refused] = await services.upgrade_packaged_calendars(deadlines)
    assert (refused.name, refused.affected) == ("ru_federal", None) and "дат" in refused.refused
    assert await StoredCalendar.filter(name="ru_federal", current=True).values_list(
        "version", flat=True) == ["v2099"]


async def test_migrate_reports_the_calendars_a_release_brings(db):
    await CalendarStore(0).current()
    await StoredCalendar.filter(name="ru_federal").update(version="2000-01-01")
    result = await asyncio.to_thread(vmeste, db, "migrate")
    assert result.returncode == 0, result.stderr
    assert "calendar ru_federal: 2000-01-01 -> " in result.stdout
    again = await asyncio.to_thread(vmeste, db, "migrate")
    assert "calendar" not in again.stdout  # nothing newer the second time
