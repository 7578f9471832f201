"""The incident clock: terms in working hours on the production calendar and in the
territory's time zone, reminders and escalation once per stage, the recount after a
calendar import, the interim extension, and closing an answer nobody scored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from tests.hearing_world import principal
from tests.incident_sla_world import (
    MUNICIPALITY_C,
    new_incident,
    organization_id,
    seed_incident_world,
    services_of,
)
from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, REGION_A
from vmeste.platform.deadlines import watchdog
from vmeste.platform.deadlines.services import CALENDAR_RECOMPUTE, import_calendar
from vmeste.platform.deadlines.store import packaged_document
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.incidents import sla, triage
from vmeste.platform.incidents.models import Incident, IncidentEvent, IncidentStatus
from vmeste.platform.incidents.steps import INCIDENT_STEPS
from vmeste.platform.incidents.watch import NO_SCORE, IncidentClock
from vmeste.platform.outbox.models import OutboxMessage

KIROV = ZoneInfo("Europe/Kirov")
MOSCOW = ZoneInfo("Europe/Moscow")
YEKATERINBURG = ZoneInfo("Asia/Yekaterinburg")
KIND = IncidentClock.name


@pytest_asyncio.fixture
async def runtime(world, vmeste_app):
    runtime = vmeste_app.state.runtime
    runtime.city_admin = await seed_incident_world(runtime.resolver)
    return runtime


async def sweep(runtime, now: datetime) -> dict[str, int]:
    """One watchdog sweep's counts of the incident clock."""
    return (await watchdog.run_watchdog(runtime, now))[KIND]


async def actions(incident_id: int) -> list[str]:
    return [e.action for e in await IncidentEvent.filter(incident_id=incident_id).order_by("id")]


@pytest.mark.parametrize(("territory", "registered", "reaction", "answer"), [
    # Friday 7 March 2025 is a pre-holiday day (8 March), worked until 17:00; the
    # weekend follows: half an hour on Friday, the rest from Monday 9:00 (lunch 13–14).
    (MUNICIPALITY_A, datetime(2025, 3, 7, 16, 30, tzinfo=KIROV),
     datetime(2025, 3, 10, 10, 30, tzinfo=KIROV), datetime(2025, 3, 10, 17, 30, tzinfo=KIROV)),
    # 30 April 2025 is short too, then 1–4 May are off: Monday 5 May goes on.
    (MUNICIPALITY_A, datetime(2025, 4, 30, 16, 0, tzinfo=KIROV),
     datetime(2025, 5, 5, 10, 0, tzinfo=KIROV), datetime(2025, 5, 5, 17, 0, tzinfo=KIROV)),
    # The same moment as 15:00 in Kirov is 17:00 in Yekaterinburg, where the short
    # Friday is over.
    (MUNICIPALITY_A, datetime(2025, 3, 7, 12, 0, tzinfo=UTC),
     datetime(2025, 3, 7, 17, 0, tzinfo=KIROV), datetime(2025, 3, 10, 16, 0, tzinfo=KIROV)),
    (MUNICIPALITY_C, datetime(2025, 3, 7, 12, 0, tzinfo=UTC),
     datetime(2025, 3, 10, 11, 0, tzinfo=YEKATERINBURG),
     datetime(2025, 3, 10, 18, 0, tzinfo=YEKATERINBURG)),
    # Tatarstan (region B): 5 November 2025 is short before Constitution Day (6th).
    (MUNICIPALITY_B, datetime(2025, 11, 5, 15, 0, tzinfo=MOSCOW),
     datetime(2025, 11, 5, 17, 0, tzinfo=MOSCOW), datetime(2025, 11, 7, 16, 0, tzinfo=MOSCOW)),
])
async def test_the_first_sweep_counts_terms_in_working_hours(runtime, territory, registered,
                                                            reaction, answer):
    incident = await new_incident(territory, registered)
    assert (incident.reaction_due_at, incident.answer_due_at) == (None, None)
    assert (await sweep(runtime, registered))["scheduled"] == 1
    stored = await Incident.get(id=incident.id)
    assert (stored.reaction_due_at, stored.answer_due_at) == (reaction, answer)
    assert stored.revision == 1 and await actions(incident.id) == []
    # The next thing due is the first reminder, half-way to the reaction's term.
    assert stored.next_check_at == registered + (reaction - registered) * 0.5
    assert await sweep(runtime, registered + timedelta(minutes=1)) == dict.fromkeys(
        (*IncidentClock.steps, *watchdog.OUTCOMES), 0)


async def test_reminders_and_the_escalation_come_once_each(runtime):
    registered = datetime(2025, 3, 11, 9, 0, tzinfo=KIROV)
    incident = await new_incident(MUNICIPALITY_A, registered)
    await sweep(runtime, registered)  # the reaction is due at 11:00, reminders 10:00, 10:36
    for minutes, reminded in ((30, 0), (65, 1), (70, 0), (97, 1), (110, 0)):
        assert (await sweep(runtime, registered + timedelta(minutes=minutes)))[
            "reminded"] == reminded, minutes
    stored = await Incident.get(id=incident.id)
    assert stored.reminders == 2
    assert stored.next_check_at == datetime(2025, 3, 11, 11, 0, tzinfo=KIROV)
    assert (await sweep(runtime, datetime(2025, 3, 11, 11, 1, tzinfo=KIROV)))["escalated"] == 1
    assert (await sweep(runtime, datetime(2025, 3, 12, 9, 0, tzinfo=KIROV)))["escalated"] == 0
    stored = await Incident.get(id=incident.id)
    assert stored.escalated and stored.next_check_at is None
    assert await actions(incident.id) == ["remind", "remind", "escalate"]
    events = await IncidentEvent.filter(incident_id=incident.id).order_by("id")
    assert [e.payload.get("fraction") for e in events] == [0.5, 0.8, None]
    assert {e.payload["stage"] for e in events} == {sla.REACTION}
    assert datetime.fromisoformat(events[2].payload["due_at"]) == datetime(
        2025, 3, 11, 11, 0, tzinfo=KIROV)


async def test_a_scheduler_that_was_down_sends_the_latest_reminder_only(runtime, region_policy):
    await region_policy(REGION_A, "incident_sla", "standard", {
        "escalation_grace_hours": 2, "topic_categories": {"road_repair": "roads.pits"}})
    registered = datetime(2025, 3, 11, 9, 0, tzinfo=KIROV)
    incident = await new_incident(MUNICIPALITY_A, registered)
    taken = await sweep(runtime, datetime(2025, 3, 11, 10, 50, tzinfo=KIROV))
    assert (taken["scheduled"], taken["reminded"]) == (1, 1)
    event = await IncidentEvent.get(incident_id=incident.id, action="remind")
    assert event.payload["fraction"] == 0.8
    # Overdue, but within the two hours' grace.
    assert (await sweep(runtime, datetime(2025, 3, 11, 12, 0, tzinfo=KIROV)))["escalated"] == 0
    assert (await Incident.get(id=incident.id)).next_check_at == datetime(
        2025, 3, 11, 13, 0, tzinfo=KIROV)
    assert (await sweep(runtime, datetime(2025, 3, 11, 13, 1, tzinfo=KIROV)))["escalated"] == 1


async def test_the_answer_stage_has_its_own_reminders_and_escalation(runtime, vmeste_app,
                                                                      make_token):
    registered = datetime(2025, 3, 11, 9, 0, tzinfo=KIROV)
    incident = await new_incident(MUNICIPALITY_A, registered)
    await sweep(runtime, datetime(2025, 3, 11, 11, 30, tzinfo=KIROV))  # reaction escalated
    monitor = await principal(make_token, "moderator", "mod", territory=REGION_A)
    services = services_of(vmeste_app)
    services.clock = lambda: datetime(2025, 3, 11, 11, 45, tzinfo=KIROV)
    reacted = await triage.react(services, monitor, incident.id)
    assert (reacted.reminders, reacted.escalated, reacted.reaction_late) == (0, False, True)
    # Eight hours from 9:00: 9–13 and 14–18 on Tuesday.
    assert reacted.answer_due_at == datetime(2025, 3, 11, 18, 0, tzinfo=KIROV)
    # Half of the answer's span (13:30) and 0.8 of it (16:12: the fractions are of the
    # span, not of the working time) each remind once; then the answer is escalated.
    taken = [await sweep(runtime, datetime(2025, 3, 11, h, m, tzinfo=KIROV))
             for h, m in ((12, 0), (13, 31), (16, 15), (18, 1), (19, 0))]
    assert [(t["reminded"], t["escalated"]) for t in taken] == [
        (0, 0), (1, 0), (1, 0), (0, 1), (0, 0)]
    events = await IncidentEvent.filter(incident_id=incident.id).order_by("id")
    assert [(e.action, e.payload.get("stage")) for e in events] == [
        ("escalate", "reaction"), ("react", None), ("remind", "answer"), ("remind", "answer"),
        ("escalate", "answer")]
    assert events[-1].payload["organization_id"] == await organization_id(runtime.city_admin)


async def test_a_calendar_import_recounts_open_terms(runtime):
    registered = datetime(2025, 11, 5, 15, 0, tzinfo=MOSCOW)
    incident = await new_incident(MUNICIPALITY_B, registered)
    # Never swept, so no terms yet: its first sweep reads the new calendar.
    waiting = await new_incident(MUNICIPALITY_B, registered, next_check_at=None)
    await sweep(runtime, registered)
    before = await Incident.get(id=incident.id)
    assert before.answer_due_at == datetime(2025, 11, 7, 16, 0, tzinfo=MOSCOW)
    document = packaged_document("ru_92_tatarstan")
    document["version"] = "2025-12-01"
    document["years"]["2025"]["holidays"].append("2025-11-07")
    result = await import_calendar(SYSTEM, document, runtime.deadlines)
    assert result.affected == 1  # the one with counted terms
    jobs = [m for m in await OutboxMessage.filter(topic=CALENDAR_RECOMPUTE)
            if m.payload["kind"] == KIND]
    assert len(jobs) == 1 and jobs[0].payload["scope"] == "RU/92000000"
    handle = runtime.topics[CALENDAR_RECOMPUTE].handle
    assert await handle(runtime, jobs[0].payload, False) == 1
    moved = await Incident.get(id=incident.id)
    # Friday 7 November is off now: the six hours left go on on Monday the 10th.
    assert moved.answer_due_at == datetime(2025, 11, 10, 16, 0, tzinfo=MOSCOW)
    assert moved.reaction_due_at == before.reaction_due_at
    assert moved.revision == before.revision + 1
    assert await handle(runtime, jobs[0].payload, False) == 0  # redelivered: nothing moves
    assert (await Incident.get(id=waiting.id)).answer_due_at is None


async def test_a_later_term_takes_back_its_escalation(runtime):
    registered = datetime(2025, 11, 5, 15, 0, tzinfo=MOSCOW)
    incident = await new_incident(MUNICIPALITY_B, registered)
    await sweep(runtime, registered)
    # The reaction is due at 17:00 on the 5th: reminded at 16:00 and 16:36, escalated.
    for h, m in ((16, 5), (16, 40), (17, 30)):
        await sweep(runtime, datetime(2025, 11, 5, h, m, tzinfo=MOSCOW))
    assert await actions(incident.id) == ["remind", "remind", "escalate"]
    document = packaged_document("ru_92_tatarstan")
    document["version"] = "2025-12-01"
    document["years"]["2025"]["short_days"].remove("2025-11-05")
    document["years"]["2025"]["holidays"].append("2025-11-05")
    await import_calendar(SYSTEM, document, runtime.deadlines)
    now = datetime(2025, 11, 5, 17, 40, tzinfo=MOSCOW)
    assert await IncidentClock().recompute(runtime, incident.id, now)
    moved = await Incident.get(id=incident.id)
    # The 5th and the 6th are holidays now: the reaction is due on the 7th at 11:00,
    # still ahead, so it is watched again, reminders whose moments lie ahead included.
    assert moved.reaction_due_at == datetime(2025, 11, 7, 11, 0, tzinfo=MOSCOW)
    assert (moved.escalated, moved.reminders, moved.next_check_at) == (False, 0, now)
    assert (await sweep(runtime, datetime(2025, 11, 7, 11, 1, tzinfo=MOSCOW)))["escalated"] == 1


async def test_an_interim_answer_extends_the_answer_by_working_days(runtime, vmeste_app):
    services = services_of(vmeste_app)
    registered = datetime(2025, 3, 5, 10, 0, tzinfo=KIROV)
    incident = await new_incident(MUNICIPALITY_A, registered, status=IncidentStatus.ROUTED,
                                  reminders=2, escalated=True,
                                  organization_id=await organization_id(runtime.city_admin))
    published = datetime(2025, 3, 7, 12, 0, tzinfo=KIROV)
    due = await sla.restart_answer(services, incident, published, in_days=True)
    # Seven working days after Friday 7 March: 10–14 and 17–18 March.
    assert due == incident.answer_due_at == datetime(2025, 3, 18, 23, 59, 59, 999999,
                                                     tzinfo=KIROV)
    assert (incident.reminders, incident.escalated, incident.next_check_at) == (0, False,
                                                                               published)
    # A recount (a calendar import, a reroute) counts from the interim answer again.
    await INCIDENT_STEPS.model.filter(id=incident.id).update(
        answer_from=published, answer_in_days=True, answer_due_at=None)
    stored = await Incident.get(id=incident.id)
    origin, again = await sla.answer_term(services, stored, await sla.policy_of(services,
                                                                               stored))
    assert (origin, again) == (published, due)


async def test_an_answer_nobody_scored_closes_after_the_wait(runtime):
    answered = datetime(2025, 3, 11, 12, 0, tzinfo=KIROV)
    silent = await new_incident(MUNICIPALITY_A, answered - timedelta(hours=3),
                                status=IncidentStatus.ANSWERED, answered_at=answered,
                                next_check_at=answered)
    scored = await new_incident(MUNICIPALITY_A, answered - timedelta(hours=3),
                                status=IncidentStatus.ANSWERED, answered_at=answered,
                                next_check_at=answered, satisfaction=4)
    assert (await sweep(runtime, answered))["closed"] == 0
    assert (await Incident.get(id=silent.id)).next_check_at == answered + timedelta(hours=72)
    assert (await Incident.get(id=scored.id)).next_check_at is None
    assert (await sweep(runtime, answered + timedelta(hours=71)))["closed"] == 0
    assert (await sweep(runtime, answered + timedelta(hours=72)))["closed"] == 1
    closed = await Incident.get(id=silent.id)
    assert closed.status == IncidentStatus.CLOSED and closed.next_check_at is None
    event = await IncidentEvent.get(incident_id=silent.id)
    assert (event.action, event.reason, event.actor) == ("close", NO_SCORE, "system:watchdog")
    assert (await Incident.get(id=scored.id)).status == IncidentStatus.ANSWERED


async def test_two_sweeps_at_once_take_each_step_once(runtime):
    registered = datetime(2025, 3, 11, 9, 0, tzinfo=KIROV)
    ids = [(await new_incident(MUNICIPALITY_A, registered)).id for _ in range(4)]
    await sweep(runtime, registered)
    moment = datetime(2025, 3, 11, 12, 0, tzinfo=KIROV)
    results = await asyncio.gather(sweep(runtime, moment), sweep(runtime, moment))
    again = await sweep(runtime, moment)
    assert results[0]["escalated"] + results[1]["escalated"] + again["escalated"] == 4
    assert await IncidentEvent.filter(incident_id__in=ids, action="escalate").count() == 4
