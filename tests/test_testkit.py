"""The fixtures a plugin's tests use to see background work: ``clock``, ``outbox`` and
``run_background`` (vmeste.testing), on the real lifecycle."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from tests.appeal_world import seed_appeal_world
from tests.worlds import MUNICIPALITY_A
from vmeste.platform.appeals.models import Appeal, AppealEvent
from vmeste.platform.notifications.models import Notification, NotificationStatus
from vmeste.platform.outbox.services import APPEAL_EVENTS, emit
from vmeste.platform.outbox.topics import Topic
from vmeste.testkit import MAX_ROUNDS, Clock

START = datetime(2025, 10, 28, 10, 0, tzinfo=UTC)


def test_clock_is_settable_and_refuses_naive_moments():
    clock = Clock(START)
    assert clock() == START
    assert clock.advance(days=2, hours=1) == START + timedelta(days=2, hours=1)
    with pytest.raises(ValueError):
        clock.set(datetime(2025, 1, 1))
    assert clock() == START + timedelta(days=2, hours=1)


async def test_submission_reads_the_clock_and_background_work_runs_on_demand(
        world, clock, outbox, run_background, submit_appeal):
    await seed_appeal_world()
    clock.set(START)
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    assert appeal.registered_at == START
    queued = await outbox.messages(APPEAL_EVENTS, pending=True)
    assert [entry.payload["appeal_id"] for entry in queued] == [appeal.id]
    assert not await Notification.exists()
    run = await run_background()
    assert run.jobs[APPEAL_EVENTS] == 1
    assert not await outbox.messages(pending=True)
    receipt = await Notification.get(event="submitted", channel="inbox")
    assert receipt.recipient_id == appeal.applicant_id
    assert receipt.status == NotificationStatus.SENT
    assert (await outbox.topics())[APPEAL_EVENTS] == 1


async def test_the_watchdog_runs_at_the_clocks_moment(world, clock, run_background,
                                                      submit_appeal):
    await seed_appeal_world()
    clock.set(START)
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    first = await run_background()
    assert first.watchdog["overdue"] == 0
    due = (await Appeal.get(id=appeal.id)).due_at
    assert due is not None
    clock.set(due + timedelta(hours=1))
    run = await run_background()
    assert run.watchdog["overdue"] == 1 and run.by_kind["appeals"]["overdue"] == 1
    assert await AppealEvent.filter(appeal_id=appeal.id, action="overdue").count() == 1
    again = await run_background()
    assert again.watchdog["overdue"] == 0 and again.rounds == 1


async def test_a_failing_job_stops_the_run_with_its_error(world, outbox, run_background,
                                                         submit_appeal, vmeste_app):
    await seed_appeal_world()
    await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    topic = vmeste_app.state.runtime.topics[APPEAL_EVENTS]

    async def broken(runtime, payload, last_attempt):
        raise LookupError("the plugin's bug")

    vmeste_app.state.runtime.topics[APPEAL_EVENTS] = replace(topic, handle=broken)
    with pytest.raises(LookupError, match="the plugin's bug"):
        await run_background()
    assert len(await outbox.messages(APPEAL_EVENTS, pending=True)) == 1


async def test_jobs_that_keep_queueing_jobs_are_reported(world, run_background, vmeste_app):
    count = 0

    async def again(runtime, payload, last_attempt):
        nonlocal count
        count += 1
        async with in_transaction() as conn:
            await emit(conn, "test.loop", {}, f"loop:{count}")

    async def scope(payload):
        return ""

    vmeste_app.state.runtime.topics["test.loop"] = Topic("test.loop", "t.loop", "t", again,
                                                         scope)
    async with in_transaction() as conn:
        await emit(conn, "test.loop", {}, "loop:0")
    with pytest.raises(RuntimeError, match="did not settle"):
        await run_background(watchdog=False)
    assert count == MAX_ROUNDS
