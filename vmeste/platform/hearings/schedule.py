"""The dates of a hearing's stages, from the notice date, on the production calendar.

Every stage is a run of whole days, its first and last day inclusive, and the next
stage starts the day after the last: the notice is published on the notice stage's
first day, proposals are taken through the exposition's last day, and so on. A stage
of N calendar days ends N - 1 days after it starts; of N working days, on its Nth
working day counting its first (a stage starting on a day off starts counting on the
next working day); of N months, the day before the same date N months later (Civil
Code art. 192). The whole procedure's term is counted the same way from the notice.

The organiser may choose each stage's length within its rule; unchosen stages take
their minimum, except that the exposition (when not chosen) grows, up to its maximum,
until the procedure reaches its own minimum term: a master plan's discussion with
every stage at its minimum would otherwise end before the month the law requires.
"""

from __future__ import annotations

import calendar as months
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from vmeste.platform.deadlines.calendar import ProductionCalendar
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.hearings.models import DayUnit, Hearing, ProcedureTemplate, Stage
from vmeste.platform.hearings.templates import Duration, rules_of, total_of
from vmeste.platform.i18n import N_, _, translate
from vmeste.platform.reference.models import Territory

#: The input field the organiser's lengths arrive in (errors name it).
LENGTHS_FIELD = "stageDays"
UNIT_NAMES = {DayUnit.CALENDAR_DAYS: N_("calendar days"),
              DayUnit.WORKING_DAYS: N_("working days"), DayUnit.MONTHS: N_("months")}


@dataclass(frozen=True)
class Period:
    stage: Stage
    starts_on: date
    ends_on: date
    length: int
    unit: DayUnit

    def as_dict(self) -> dict[str, Any]:
        return {"starts_on": self.starts_on.isoformat(), "ends_on": self.ends_on.isoformat(),
                "length": self.length, "unit": str(self.unit)}


def add_months(day: date, n: int) -> date:
    """The same date ``n`` months later, or that month's last day when it is shorter."""
    month = day.month - 1 + n
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, months.monthrange(year, month)[1]))


def last_day(production: ProductionCalendar, start: date, n: int, unit: DayUnit) -> date:
    """The last day of ``n`` units starting on ``start`` (the day before it when n is 0)."""
    if unit is DayUnit.WORKING_DAYS:
        return production.add_working_days(start - timedelta(days=1), n)
    if unit is DayUnit.MONTHS:
        return add_months(start, n) - timedelta(days=1)
    return start + timedelta(days=n - 1)


def _periods(rules: list[tuple[Stage, Duration]], lengths: Mapping[Stage, int],
             notice_on: date, production: ProductionCalendar) -> list[Period]:
    periods, start = [], notice_on
    for stage, rule in rules:
        end = last_day(production, start, lengths[stage], rule.unit)
        periods.append(Period(stage, start, end, lengths[stage], rule.unit))
        start = max(end, start - timedelta(days=1)) + timedelta(days=1)
    return periods


def compute(template: ProcedureTemplate, notice_on: date, production: ProductionCalendar,
            chosen: Mapping[str, int] | None = None) -> list[Period]:
    """Every stage's dates; refuses, each on its field, a chosen length outside its
    stage's rule or a stage the template lacks, and a schedule outside the term."""
    rules = rules_of(template)
    by_stage = dict(rules)
    chosen = dict(chosen or {})
    errors = []
    for name, length in chosen.items():
        field = f"{LENGTHS_FIELD}.{name}"
        rule = by_stage.get(Stage(name)) if name in set(Stage) else None
        if rule is None:
            errors.append(FieldError(field, _("The procedure has no stage «{stage}»",
                                              stage=name), ErrorCode.INVALID))
        elif not rule.min <= length <= rule.max:
            errors.append(FieldError(field, _("From {min} to {max} ({unit})", min=rule.min,
                                              max=rule.max, unit=translate(UNIT_NAMES[rule.unit])),
                                     ErrorCode.INVALID))
    if errors:
        raise DomainError(*errors)
    lengths = {stage: chosen.get(stage, rule.min) for stage, rule in rules}
    total = total_of(template)
    earliest = last_day(production, notice_on, total.min, total.unit)
    latest = last_day(production, notice_on, total.max, total.unit)
    periods = _periods(rules, lengths, notice_on, production)
    stretch = Stage.EXPOSITION
    while (periods[-1].ends_on < earliest and stretch not in chosen
           and lengths[stretch] < by_stage[stretch].max):
        lengths[stretch] += 1
        periods = _periods(rules, lengths, notice_on, production)
    end = periods[-1].ends_on
    if end > latest:
        raise DomainError.of(LENGTHS_FIELD, _(
            "The procedure would end {end}, after the end of its term {latest}",
            end=end.strftime("%d.%m.%Y"), latest=latest.strftime("%d.%m.%Y")))
    if end < earliest:
        raise DomainError.of(LENGTHS_FIELD, _(
            "The procedure would end {end}, before its shortest term ends {earliest}",
            end=end.strftime("%d.%m.%Y"), earliest=earliest.strftime("%d.%m.%Y")))
    return periods


def as_json(periods: list[Period]) -> dict[str, Any]:
    return {str(p.stage): p.as_dict() for p in periods}


def periods_of(schedule: Mapping[str, Any]) -> list[Period]:
    """A stored schedule, in the stages' order (a JSON object keeps none)."""
    return [Period(stage, date.fromisoformat(schedule[stage]["starts_on"]),
                   date.fromisoformat(schedule[stage]["ends_on"]),
                   int(schedule[stage]["length"]), DayUnit(schedule[stage]["unit"]))
            for stage in Stage if stage in schedule]


def starts_on(schedule: Mapping[str, Any], stage: Stage) -> date | None:
    found = schedule.get(stage)
    return date.fromisoformat(found["starts_on"]) if found else None


def follows_calendar(schedule: Mapping[str, Any]) -> bool:
    """Whether any stage counts working days (its dates move with a calendar)."""
    return any(period.unit is DayUnit.WORKING_DAYS for period in periods_of(schedule))


def lengths_of(schedule: Mapping[str, Any]) -> dict[str, int]:
    return {str(p.stage): p.length for p in periods_of(schedule)}


async def zone_of(hearing: Hearing) -> ZoneInfo:
    """The time zone of the hearing's territory: its days are counted, its steps taken
    and its documents dated there."""
    names = await Territory.filter(id=hearing.territory_id).values_list("timezone", flat=True)
    return ZoneInfo(names[0] if names and names[0] else "UTC")
