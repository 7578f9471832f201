"""When an answer is due: a policy, a registration moment, a calendar and pauses.

Three policies cover the platform's legal tracks:

- :class:`WorkingDays` (platform messages): N working days counted from the day after
  registration; due at the end of the Nth.
- :class:`CalendarDays` (appeals under 59-ФЗ): N days counted from the day after
  registration; a term whose last day is not a working day ends on the next working
  day (Civil Code art. 193); due at the end of that day.
- :class:`WorkingHours` (incident SLAs): N hours of the working schedule from the
  registration moment; a pre-holiday day is an hour shorter (Labour Code art. 95).

Days are the territory's local days: the same moment can be the 14th in Moscow and
the 15th in Yekaterinburg, and the citizen is owed an answer by the territory's date.

Pauses (a clarification request) stop the clock. The deadline moves by the paused time
measured in the policy's own unit, so that a term never gains or loses a unit it was
not paused for:

- working days: the working days lying wholly inside a pause (a day on which the
  body held the appeal for even an hour was a day it could work on it);
- calendar days: the days lying wholly inside a pause, by the same rule;
- working hours: the working time inside a pause, to the microsecond.

Overlapping or touching pauses are merged first, an open pause runs up to ``now``, and
a pause never counts time after ``now``. Extensions (59-ФЗ allows one of up to 30 days)
are whole units of the policy added to the term, like its own N.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from vmeste.platform.deadlines.calendar import ProductionCalendar
from vmeste.platform.i18n import _

#: A day-based term ends with its last day, in the territory's time zone.
END_OF_DAY = time(23, 59, 59, 999999)
#: Upper bound of N, which keeps a mistyped policy from walking the calendar for ages.
MAX_TERM = 9999
#: How much shorter a pre-holiday working day is (Labour Code art. 95).
PRE_HOLIDAY_CUT = timedelta(hours=1)

_DAY = timedelta(days=1)
_MIDNIGHT = time(0)


def _check_term(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_TERM:
        raise ValueError(_("A term must be a whole number from 1 to {limit}, not {value}",
                           limit=MAX_TERM, value=repr(n)))


@dataclass(frozen=True)
class WorkingDays:
    n: int

    def __post_init__(self) -> None:
        _check_term(self.n)

    def __str__(self) -> str:
        return f"working-days:{self.n}"


@dataclass(frozen=True)
class CalendarDays:
    n: int

    def __post_init__(self) -> None:
        _check_term(self.n)

    def __str__(self) -> str:
        return f"calendar-days:{self.n}"


@dataclass(frozen=True)
class WorkingHours:
    """N hours of a working schedule; the default is the 40-hour week's 9:00–18:00
    with lunch 13:00–14:00 (eight hours, the length the production calendar assumes).
    The string form carries only N: the schedule comes from configuration."""

    n: int
    day_start: time = time(9)
    day_end: time = time(18)
    lunch: tuple[time, time] | None = (time(13), time(14))

    def __post_init__(self) -> None:
        _check_term(self.n)
        if not self.day_start < self.day_end:
            raise ValueError(_("A working day must start before it ends"))
        if self.lunch is not None and not (
                self.day_start < self.lunch[0] < self.lunch[1] < self.day_end):
            raise ValueError(_("Lunch must lie inside the working day"))

    def __str__(self) -> str:
        return f"working-hours:{self.n}"

    def spans(self, day: date, calendar: ProductionCalendar) -> list[tuple[datetime, datetime]]:
        """The day's working periods in local wall time (none on a day off)."""
        if not calendar.is_working_day(day):
            return []
        end = datetime.combine(day, self.day_end)
        if calendar.is_short_day(day):
            end -= PRE_HOLIDAY_CUT
        start = datetime.combine(day, self.day_start)
        if self.lunch is None:
            pieces = [(start, end)]
        else:
            pieces = [(start, datetime.combine(day, self.lunch[0])),
                      (datetime.combine(day, self.lunch[1]), end)]
        return [(a, min(b, end)) for a, b in pieces if min(b, end) > a]


Policy = WorkingDays | CalendarDays | WorkingHours
Pause = tuple[datetime, datetime | None]

_KINDS: dict[str, type[WorkingDays] | type[CalendarDays] | type[WorkingHours]] = {
    "working-days": WorkingDays,
    "calendar-days": CalendarDays,
    "working-hours": WorkingHours,
}
_POLICY = re.compile(r"([a-z-]+):([0-9]+)")


def parse_policy(text: str) -> Policy:
    """A policy from its string form, ``working-days:N``, ``calendar-days:N`` or
    ``working-hours:N`` (as the CLI and region policies write it)."""
    match = _POLICY.fullmatch(text.strip())
    kind = _KINDS.get(match[1]) if match else None
    if match is None or kind is None or not 1 <= int(match[2]) <= MAX_TERM:
        raise ValueError(
            _("Invalid deadline policy «{text}»: working-days:N, calendar-days:N or "
              "working-hours:N is expected, N a whole number from 1 to {limit}", text=text,
              limit=MAX_TERM))
    return kind(int(match[2]))


def due_at(policy: Policy, registered_at: datetime, calendar: ProductionCalendar,
           tz: ZoneInfo) -> datetime:
    """The moment the answer is due, in the territory's time zone."""
    return _due(policy, _local(registered_at, tz), calendar, tz, policy.n, timedelta())


def due_with_pauses(policy: Policy, registered_at: datetime, pauses: Iterable[Pause],
                    calendar: ProductionCalendar, tz: ZoneInfo, now: datetime,
                    extensions: int = 0) -> datetime:
    """The due moment after pauses (each ``(start, end or None while open)``) and
    ``extensions`` units of the policy granted on top of its term."""
    if isinstance(extensions, bool) or not isinstance(extensions, int) or extensions < 0:
        raise ValueError(f"extensions must be a non-negative int, got {extensions!r}")
    start = _local(registered_at, tz)
    pauses = list(pauses)
    for pause_start, _end in pauses:
        if _local(pause_start, tz) < start:
            raise ValueError("a pause cannot start before registration")
    return _due(policy, start, calendar, tz, policy.n + extensions,
                paused_for(policy, pauses, calendar, tz, now))


def paused_for(policy: Policy, pauses: Iterable[Pause], calendar: ProductionCalendar,
               tz: ZoneInfo, now: datetime) -> timedelta:
    """How far the pauses move the deadline, in the policy's unit: ``timedelta(days=k)``
    is k working days for :class:`WorkingDays` and k days for :class:`CalendarDays`;
    for :class:`WorkingHours` it is working time."""
    until = _local(now, tz).replace(tzinfo=None)
    total = timedelta()
    for start, end in _merged(pauses, tz, until):
        match policy:
            case WorkingHours():
                total += _working_time(start, end, policy, calendar)
            case WorkingDays() | CalendarDays():
                first = start.date() if start.time() == _MIDNIGHT else start.date() + _DAY
                last = end.date() - _DAY
                if last < first:
                    continue
                if isinstance(policy, WorkingDays):
                    total += calendar.working_days_between(first - _DAY, last) * _DAY
                else:
                    total += last - first + _DAY
    return total


def remaining(due: datetime, now: datetime) -> timedelta:
    """Time left until ``due``; negative once overdue, by how much it is overdue."""
    return due - now


def overdue(due: datetime, now: datetime) -> bool:
    return now > due


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    """The moment in the territory's time zone, the frame every rule is set in."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; deadlines need aware times")
    return moment.astimezone(tz)


def _due(policy: Policy, start: datetime, calendar: ProductionCalendar, tz: ZoneInfo,
         units: int, paused: timedelta) -> datetime:
    """The end of a term of ``units`` of the policy plus ``paused`` (see paused_for)."""
    match policy:
        case WorkingDays():
            day = calendar.add_working_days(start.date(), units + paused.days)
        case CalendarDays():
            day = calendar.next_working_day(start.date() + timedelta(days=units) + paused)
        case WorkingHours():
            end = _add_working_time(start.replace(tzinfo=None),
                                    timedelta(hours=units) + paused, policy, calendar)
            return end.replace(tzinfo=tz)
    return datetime.combine(day, END_OF_DAY, tzinfo=tz)


def _merged(pauses: Iterable[Pause], tz: ZoneInfo, until: datetime
            ) -> list[tuple[datetime, datetime]]:
    """Pauses as local wall-time intervals, cut at ``until``, merged where they meet."""
    intervals = []
    for start, end in pauses:
        a = _local(start, tz).replace(tzinfo=None)
        b = until if end is None else _local(end, tz).replace(tzinfo=None)
        if end is not None and b < a:
            raise ValueError(f"a pause ends ({end.isoformat()}) before it starts "
                             f"({start.isoformat()})")
        b = min(b, until)
        if a < b:
            intervals.append((a, b))
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _add_working_time(start: datetime, amount: timedelta, policy: WorkingHours,
                      calendar: ProductionCalendar) -> datetime:
    """The earliest moment by which ``amount`` of working time has passed since ``start``."""
    day = start.date()
    while True:
        for a, b in policy.spans(day, calendar):
            a = max(a, start)
            if b <= a:
                continue
            if amount <= b - a:
                return a + amount
            amount -= b - a
        day += _DAY


def _working_time(start: datetime, end: datetime, policy: WorkingHours,
                  calendar: ProductionCalendar) -> timedelta:
    total = timedelta()
    day = start.date()
    while day <= end.date():
        for a, b in policy.spans(day, calendar):
            a, b = max(a, start), min(b, end)
            if b > a:
                total += b - a
        day += _DAY
    return total
