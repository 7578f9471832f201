"""The deadline watchdog with an injected clock: reminders, overdue, escalation and
pause timeouts, each exactly once, also when two sweeps race."""

import asyncio
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest_asyncio

from tests.appeal_world import seed_appeal_world
from tests.worlds import MUNICIPALITY_A, ORG_A, REGION_A
from vmeste.platform.appeals import watch as watchdog
from vmeste.platform.appeals.models import (
    Appeal,
    AppealCopy,
    AppealEvent,
    AppealStatus,
    LegalTrack,
)
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.deadlines import watchdog as sweeps
from vmeste.platform.deadlines.models import DeadlinePause
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.identity.services import load_principal
from vmeste.platform.reference.models import Organization

KIROV = ZoneInfo("Europe/Kirov")
REGISTERED = datetime(2025, 10, 28, 10, 0, tzinfo=KIROV)
DUE = datetime(2025, 11, 12, 23, 59, 59, 999999, tzinfo=KIROV)


@pytest_asyncio.fixture
async def runtime(world, vmeste_app):
    await seed_appeal_world()
    runtime = vmeste_app.state.runtime
    runtime.service(AppealServices).clock = lambda: REGISTERED
    return runtime


#: Every count of the appeals' two kinds, running terms and clarification pauses.
COUNTS = (*watchdog.RunningTerms.steps, *watchdog.ClarificationPauses.steps, *sweeps.OUTCOMES)


async def run_watchdog(runtime, now: datetime) -> dict[str, int]:
    """One sweep, its counts summed over the appeals' two kinds."""
    swept = await sweeps.run_watchdog(runtime, now)
    totals = dict.fromkeys(COUNTS, 0)
    for kind in (watchdog.RunningTerms.name, watchdog.ClarificationPauses.name):
        for name, n in swept[kind].items():
            totals[name] += n
    return totals


async def actions(appeal_id: int) -> list[str]:
    return [e.action for e in await AppealEvent.filter(appeal_id=appeal_id).order_by("id")]


async def test_reminders_overdue_and_escalation_happen_once_each(runtime, submit_appeal):
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    assert appeal.due_at == DUE
    span = DUE - REGISTERED
    assert (await run_watchdog(runtime, REGISTERED + span * 0.4))["reminders"] == 0
    first = await run_watchdog(runtime, REGISTERED + span * 0.55)
    assert first["reminders"] == 1
    assert (await run_watchdog(runtime, REGISTERED + span * 0.6))["reminders"] == 0
    assert (await run_watchdog(runtime, REGISTERED + span * 0.85))["reminders"] == 1
    event = await AppealEvent.filter(appeal_id=appeal.id, action="remind").order_by("-id").first()
    assert event.payload["fraction"] == 0.8
    assert (await Appeal.get(id=appeal.id)).reminders_sent == [0.5, 0.8]
    # The city administration has no parent body: overdue, but nobody to escalate to.
    late = await run_watchdog(runtime, DUE + timedelta(minutes=1))
    assert (late["overdue"], late["escalated"]) == (1, 0)
    await seed_parent()
    again = await run_watchdog(runtime, DUE + timedelta(hours=1))
    assert (again["overdue"], again["escalated"]) == (0, 1)
    assert await run_watchdog(runtime, DUE + timedelta(days=2)) == dict.fromkeys(again, 0)
    assert await actions(appeal.id) == ["submit", "moderate", "route", "remind", "remind",
                                        "overdue", "escalate"]
    stored = await Appeal.get(id=appeal.id)
    parent = await Organization.get(ogrn=ORG_A)
    assert stored.overdue_at == DUE + timedelta(minutes=1)
    assert stored.escalated_at == DUE + timedelta(hours=1)
    escalate = await AppealEvent.get(appeal_id=appeal.id, action="escalate")
    assert escalate.payload == {"to_organization_id": parent.id}
    assert await AppealCopy.filter(appeal_id=appeal.id, organization_id=parent.id).exists()


async def seed_parent() -> str:
    """Puts the city administration under the regional ministry (its supervisor)."""
    parent = await Organization.get(ogrn=ORG_A)
    city = await Organization.filter(name="Администрация города Кирова").first()
    city.parent_id = parent.id
    await city.save()
    return city.ogrn


async def test_escalation_waits_for_the_grace_period(runtime, submit_appeal, region_policy):
    await seed_parent()
    await region_policy(REGION_A, "deadline", "working-days", {"escalation_grace_hours": 24})
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    assert (await run_watchdog(runtime, DUE + timedelta(hours=2)))["escalated"] == 0
    assert (await run_watchdog(runtime, DUE + timedelta(hours=25)))["escalated"] == 1
    assert (await Appeal.get(id=appeal.id)).escalated_at is not None


async def test_two_sweeps_at_once_take_each_step_once(runtime, submit_appeal):
    await seed_parent()
    for n in range(5):
        await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A, citizen=f"c{n}")
    moment = DUE + timedelta(minutes=5)
    results = await asyncio.gather(run_watchdog(runtime, moment), run_watchdog(runtime, moment))
    again = await run_watchdog(runtime, moment)
    total = {k: results[0][k] + results[1][k] + again[k] for k in again}
    assert total["overdue"] == 5 and total["escalated"] == 5
    assert await AppealEvent.filter(action="overdue").count() == 5
    assert await AppealEvent.filter(action="escalate").count() == 5


async def test_clarification_pause_reminds_then_times_out(runtime, submit_appeal, make_token):
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    asked = datetime(2025, 10, 29, 12, 0, tzinfo=KIROV)
    runtime.service(AppealServices).clock = lambda: asked
    await runtime.service(AppealServices).request_clarification(
        SYSTEM, appeal.id, question="Какой дом?")
    pause = await DeadlinePause.get(subject_type="appeal", subject_id=appeal.id)
    assert pause.timeout_at == asked + timedelta(days=30)
    # A paused clock is never overdue.
    swept = await run_watchdog(runtime, asked + timedelta(days=16))
    assert (swept["overdue"], swept["clarification_reminders"]) == (0, 1)
    assert (await run_watchdog(runtime, asked + timedelta(days=17)))[
        "clarification_reminders"] == 0
    timed_out = await run_watchdog(runtime, asked + timedelta(days=31))
    assert timed_out["clarification_timeouts"] == 1
    stored = await Appeal.get(id=appeal.id)
    assert stored.status == AppealStatus.ROUTED
    pause = await DeadlinePause.get(subject_type="appeal", subject_id=appeal.id)
    assert pause.ended_at == asked + timedelta(days=30)
    # Working days wholly inside 29 Oct 12:00 – 28 Nov 12:00: 30 Oct … 27 Nov = 20, so
    # the term is 30 working days from registration: Wednesday 10 December.
    assert stored.due_at == datetime(2025, 12, 10, 23, 59, 59, 999999, tzinfo=KIROV)
    assert await actions(appeal.id) == ["submit", "moderate", "route",
                                        "request_clarification", "clarification_reminder",
                                        "clarification_timeout"]
    assert (await run_watchdog(runtime, asked + timedelta(days=32)))[
        "clarification_timeouts"] == 0


async def test_one_broken_appeal_does_not_stop_the_sweep(runtime, submit_appeal, caplog):
    broken = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    sound = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                citizen="other")
    # A row the watchdog cannot read (its reminders are not a list).
    await Appeal.filter(id=broken.id).update(reminders_sent=5)
    moment = REGISTERED + (DUE - REGISTERED) * 0.55
    with caplog.at_level(logging.WARNING, logger="vmeste.deadlines"):
        swept = await run_watchdog(runtime, moment)
    assert (swept["failed"], swept["reminders"]) == (1, 1)
    assert await actions(sound.id) == ["submit", "moderate", "route", "remind"]
    assert f"appeal {broken.id} failed: TypeError" in caplog.text
    # Tried again on the next sweep: its overdue marking does not read the reminders.
    assert (await run_watchdog(runtime, DUE + timedelta(minutes=1)))["overdue"] == 2


async def test_a_term_moved_into_the_future_is_watched_again(runtime, submit_appeal):
    await seed_parent()
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    late = await run_watchdog(runtime, DUE + timedelta(hours=1))
    assert (late["overdue"], late["escalated"]) == (1, 1)
    # Converted to a 59-ФЗ appeal: 30 calendar days, due at the end of 27 November.
    runtime.service(AppealServices).clock = lambda: DUE + timedelta(days=1)
    await runtime.service(AppealServices).convert(SYSTEM, appeal.id, track=LegalTrack.APPEAL_59FZ,
                                  reason="Просьба заявителя")
    converted = await Appeal.get(id=appeal.id)
    assert converted.due_at.date().isoformat() == "2025-11-27"
    assert (converted.overdue_at, converted.escalated_at) == (None, None)
    assert converted.reminders_sent == []
    assert (await run_watchdog(runtime, datetime(2025, 11, 22, tzinfo=KIROV)))[
        "reminders"] == 1
    again = await run_watchdog(runtime, datetime(2025, 11, 28, 1, 0, tzinfo=KIROV))
    assert (again["overdue"], again["escalated"]) == (1, 1)
    assert await actions(appeal.id) == ["submit", "moderate", "route", "overdue", "escalate",
                                        "convert", "remind", "overdue", "escalate"]


async def test_a_sweep_opens_transactions_only_for_steps_to_take(runtime, submit_appeal,
                                                                 monkeypatch):
    for n in range(3):
        await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A, citizen=f"c{n}")
    opened = []
    original = watchdog.in_transaction

    def counted(*args, **kwargs):
        opened.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(watchdog, "in_transaction", counted)
    # Before the first reminder nothing is due: every row is read, none is written.
    assert await run_watchdog(runtime, REGISTERED + (DUE - REGISTERED) * 0.3) == dict.fromkeys(
        COUNTS, 0)
    assert opened == []
    # Each row now knows its next moment (the 50% reminder), and until then a sweep
    # does not even read it.
    half = REGISTERED + (DUE - REGISTERED) * 0.5
    assert set(await Appeal.all().values_list("next_check_at", flat=True)) == {half}
    read = []
    original_sweep = watchdog._sweep_running

    async def sweep_running(*args):
        read.append(args[1].id)
        return await original_sweep(*args)

    monkeypatch.setattr(watchdog, "_sweep_running", sweep_running)
    await run_watchdog(runtime, REGISTERED + (DUE - REGISTERED) * 0.4)
    assert read == []
    assert (await run_watchdog(runtime, half + timedelta(seconds=1)))["reminders"] == 3
    assert len(read) == 3 and len(opened) == 3
    opened.clear()
    assert (await run_watchdog(runtime, DUE + timedelta(minutes=1)))["overdue"] == 3
    assert len(opened) == 3


async def test_overdue_appeals_with_nobody_to_escalate_to_are_not_read_again(
        runtime, submit_appeal, monkeypatch):
    await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    assert (await run_watchdog(runtime, DUE + timedelta(minutes=1)))["overdue"] == 1
    deadlines = runtime.service(AppealServices).terms
    read = []
    original = deadlines.settings_for

    async def settings_for(appeal):
        read.append(appeal.id)
        return await original(appeal)

    monkeypatch.setattr(deadlines, "settings_for", settings_for)
    assert await run_watchdog(runtime, DUE + timedelta(days=3)) == dict.fromkeys(
        COUNTS, 0)
    assert read == []
    # Once the body gets a supervisor, the escalation it is owed happens.
    await seed_parent()
    assert (await run_watchdog(runtime, DUE + timedelta(days=4)))["escalated"] == 1


async def test_a_pause_that_moves_the_term_does_not_repeat_a_reminder_already_due(
        runtime, submit_appeal):
    """The 50% reminder went out before the clarification; the pause moves the term a
    working day later, but the new 50% moment has passed too, so it is not sent again
    (and the 80% one is still ahead)."""
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    assert (await run_watchdog(runtime, REGISTERED + (DUE - REGISTERED) * 0.55))[
        "reminders"] == 1
    runtime.service(AppealServices).clock = lambda: datetime(2025, 11, 6, 12, 0, tzinfo=KIROV)
    await runtime.service(AppealServices).request_clarification(
        SYSTEM, appeal.id, question="Какой дом?")
    answered = datetime(2025, 11, 10, 12, 0, tzinfo=KIROV)
    runtime.service(AppealServices).clock = lambda: answered
    applicant = await load_principal(await User.get(subject="citizen"))
    await runtime.service(AppealServices).clarify(applicant, appeal.id, text="Дом 5")
    moved = await Appeal.get(id=appeal.id)
    # Friday 7 November lay wholly inside the pause: one working day later.
    assert moved.due_at == datetime(2025, 11, 13, 23, 59, 59, 999999, tzinfo=KIROV)
    assert moved.reminders_sent == [0.5]
    assert (await run_watchdog(runtime, answered + timedelta(minutes=1)))["reminders"] == 0
