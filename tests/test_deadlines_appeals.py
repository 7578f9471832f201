"""Deadlines of appeals through the lifecycle: registration, pauses, extensions,
conversion, and what the API shows."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio

from tests.appeal_world import AppealWorld, seed_appeal_world
from tests.worlds import MUNICIPALITY_A, REGION_A, count_queries, ok_data, user_error_codes
from vmeste.platform.appeals.models import Appeal, AppealEvent, AppealStatus, LegalTrack
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.deadlines.models import DeadlineExtension, DeadlinePause
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.reference.models import Category

KIROV = ZoneInfo("Europe/Kirov")
DEADLINE = """query($id: ID!) { appeal(id: $id) { status deadline { dueAt policy pausedFor
  paused remaining overdue redirectDueAt calendarVersion registeredAt
  extensions { days reason at } } } }"""
EXTEND = """mutation($input: ExtendAppealDeadlineInput!) { extendAppealDeadline(input: $input) {
  appeal { id } userErrors { field code message } } }"""


class Clock:
    """The services' clock, moved by hand."""

    def __init__(self, moment: datetime) -> None:
        self.now = moment

    def __call__(self) -> datetime:
        return self.now


@pytest_asyncio.fixture
async def appeal_world(world) -> AppealWorld:
    return await seed_appeal_world()


@pytest_asyncio.fixture
async def clock(vmeste_app) -> Clock:
    # Tuesday 28 October 2025, 10:00 in Kirov: the week of the 1 November transfer.
    moment = Clock(datetime(2025, 10, 28, 10, 0, tzinfo=KIROV))
    vmeste_app.state.runtime.service(AppealServices).clock = moment
    return moment


def gid(appeal: Appeal) -> str:
    from strawberry import relay

    return relay.to_base64("Appeal", appeal.id)


async def test_registration_sets_the_working_days_term_on_the_production_calendar(
        submit_appeal, appeal_world, clock):
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    assert appeal.status.value == "routed"
    assert appeal.registered_at == clock.now
    assert appeal.deadline_policy == "working-days:10"
    # Working days from 29 Oct: 29, 30, 31 Oct, Sat 1 Nov (transferred), 5, 6, 7, 10,
    # 11, 12 Nov (3 and 4 November are days off).
    assert appeal.due_at == datetime(2025, 11, 12, 23, 59, 59, 999999, tzinfo=KIROV)
    assert appeal.calendar_version.startswith("2026-11-28")
    assert appeal.redirect_due_at is None


async def test_a_59fz_appeal_gets_the_statute_and_the_redirect_clock(
        submit_appeal, appeal_world, clock, region_policy):
    await region_policy(REGION_A, "deadline", "working-hours", {"n": 4})
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                 legal_track=LegalTrack.APPEAL_59FZ)
    assert appeal.deadline_policy == "calendar-days:30"
    # 28 Oct + 30 days = Thu 27 Nov; + 7 days = Tue 4 Nov, a holiday → Wed 5 Nov.
    assert appeal.due_at.date().isoformat() == "2025-11-27"
    assert appeal.redirect_due_at.date().isoformat() == "2025-11-05"


async def test_category_and_region_policy_choose_the_term(submit_appeal, appeal_world, clock,
                                                         region_policy):
    await Category.filter(code="roads").update(deadline_policy="working-days:3")
    inherited = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    assert inherited.deadline_policy == "working-days:3"
    await region_policy(REGION_A, "deadline", "working-days", {"categories": {"roads": 5}})
    overridden = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                     citizen="other")
    assert overridden.deadline_policy == "working-days:5"


async def test_submission_costs_no_extra_query_once_caches_are_warm(
        submit_appeal, appeal_world, clock):
    await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A, citizen="warm")
    with count_queries() as log:
        await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A, citizen="measured")
    # Calendars, category policies and region policies all come from the caches.
    deadline_queries = [q for q in log.statements
                        if "stored_calendar" in q or "config_version" in q
                        or "region_policy" in q or "IS NOT NULL" in q]
    assert deadline_queries == [], deadline_queries


async def test_a_paused_appeal_moves_by_exactly_the_paused_working_days(
        graphql, vmeste_app, submit_appeal, appeal_world, clock, make_token):
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                 citizen="ivanova")
    before = appeal.due_at
    staff = await make_token("executor", org=appeal_world.city_admin)
    citizen = await make_token("citizen", sub="ivanova")
    # Asked on Wed 29 Oct at 12:00, answered on Fri 7 Nov at 09:00 (Kirov time). Wholly
    # inside the pause: 30, 31 Oct, Sat 1 Nov (worked), 5 and 6 Nov = 5 working days.
    clock.now = datetime(2025, 10, 29, 12, 0, tzinfo=KIROV)
    body = ok_data(await graphql(
        """mutation($input: RequestClarificationInput!) { requestClarification(input: $input)
        { userErrors { code } } }""", {"input": {"appealId": gid(appeal),
                                                 "question": "Какой дом?"}}, token=staff))
    assert body["requestClarification"]["userErrors"] == []
    pause = await DeadlinePause.get(subject_type="appeal", subject_id=appeal.id)
    assert pause.timeout_at == clock.now + timedelta(days=30)
    clock.now = datetime(2025, 11, 7, 9, 0, tzinfo=KIROV)
    body = ok_data(await graphql(
        """mutation($input: AppealTextInput!) { clarifyAppeal(input: $input)
        { userErrors { code } } }""", {"input": {"appealId": gid(appeal), "text": "Дом 5"}},
        token=citizen))
    assert body["clarifyAppeal"]["userErrors"] == []
    after = await Appeal.get(id=appeal.id)
    # 12 Nov + 5 working days: 13, 14, 17, 18, 19 Nov.
    assert before.date().isoformat() == "2025-11-12"
    assert after.due_at == datetime(2025, 11, 19, 23, 59, 59, 999999, tzinfo=KIROV)
    shown = ok_data(await graphql(DEADLINE, {"id": gid(appeal)}, token=citizen))
    deadline = shown["appeal"]["deadline"]
    assert deadline["pausedFor"] == 5.0 and deadline["paused"] is False
    assert deadline["policy"] == "working-days:10"
    assert datetime.fromisoformat(deadline["dueAt"]) == after.due_at

    # Paused time survives a change of policy: converted to a 59-ФЗ appeal, the term is
    # 30 calendar days from registration plus the 8 whole days of the pause
    # (30 Oct – 6 Nov): 28 Oct + 38 = 5 Dec.
    await vmeste_app.state.runtime.service(AppealServices).convert(
        SYSTEM, appeal.id, track=LegalTrack.APPEAL_59FZ, reason="Просьба заявителя")
    converted = await Appeal.get(id=appeal.id)
    assert converted.deadline_policy == "calendar-days:30"
    assert converted.due_at.date().isoformat() == "2025-12-05"


async def test_extension_once_for_59fz_with_reason_and_event(
        graphql, submit_appeal, appeal_world, clock, make_token):
    message = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                 citizen="other", legal_track=LegalTrack.APPEAL_59FZ)
    staff = await make_token("operator", org=appeal_world.city_admin)

    async def extend(target: Appeal, days: int, reason: str = "Нужна экспертиза") -> Any:
        body = await graphql(EXTEND, {"input": {"appealId": gid(target), "days": days,
                                                "reason": reason}}, token=staff)
        return ok_data(body)["extendAppealDeadline"]

    assert user_error_codes(await extend(message, 10)) == ["INVALID"]
    assert user_error_codes(await extend(appeal, 31)) == ["INVALID"]
    assert user_error_codes(await extend(appeal, 10, " ")) == ["REQUIRED"]
    assert (await extend(appeal, 20))["userErrors"] == []
    assert user_error_codes(await extend(appeal, 5)) == ["CONFLICT"]
    extended = await Appeal.get(id=appeal.id)
    # 27 Nov + 20 days = Wed 17 Dec.
    assert extended.due_at.date().isoformat() == "2025-12-17"
    event = await AppealEvent.get(appeal_id=appeal.id, action="extend")
    assert datetime.fromisoformat(event.payload.pop("due_at")) == extended.due_at
    assert event.payload == {"units": 20, "reason": "Нужна экспертиза"}
    assert await DeadlineExtension.filter(subject_type="appeal", subject_id=appeal.id).count() == 1
    body = ok_data(await graphql(DEADLINE, {"id": gid(appeal)}, token=staff))
    assert body["appeal"]["deadline"]["extensions"][0]["days"] == 20


async def test_overdue_filter_and_remaining(graphql, submit_appeal, appeal_world, clock,
                                            make_token):
    clock.now = datetime.now(UTC) - timedelta(days=40)
    late = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    clock.now = datetime.now(UTC)
    fresh = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                citizen="other")
    staff = await make_token("moderator", territory=REGION_A)
    query = """query($o: Boolean) { appeals(filter: {overdue: $o}) { edges { node { id
      deadline { overdue remaining } } } } }"""
    overdue = ok_data(await graphql(query, {"o": True}, token=staff))["appeals"]["edges"]
    assert [e["node"]["id"] for e in overdue] == [gid(late)]
    assert overdue[0]["node"]["deadline"]["overdue"] is True
    assert overdue[0]["node"]["deadline"]["remaining"] < 0
    others = ok_data(await graphql(query, {"o": False}, token=staff))["appeals"]["edges"]
    assert [e["node"]["id"] for e in others] == [gid(fresh)]
    assert others[0]["node"]["deadline"]["remaining"] > 0


async def test_a_term_that_ran_out_cannot_be_extended(graphql, submit_appeal, appeal_world,
                                                      clock, make_token):
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                 legal_track=LegalTrack.APPEAL_59FZ)
    staff = await make_token("org_admin", org=appeal_world.city_admin)
    # Due at the end of 27 November 2025 (Kirov); the body asks a day later.
    clock.now = datetime(2025, 11, 28, 10, 0, tzinfo=KIROV)
    body = ok_data(await graphql(EXTEND, {"input": {"appealId": gid(appeal), "days": 10,
                                                    "reason": "Нужна экспертиза"}},
                                 token=staff))["extendAppealDeadline"]
    assert user_error_codes(body) == ["ILLEGAL_TRANSITION"]
    assert "истёк" in body["userErrors"][0]["message"]
    assert not await DeadlineExtension.filter(subject_type="appeal", subject_id=appeal.id).exists()
    assert (await Appeal.get(id=appeal.id)).due_at == appeal.due_at


async def test_extending_a_running_term_rearms_the_reminders_still_ahead(vmeste_app, submit_appeal,
                                                               appeal_world, clock):
    services = vmeste_app.state.runtime.service(AppealServices)
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                 legal_track=LegalTrack.APPEAL_59FZ)
    await Appeal.filter(id=appeal.id).update(reminders_sent=[0.5, 0.8])
    clock.now = datetime(2025, 11, 25, 10, 0, tzinfo=KIROV)
    await services.extend(SYSTEM, appeal.id, days=20, reason="Нужна экспертиза")
    extended = await Appeal.get(id=appeal.id)
    assert extended.due_at.date().isoformat() == "2025-12-17"
    # The new term is watched afresh: its 80% moment (7 December) is ahead again, so
    # that reminder is re-armed; its 50% moment (22 November) has passed, and repeating
    # that reminder now would only tell the body what it heard three days ago.
    assert extended.reminders_sent == [0.5]


async def test_overdue_means_a_running_clock_past_due_in_the_filter_and_the_field(
        graphql, vmeste_app, submit_appeal, appeal_world, clock, make_token):
    services = vmeste_app.state.runtime.service(AppealServices)
    now = datetime.now(UTC)
    clock.now = now - timedelta(days=40)
    late = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    paused = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                 citizen="paused")
    answered = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                   citizen="answered")
    waiting = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                  citizen="waiting")
    # Still in moderation: not registered, so no term at all.
    await Appeal.filter(id=waiting.id).update(
        status=AppealStatus.MODERATION, registered_at=None, deadline_policy=None, due_at=None,
        calendar_version=None)
    # Ten working days from 40 days ago have run out; then one is paused, one answered.
    clock.now = now - timedelta(days=1)
    await services.request_clarification(SYSTEM, paused.id, question="Какой дом?")
    await services.answer(SYSTEM, answered.id, text="Яму заделали")
    clock.now = now
    staff = await make_token("moderator", territory=REGION_A)
    query = """query($o: Boolean) { appeals(filter: {overdue: $o}) { edges { node { id
      status deadline { overdue remaining paused } } } } }"""

    async def listed(overdue: bool) -> dict[str, dict[str, Any]]:
        edges = ok_data(await graphql(query, {"o": overdue}, token=staff))["appeals"]["edges"]
        return {e["node"]["id"]: e["node"]["deadline"] for e in edges}

    assert set(await listed(True)) == {gid(late)}
    assert (await listed(True))[gid(late)]["overdue"] is True
    others = await listed(False)
    assert set(others) == {gid(paused), gid(answered), gid(waiting)}
    assert others[gid(waiting)] is None  # no term before registration
    assert others[gid(paused)]["overdue"] is False and others[gid(paused)]["paused"] is True
    assert others[gid(answered)]["overdue"] is False
    # An answer stops the clock: it was this late when it came, and stays so.
    stored = await Appeal.get(id=answered.id)
    assert others[gid(answered)]["remaining"] == int(
        (stored.due_at - stored.answered_at).total_seconds())
    assert others[gid(answered)]["remaining"] < 0
