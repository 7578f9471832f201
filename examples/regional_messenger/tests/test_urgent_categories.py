"""The ``urgent-categories`` deadline strategy: an outage gets a term in working hours,
and the platform's watchdog reminds the body at the deadline kind's default fractions
and marks the appeal overdue, though the strategy declares none of those settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from messenger_world import KAZAN_CITY, KIROV_CITY, KIROV_REGION, SET_POLICY

from vmeste.platform.appeals.models import Appeal, AppealEvent, AppealStatus
from vmeste.platform.notifications.models import Notification

KIROV_TIME = ZoneInfo("Europe/Kirov")
#: Monday 6 October 2025, 10:00 in Kirov: a plain working week follows.
MONDAY_MORNING = datetime(2025, 10, 6, 10, 0, tzinfo=KIROV_TIME)
URGENT = {"urgent_hours": {"utilities.outage": 24}}
EFFECTIVE = """query($code: String!) { effectivePolicy(territoryCode: $code, kind: "deadline") {
  plugin settings decidedAt } }"""


async def test_an_outage_is_due_in_working_hours_and_other_categories_in_days(
        kirov, region_policy, clock, submit_appeal):
    await region_policy(KIROV_REGION, "deadline", "urgent-categories", URGENT)
    clock.set(MONDAY_MORNING)
    outage = await submit_appeal(category="utilities.outage.water", territory=KIROV_CITY)
    bills = await submit_appeal(category="utilities.bills", territory=KIROV_CITY,
                                citizen="payer", text="Пришёл счёт за отопление в сентябре.")
    elsewhere = await submit_appeal(category="utilities.outage.water", territory=KAZAN_CITY,
                                    citizen="kazan")
    # 24 working hours of 9:00-18:00 with lunch: Monday 7, Tuesday 8, Wednesday 8, then
    # the first hour of Thursday.
    assert outage.deadline_policy == "working-hours:24"
    assert outage.due_at == datetime(2025, 10, 9, 10, 0, tzinfo=KIROV_TIME)
    assert bills.deadline_policy == "working-days:10"
    assert bills.due_at.astimezone(KIROV_TIME).date() == datetime(2025, 10, 20).date()
    assert elsewhere.deadline_policy == "working-days:10", "only Kirov has the policy"


async def test_the_watchdog_reminds_and_marks_the_outage_overdue(
        kirov, graphql, region_policy, clock, submit_appeal, run_background):
    await region_policy(KIROV_REGION, "deadline", "urgent-categories", URGENT)
    (effective,) = (await graphql(EFFECTIVE, {"code": KIROV_CITY}, token=kirov["admin"]))[
        "data"]["effectivePolicy"]
    assert effective["plugin"] == "urgent-categories"
    assert effective["settings"]["reminders"] == [0.5, 0.8], "the kind's shared default"
    clock.set(MONDAY_MORNING)
    appeal = await submit_appeal(category="utilities.outage.water", territory=KIROV_CITY)
    assert appeal.status == AppealStatus.ROUTED
    await run_background()
    registered, due = appeal.registered_at, appeal.due_at
    span = due - registered

    async def at(fraction: float, minutes: int) -> dict[str, int]:
        clock.set(registered + span * fraction + timedelta(minutes=minutes))
        run = await run_background()
        return {name: run.by_kind["appeals"][name] for name in ("reminders", "overdue")}

    assert await at(0.5, -1) == {"reminders": 0, "overdue": 0}
    assert await at(0.5, 1) == {"reminders": 1, "overdue": 0}
    assert await at(0.8, -1) == {"reminders": 0, "overdue": 0}
    assert await at(0.8, 1) == {"reminders": 1, "overdue": 0}
    assert await at(1, 1) == {"reminders": 0, "overdue": 1}
    events = await AppealEvent.filter(appeal_id=appeal.id, action__in=("remind", "overdue")
                                      ).order_by("id").values_list("action", "payload")
    assert [(action, payload.get("fraction")) for action, payload in events] == [
        ("remind", 0.5), ("remind", 0.8), ("overdue", None)]
    assert (await Appeal.get(id=appeal.id)).overdue_at is not None
    told = await Notification.filter(channel="inbox", event__in=("reminder", "overdue")
                                     ).order_by("id").values_list("event", "recipient__subject")
    assert told == [("reminder", "utilities-operator"), ("reminder", "utilities-operator"),
                    ("overdue", "utilities-operator")], "the body's staff are told"


async def test_bad_settings_are_refused_when_the_policy_is_saved(kirov, graphql):
    for settings, says in (({"urgent_hours": {"utilities.outage": 0}}, "urgent_hours"),
                           ({"urgent_hours": ["utilities.outage"]}, "urgent_hours"),
                           ({"n": "ten"}, "n —"),
                           ({"reminder": [0.5]}, "reminder"),
                           ({"reminders": [2]}, "reminders")):
        body = await graphql(SET_POLICY, {"input": {
            "territoryCode": KIROV_REGION, "kind": "deadline", "plugin": "urgent-categories",
            "settings": settings}}, token=kirov["admin"])
        errors = body["data"]["setRegionPolicy"]["userErrors"]
        assert [(e["field"], e["code"]) for e in errors] == [("settings", "INVALID")], settings
        assert says in errors[0]["message"], (settings, errors)
