"""Production calendars: which days count as working days in a territory.

Russian working days do not follow the week. Public holidays (Labour Code art. 112)
are days off, the Government moves days off by a yearly decree (a Saturday can become
a working day and a Tuesday a day off), the working day before a public holiday is an
hour shorter (art. 95), and regions add their own holidays. None of that can be
computed, so a calendar is data, shipped with the package and versioned: when a
decree changes a calendar, its ``version`` changes and open deadlines are recomputed.

A calendar is a JSON document::

    {
      "name": "ru_federal",             # file name in data/ and the key for load_calendar
      "version": "2026-11-28",          # changes whenever the data changes
      "territory": "RU",                # "RU", or the ОКТМО code of a region ("92000000")
      "base": null,                     # or the name of the calendar this one layers on
      "notes": ["...", ...],            # sources and doubts, for people (optional)
      "fixed_holidays": ["01-01", ...], # MM-DD, used only for years absent below (optional)
      "years": {
        "2025": {
          "holidays": ["2025-01-01", ...],     # public holidays, whatever the weekday
          "days_off": ["2025-05-02", ...],     # weekdays off by transfer
          "working_days": ["2025-11-01", ...], # weekend days worked by transfer
          "short_days": ["2025-03-07", ...]    # pre-holiday working days, an hour shorter
        }
      }
    }

Every list under a year is optional, so a regional layer lists only what it adds. A
day is a working day when it is listed in ``working_days``, or else when it is a Monday
to Friday that is neither a holiday nor a day off. Years absent from ``years`` fall back
to Monday to Friday minus ``fixed_holidays``: transfers cannot be predicted, so
:meth:`ProductionCalendar.covers` says False there and callers warn.

A regional calendar (``base`` set) holds only the region's additions; :func:`load_calendar`
layers it on its base, and a layered calendar covers only the years both layers cover.

Deadlines are computed by the hundred thousand, so every covered day is classified
once, up front, and the working days are kept as a sorted list of ordinals: adding N
working days is one bisection.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any

from vmeste.platform.i18n import _

_YEAR_KEYS = ("holidays", "days_off", "working_days", "short_days")
_DOCUMENT_KEYS = {"name", "version", "territory", "base", "notes", "fixed_holidays", "years"}
_NAME = re.compile(r"[a-z0-9_]+")
_MONTH_DAY = re.compile(r"(\d\d)-(\d\d)")
#: A leap year, so that a fixed holiday on 29 February can be validated.
_LEAP_YEAR = 2024
_PACKAGE = "vmeste.platform.deadlines"


def _weekend(day: date) -> bool:
    return day.weekday() >= 5


@dataclass(frozen=True)
class CalendarYear:
    """One year of a calendar, as the decree for that year has it."""

    year: int
    holidays: frozenset[date] = frozenset()
    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    short_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        for key in _YEAR_KEYS:
            strays = sorted(d for d in getattr(self, key) if d.year != self.year)
            if strays:
                raise ValueError(_("{year}: the list {key} holds dates of another year: {dates}",
                                   year=self.year, key=key,
                                   dates=", ".join(d.isoformat() for d in strays)))
        self._refuse("working_days", self.working_days & (self.holidays | self.days_off),
                     _("days both working and non-working"))
        self._refuse("days_off", {d for d in self.days_off if _weekend(d)},
                     _("a moved day off falls on a Saturday or Sunday"))
        self._refuse("working_days", {d for d in self.working_days if not _weekend(d)},
                     _("a moved working day falls on a weekday"))
        self._refuse("short_days", {d for d in self.short_days if not self.is_working_day(d)},
                     _("a shortened day is not a working day"))

    def _refuse(self, key: str, days: Collection[date], problem: str) -> None:
        if days:
            listed = ", ".join(d.isoformat() for d in sorted(days))
            raise ValueError(f"{self.year}, {key}: {problem}: {listed}")

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return not _weekend(day) and day not in self.holidays and day not in self.days_off

    def layered_with(self, regional: CalendarYear) -> CalendarYear:
        """This year with a region's additions; the region wins where they disagree."""
        off = regional.holidays | regional.days_off
        working = (self.working_days - off) | regional.working_days
        merged = CalendarYear(
            year=self.year,
            holidays=(self.holidays | regional.holidays) - working,
            days_off=(self.days_off | regional.days_off) - working,
            working_days=working,
        )
        short = {d for d in self.short_days | regional.short_days if merged.is_working_day(d)}
        return replace(merged, short_days=frozenset(short))


@dataclass(frozen=True)
class ProductionCalendar:
    """A territory's working days, with an index that makes day arithmetic O(log n)."""

    name: str
    version: str
    territory: str
    base: str | None
    years: tuple[CalendarYear, ...]
    fixed_holidays: tuple[tuple[int, int], ...] = ()
    notes: tuple[str, ...] = ()

    # Index over the span from 1 January of the first year to 31 December of the last:
    # one flag per day, and the ordinals of the working days in order.
    _first: int = field(init=False, repr=False, compare=False)
    _last: int = field(init=False, repr=False, compare=False)
    _flags: bytes = field(init=False, repr=False, compare=False)
    _working: list[int] = field(init=False, repr=False, compare=False)
    _short: frozenset[int] = field(init=False, repr=False, compare=False)
    _covered: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        numbers = [y.year for y in self.years]
        if len(set(numbers)) != len(numbers):
            raise ValueError(_("{name}: a year is given twice", name=self.name))
        for month, day in self.fixed_holidays:
            date(_LEAP_YEAR, month, day)  # raises on 31 April and the like
        by_year = {y.year: y for y in self.years}
        if by_year:
            first = date(min(by_year), 1, 1).toordinal()
            last = date(max(by_year), 12, 31).toordinal()
        else:
            first, last = 1, 0
        flags = bytearray(max(last - first + 1, 0))
        short: set[int] = set()
        for ordinal in range(first, last + 1):
            day = date.fromordinal(ordinal)
            year = by_year.get(day.year)
            if year is None:
                flags[ordinal - first] = self._fallback_working(day)
            else:
                flags[ordinal - first] = year.is_working_day(day)
                if day in year.short_days:
                    short.add(ordinal)
        set_ = object.__setattr__
        set_(self, "_first", first)
        set_(self, "_last", last)
        set_(self, "_flags", bytes(flags))
        set_(self, "_working", [first + i for i, flag in enumerate(flags) if flag])
        set_(self, "_short", frozenset(short))
        set_(self, "_covered", frozenset(by_year))

    def _fallback_working(self, day: date) -> bool:
        return not _weekend(day) and (day.month, day.day) not in self.fixed_holidays

    def covers(self, day: date) -> bool:
        """Whether the day's year comes from a decree rather than the fallback rule."""
        return day.year in self._covered

    def is_working_day(self, day: date) -> bool:
        ordinal = day.toordinal()
        if self._first <= ordinal <= self._last:
            return bool(self._flags[ordinal - self._first])
        return self._fallback_working(day)

    def is_short_day(self, day: date) -> bool:
        """A pre-holiday working day, one hour shorter (Labour Code art. 95)."""
        return day.toordinal() in self._short

    def next_working_day(self, day: date) -> date:
        """The day itself when it is a working day, else the first working day after it:
        how a term ending on a day off is carried over (Civil Code art. 193)."""
        return day if self.is_working_day(day) else self.add_working_days(day, 1)

    def add_working_days(self, start: date, n: int) -> date:
        """The Nth working day after ``start``; ``start`` itself never counts, because
        terms run from the day after the event (and ``n == 0`` gives ``start``)."""
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        ordinal = start.toordinal()
        while n and ordinal + 1 < self._first:
            ordinal += 1
            n -= self._fallback_working(date.fromordinal(ordinal))
        if n and ordinal < self._last:
            working = self._working
            done = bisect_right(working, ordinal)
            if done + n <= len(working):
                return date.fromordinal(working[done + n - 1])
            n -= len(working) - done
            ordinal = self._last
        while n:
            ordinal += 1
            n -= self._fallback_working(date.fromordinal(ordinal))
        return date.fromordinal(ordinal)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b`` (negative when ``b < a``),
        so that ``add_working_days(a, working_days_between(a, b)) == b`` for a working
        day ``b``."""
        if b < a:
            return -self.working_days_between(b, a)
        low, high = a.toordinal(), b.toordinal()
        inner_low, inner_high = max(low, self._first - 1), min(high, self._last)
        count = 0
        if inner_low < inner_high:
            count = (bisect_right(self._working, inner_high)
                     - bisect_right(self._working, inner_low))
        outside = [*range(low + 1, min(high, self._first - 1) + 1),
                   *range(max(low, self._last) + 1, high + 1)]
        return count + sum(self._fallback_working(date.fromordinal(o)) for o in outside)

    @classmethod
    def layer(cls, base: ProductionCalendar, regional: ProductionCalendar
              ) -> ProductionCalendar:
        """The region's calendar as it applies: the base with the region's additions.

        The version names both layers, so a new federal decree changes every regional
        calendar's version too and their open deadlines are recomputed. ``to_dict`` of
        the result is the flattened calendar; layering it on the base again changes
        nothing.
        """
        if regional.base not in (None, base.name):
            raise ValueError(_("{name} is built on {base}, not on {other}", name=regional.name,
                               base=regional.base, other=base.name))
        base_years = {y.year: y for y in base.years}
        years = tuple(base_years[y.year].layered_with(y) for y in regional.years
                      if y.year in base_years)
        return cls(
            name=regional.name,
            version=f"{regional.version}+{base.name}@{base.version}",
            territory=regional.territory,
            base=base.name,
            years=tuple(sorted(years, key=lambda y: y.year)),
            fixed_holidays=tuple(sorted(set(base.fixed_holidays) | set(regional.fixed_holidays))),
            notes=regional.notes + base.notes,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProductionCalendar:
        """A calendar from its JSON form, refused with a message in the current locale
        when malformed (administrators import calendars and read the message)."""
        unknown = set(data) - _DOCUMENT_KEYS
        if unknown:
            raise ValueError(_("Unknown calendar fields: {fields}",
                               fields=", ".join(sorted(unknown))))
        for key in ("name", "version", "territory"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise ValueError(_("The calendar field {key} must be a non-empty string", key=key))
        if not _NAME.fullmatch(data["name"]):
            raise ValueError(_("A calendar name is lowercase Latin letters, digits and «_»"))
        base = data.get("base")
        if base is not None and not (isinstance(base, str) and _NAME.fullmatch(base)):
            raise ValueError(_("The field base is the name of another calendar or null"))
        years = data.get("years")
        if not isinstance(years, Mapping):
            raise ValueError(_("The field years must be an object «year: days»"))
        return cls(
            name=data["name"],
            version=data["version"],
            territory=data["territory"],
            base=base,
            years=tuple(sorted((_year_from_dict(k, v) for k, v in years.items()),
                               key=lambda y: y.year)),
            fixed_holidays=tuple(sorted(_month_day(s) for s in _strings(data, "fixed_holidays"))),
            notes=tuple(_strings(data, "notes")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; ``from_dict(to_dict())`` gives an equal calendar."""
        return {
            "name": self.name,
            "version": self.version,
            "territory": self.territory,
            "base": self.base,
            "notes": list(self.notes),
            "fixed_holidays": [f"{m:02d}-{d:02d}" for m, d in self.fixed_holidays],
            "years": {
                str(y.year): {key: sorted(d.isoformat() for d in getattr(y, key))
                              for key in _YEAR_KEYS}
                for y in self.years
            },
        }


def _strings(data: Mapping[str, Any], key: str) -> list[str]:
    values = data.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(_("The field {key} must be a list of strings", key=key))
    return values


def _month_day(text: str) -> tuple[int, int]:
    match = _MONTH_DAY.fullmatch(text)
    try:
        if match is None:
            raise ValueError
        day = date(_LEAP_YEAR, int(match[1]), int(match[2]))
    except ValueError:
        raise ValueError(_("fixed_holidays: «{text}» is not a date as MM-DD", text=text)) from None
    return day.month, day.day


def _year_from_dict(key: str, data: Any) -> CalendarYear:
    if not (isinstance(key, str) and key.isascii() and key.isdigit() and len(key) == 4):
        raise ValueError(_("A year «{key}» is four digits", key=key))
    if not isinstance(data, Mapping):
        raise ValueError(_("{key}: an object with lists of dates is expected", key=key))
    unknown = set(data) - set(_YEAR_KEYS)
    if unknown:
        raise ValueError(_("{key}: unknown fields {fields}; allowed: {allowed}", key=key,
                           fields=", ".join(sorted(unknown)), allowed=", ".join(_YEAR_KEYS)))
    lists: dict[str, frozenset[date]] = {}
    for name in _YEAR_KEYS:
        texts = _strings(data, name)
        try:
            lists[name] = frozenset(date.fromisoformat(t) for t in texts)
        except ValueError:
            raise ValueError(_("{key}, {name}: dates are written as YYYY-MM-DD", key=key,
                               name=name)) from None
        if len(lists[name]) != len(texts):
            raise ValueError(_("{key}, {name}: a date is given twice", key=key, name=name))
    return CalendarYear(int(key), **lists)


@cache
def load_calendar(name: str) -> ProductionCalendar:
    """A calendar shipped with the package, layered on its base when it has one.

    Cached: calendars are immutable, and the deadline watchdog asks for the same few
    over and over.
    """
    if not _NAME.fullmatch(name):
        raise ValueError(_("No calendar «{name}»", name=name))
    resource = files(_PACKAGE).joinpath("data", f"{name}.json")
    if not resource.is_file():
        raise ValueError(_("No calendar «{name}»", name=name))
    calendar = ProductionCalendar.from_dict(json.loads(resource.read_text(encoding="utf-8")))
    if calendar.name != name:
        raise ValueError(_("The calendar file {name}.json calls itself «{other}»", name=name,
                           other=calendar.name))
    if calendar.base is None:
        return calendar
    return ProductionCalendar.layer(load_calendar(calendar.base), calendar)
