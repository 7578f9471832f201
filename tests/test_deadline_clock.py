"""The deadline clock: the three policies on the real federal calendar, time zones,
pauses that move a deadline by exactly the paused time, extensions and bad input."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from vmeste.platform.deadlines.calendar import ProductionCalendar, load_calendar
from vmeste.platform.deadlines.clock import (
    END_OF_DAY,
    CalendarDays,
    Policy,
    WorkingDays,
    WorkingHours,
    due_at,
    due_with_pauses,
    overdue,
    parse_policy,
    paused_for,
    remaining,
)

MOSCOW = ZoneInfo("Europe/Moscow")
YEKATERINBURG = ZoneInfo("Asia/Yekaterinburg")


@pytest.fixture(scope="module")
def federal() -> ProductionCalendar:
    return load_calendar("ru_federal")


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MOSCOW)


def end_of(day: str, tz: ZoneInfo = MOSCOW) -> datetime:
    return datetime.combine(date.fromisoformat(day), END_OF_DAY, tzinfo=tz)


# Working days.

def test_working_days_run_from_the_day_after_and_end_with_the_last_day(
        federal: ProductionCalendar) -> None:
    # Registered on Wednesday 30 April 2025, before the May holidays (1–4 and 8–11 May).
    due = due_at(WorkingDays(5), msk("2025-04-30T10:00"), federal, MOSCOW)
    assert due == end_of("2025-05-13")
    assert due.time() == time(23, 59, 59, 999999) and due.tzinfo is MOSCOW


def test_working_days_on_a_working_saturday(federal: ProductionCalendar) -> None:
    # 1 November 2025 was worked; 3 and 4 November were days off.
    assert due_at(WorkingDays(1), msk("2025-10-31T12:00"), federal, MOSCOW) \
        == end_of("2025-11-01")
    assert due_at(WorkingDays(2), msk("2025-10-31T12:00"), federal, MOSCOW) \
        == end_of("2025-11-05")


# Calendar days (59-ФЗ).

@pytest.mark.parametrize("registered, due", [
    ("2025-03-03T10:00", "2025-04-02"),  # day 30 is a Wednesday: no carry-over
    ("2025-01-03T10:00", "2025-02-03"),  # day 30 is Sunday 2 February
    ("2025-04-09T10:00", "2025-05-12"),  # day 30 is Victory Day, then a weekend
    ("2025-12-02T10:00", "2026-01-12"),  # day 30 is 1 January
])
def test_calendar_days_ending_on_a_day_off_end_on_the_next_working_day(
        federal: ProductionCalendar, registered: str, due: str) -> None:
    assert due_at(CalendarDays(30), msk(registered), federal, MOSCOW) == end_of(due)


def test_an_extension_adds_days_to_the_term(federal: ProductionCalendar) -> None:
    start = msk("2025-03-03T10:00")
    extended = due_with_pauses(CalendarDays(30), start, [], federal, MOSCOW, now=start,
                               extensions=30)
    # Day 60 is 2 May, a day off, followed by a weekend.
    assert extended == due_at(CalendarDays(60), start, federal, MOSCOW) == end_of("2025-05-05")


# Working hours.

def test_working_hours_across_a_weekend(federal: ProductionCalendar) -> None:
    # Friday 16:00–18:00 is two hours, Monday 9–13 four and 14–16 two more.
    due = due_at(WorkingHours(8), msk("2025-03-14T16:00"), federal, MOSCOW)
    assert due == msk("2025-03-17T16:00")


def test_working_hours_skip_lunch(federal: ProductionCalendar) -> None:
    assert due_at(WorkingHours(2), msk("2025-03-11T12:00"), federal, MOSCOW) \
        == msk("2025-03-11T15:00")
    assert due_at(WorkingHours(2, lunch=None), msk("2025-03-11T12:00"), federal, MOSCOW) \
        == msk("2025-03-11T14:00")


@pytest.mark.parametrize("registered, due", [
    ("2025-03-11T20:00", "2025-03-12T10:00"),  # after hours: from 9:00 next day
    ("2025-03-11T07:00", "2025-03-11T10:00"),  # before hours: from 9:00
    ("2025-03-11T13:30", "2025-03-11T15:00"),  # at lunch: from 14:00
    ("2025-03-15T11:00", "2025-03-17T10:00"),  # on a Saturday: from Monday
])
def test_working_hours_outside_the_working_day_start_at_the_next_start(
        federal: ProductionCalendar, registered: str, due: str) -> None:
    assert due_at(WorkingHours(1), msk(registered), federal, MOSCOW) == msk(due)


def test_working_hours_that_end_with_a_day_end_there(federal: ProductionCalendar) -> None:
    assert due_at(WorkingHours(8), msk("2025-03-11T09:00"), federal, MOSCOW) \
        == msk("2025-03-11T18:00")


def test_working_hours_on_a_pre_holiday_day_end_an_hour_early(
        federal: ProductionCalendar) -> None:
    # Friday 7 March 2025 was short (until 17:00); 8 March a holiday; Monday 10 worked.
    assert due_at(WorkingHours(2), msk("2025-03-07T16:00"), federal, MOSCOW) \
        == msk("2025-03-10T10:00")


# Time zones.

def test_the_territory_date_decides_not_the_moscow_date(federal: ProductionCalendar) -> None:
    # 23:30 on Thursday in Moscow is 01:30 on Friday in Yekaterinburg.
    registered = msk("2025-03-13T23:30")
    assert due_at(WorkingDays(1), registered, federal, MOSCOW) == end_of("2025-03-14")
    due = due_at(WorkingDays(1), registered, federal, YEKATERINBURG)
    assert due == end_of("2025-03-17", YEKATERINBURG)
    assert due.utcoffset() == timedelta(hours=5)
    assert due_at(WorkingHours(1), registered, federal, YEKATERINBURG) \
        == datetime(2025, 3, 14, 10, tzinfo=YEKATERINBURG)


def test_naive_times_are_refused(federal: ProductionCalendar) -> None:
    with pytest.raises(ValueError, match="time zone"):
        due_at(WorkingDays(1), datetime(2025, 3, 13, 12), federal, MOSCOW)


# Pauses.

REGISTERED = msk("2025-03-03T10:00")  # a Monday


@pytest.mark.parametrize("pause, paused_working_days", [
    (("2025-03-04T00:00", "2025-03-06T00:00"), 2),  # Tuesday and Wednesday, whole
    (("2025-03-07T00:00", "2025-03-11T00:00"), 2),  # Friday to Monday: Fri and Mon
    (("2025-03-04T10:00", "2025-03-04T17:00"), 0),  # part of a day
    (("2025-03-04T10:00", "2025-03-07T09:00"), 2),  # Wednesday and Thursday are whole
    (("2025-05-01T00:00", "2025-05-05T00:00"), 0),  # the May holidays cost no working day
])
def test_a_pause_moves_working_days_by_exactly_the_paused_working_days(
        federal: ProductionCalendar, pause: tuple[str, str], paused_working_days: int) -> None:
    pauses = [(msk(pause[0]), msk(pause[1]))]
    now = msk("2025-06-01T00:00")
    assert paused_for(WorkingDays(10), pauses, federal, MOSCOW, now) \
        == timedelta(days=paused_working_days)
    due = due_with_pauses(WorkingDays(10), REGISTERED, pauses, federal, MOSCOW, now)
    unpaused = due_at(WorkingDays(10), REGISTERED, federal, MOSCOW)
    assert due.date() == federal.add_working_days(unpaused.date(), paused_working_days)
    assert federal.working_days_between(unpaused.date(), due.date()) == paused_working_days


def test_a_pause_moves_working_hours_by_exactly_the_paused_working_time(
        federal: ProductionCalendar) -> None:
    start = msk("2025-03-03T09:00")
    # 11–13 and 14–15 on Monday: three working hours; the lunch hour does not count.
    pauses = [(msk("2025-03-03T11:00"), msk("2025-03-03T15:00"))]
    now = msk("2025-03-10T00:00")
    assert paused_for(WorkingHours(16), pauses, federal, MOSCOW, now) == timedelta(hours=3)
    assert due_with_pauses(WorkingHours(16), start, pauses, federal, MOSCOW, now) \
        == due_at(WorkingHours(19), start, federal, MOSCOW) == msk("2025-03-05T12:00")


def test_a_pause_moves_calendar_days_by_the_whole_days_paused(
        federal: ProductionCalendar) -> None:
    pauses = [(msk("2025-03-05T12:00"), msk("2025-03-11T08:00"))]  # 6th to 10th whole
    now = msk("2025-04-01T00:00")
    assert paused_for(CalendarDays(30), pauses, federal, MOSCOW, now) == timedelta(days=5)
    assert due_with_pauses(CalendarDays(30), REGISTERED, pauses, federal, MOSCOW, now) \
        == end_of("2025-04-07")  # 2 April + 5 days is Monday 7 April


def test_an_open_pause_runs_until_now(federal: ProductionCalendar) -> None:
    pauses = [(msk("2025-03-04T00:00"), None)]
    on_friday = due_with_pauses(WorkingDays(10), REGISTERED, pauses, federal, MOSCOW,
                                now=msk("2025-03-07T12:00"))  # Tue, Wed, Thu whole
    assert on_friday == end_of(federal.add_working_days(date(2025, 3, 3), 13).isoformat())
    next_week = due_with_pauses(WorkingDays(10), REGISTERED, pauses, federal, MOSCOW,
                                now=msk("2025-03-12T12:00"))
    assert federal.working_days_between(on_friday.date(), next_week.date()) == 3


def test_a_pause_never_counts_time_after_now(federal: ProductionCalendar) -> None:
    pauses = [(msk("2025-03-04T00:00"), msk("2025-03-20T00:00"))]
    assert paused_for(WorkingDays(10), pauses, federal, MOSCOW, now=msk("2025-03-06T00:00")) \
        == timedelta(days=2)


def test_overlapping_and_touching_pauses_are_merged(federal: ProductionCalendar) -> None:
    now = msk("2025-04-01T00:00")
    overlapping = [(msk("2025-03-04T00:00"), msk("2025-03-06T00:00")),
                   (msk("2025-03-05T00:00"), msk("2025-03-07T00:00"))]
    assert paused_for(WorkingDays(10), overlapping, federal, MOSCOW, now) == timedelta(days=3)
    touching = [(msk("2025-03-04T00:00"), msk("2025-03-05T12:00")),
                (msk("2025-03-05T12:00"), msk("2025-03-06T00:00"))]
    assert paused_for(WorkingDays(10), touching, federal, MOSCOW, now) == timedelta(days=2)


@pytest.mark.parametrize("policy", [WorkingDays(10), CalendarDays(30), WorkingHours(16)])
def test_paused_time_survives_a_policy_change(federal: ProductionCalendar,
                                              policy: Policy) -> None:
    # Pauses are kept as moments, so a new policy measures them in its own unit.
    pauses = [(msk("2025-03-04T00:00"), msk("2025-03-06T00:00"))]
    now = msk("2025-04-01T00:00")
    expected = {WorkingDays: timedelta(days=2), CalendarDays: timedelta(days=2),
                WorkingHours: timedelta(hours=16)}[type(policy)]
    assert paused_for(policy, pauses, federal, MOSCOW, now) == expected
    assert due_with_pauses(policy, REGISTERED, pauses, federal, MOSCOW, now) \
        > due_at(policy, REGISTERED, federal, MOSCOW)


def test_bad_pauses_are_refused(federal: ProductionCalendar) -> None:
    now = msk("2025-04-01T00:00")
    with pytest.raises(ValueError, match="before it starts"):
        due_with_pauses(WorkingDays(10), REGISTERED,
                        [(msk("2025-03-06T00:00"), msk("2025-03-05T00:00"))],
                        federal, MOSCOW, now)
    with pytest.raises(ValueError, match="before registration"):
        due_with_pauses(WorkingDays(10), REGISTERED,
                        [(msk("2025-03-01T00:00"), msk("2025-03-05T00:00"))],
                        federal, MOSCOW, now)
    with pytest.raises(ValueError, match="extensions"):
        due_with_pauses(WorkingDays(10), REGISTERED, [], federal, MOSCOW, now, extensions=-1)


# Remaining time.

def test_remaining_and_overdue() -> None:
    due = end_of("2025-03-14")
    assert remaining(due, msk("2025-03-14T12:00")) == timedelta(hours=12) - timedelta(
        microseconds=1)
    assert not overdue(due, due)
    assert overdue(due, due + timedelta(microseconds=1))
    assert remaining(due, due + timedelta(days=1)) == -timedelta(days=1)


# Policy strings.

@pytest.mark.parametrize("text, policy", [
    ("working-days:10", WorkingDays(10)),
    ("calendar-days:30", CalendarDays(30)),
    (" working-hours:8 ", WorkingHours(8)),
])
def test_parse_policy(text: str, policy: Policy) -> None:
    assert parse_policy(text) == policy
    assert parse_policy(str(policy)) == policy


@pytest.mark.parametrize("text", [
    "", "working-days", "working-days:", "working-days:0", "working-days:-1",
    "working-days:1.5", "working-days:10000", "Working-Days:5", "weeks:3",
    "working-days:٣", "working-days:5:6", "calendar-days: 30",
])
def test_bad_policy_strings(text: str) -> None:
    with pytest.raises(ValueError, match="ожидается working-days:N, calendar-days:N"):
        parse_policy(text)


def test_bad_policies() -> None:
    with pytest.raises(ValueError):
        WorkingDays(0)
    with pytest.raises(ValueError):
        CalendarDays(True)
    with pytest.raises(ValueError, match="Обед"):
        WorkingHours(8, lunch=(time(19), time(20)))
    with pytest.raises(ValueError, match="начинаться"):
        WorkingHours(8, day_start=time(18), day_end=time(9))
