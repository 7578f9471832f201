"""A deadline computed without a subject: for ``previewDeadline`` and ``vmeste deadline``.

Both take the start as ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM`` (seconds and an offset
allowed). A start without a time is the beginning of that day, and one without an
offset is wall time, both in the territory's time zone: the citizen and the body
count days by the territory's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from vmeste.platform.deadlines.clock import Policy, due_at, parse_policy
from vmeste.platform.deadlines.policy import DeadlineRules
from vmeste.platform.deadlines.terms import Deadlines
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.i18n import _
from vmeste.platform.reference.models import Category, Territory

#: Years a previewed term may start in.
YEARS = range(1900, 2201)


@dataclass(frozen=True)
class Preview:
    start: datetime
    due_at: datetime
    policy: Policy
    #: Which strategy chose the policy: a strategy name, a statute's name, or "explicit".
    strategy: str
    calendar: str
    calendar_version: str
    timezone: str
    territory_code: str
    #: Whether the calendar has decree data for every year the term spans.
    covered: bool
    #: The due moment of the subject's second term from the same start, when its rules
    #: have one (59-ФЗ: the redirect of an appeal outside the body's competence).
    secondary_due_at: datetime | None


def parse_start(text: str, tz: ZoneInfo) -> datetime:
    """The start moment, read as described in the module docstring, within
    :data:`YEARS` (a term counted from further off has no calendar and overflows)."""
    value = text.strip()
    try:
        if "T" not in value:
            moment = datetime.combine(date.fromisoformat(value), time(0), tzinfo=tz)
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise DomainError.of("start", _("«{text}» is not a date YYYY-MM-DD or YYYY-MM-DDTHH:MM",
                                              text=text),
                             ErrorCode.INVALID) from None
    if moment.year not in YEARS:
        raise _out_of_range(text)
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def _out_of_range(text: str) -> DomainError:
    return DomainError.of("start", _("«{text}»: a term starts in the years {first}–{last}",
                            text=text, first=YEARS.start, last=YEARS.stop - 1), ErrorCode.INVALID)


async def preview(deadlines: Deadlines, *, subject_type: str, territory_code: str,
                  start: str | None = None, category_code: str | None = None,
                  policy: str | None = None, statute: DeadlineRules | None = None,
                  secondary: Policy | None = None) -> Preview:
    """The deadline a subject registered at ``start`` would get: by ``policy`` when
    given, else by ``statute`` (a term fixed by law, which the subject's component
    knows), else as a subject of the category would by the region policy's strategy.
    ``secondary`` is a second term counted from the same start."""
    errors: list[FieldError] = []
    territory = await Territory.get_or_none(code=territory_code)
    if territory is None:
        errors.append(FieldError("territoryCode", _("Territory not found"),
                                 ErrorCode.NOT_FOUND))
    category = await Category.get_or_none(code=category_code) if category_code else None
    if category_code and category is None:
        errors.append(FieldError("categoryCode", _("Category not found"), ErrorCode.NOT_FOUND))
    explicit = None
    if policy:
        try:
            explicit = parse_policy(policy)
        except ValueError as error:
            errors.append(FieldError("policy", str(error), ErrorCode.INVALID))
    elif category is None and statute is None:
        errors.append(FieldError("categoryCode", _("Choose a category or a deadline policy"),
                                 ErrorCode.REQUIRED))
    if errors:
        raise DomainError(*errors)
    assert territory is not None
    tz = ZoneInfo(territory.timezone)
    moment = parse_start(start, tz) if start else datetime.now(UTC).astimezone(tz)
    if explicit is not None:
        chosen, strategy = explicit, "explicit"
    else:
        rules = statute or await deadlines.rules(
            await deadlines.request(subject_type, territory.code, category))
        chosen, strategy = rules.policy, rules.strategy
    calendar = await deadlines.calendars.for_path(territory.path)
    try:
        due = due_at(chosen, moment, calendar, tz)
        also = due_at(secondary, moment, calendar, tz) if secondary is not None else None
    except (OverflowError, ValueError):
        # A long term from the edge of the range still runs past the last date.
        raise _out_of_range(start or moment.isoformat()) from None
    return Preview(start=moment, due_at=due, policy=chosen, strategy=strategy,
                   calendar=calendar.name, calendar_version=calendar.version,
                   timezone=territory.timezone, territory_code=territory.code,
                   covered=calendar.covers(moment.date()) and calendar.covers(due.date()),
                   secondary_due_at=also)

