"""Production calendars: the shipped federal and Tatarstan data against the decrees,
layering, the fast index against a day-by-day walk, and import/export."""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib.resources import files
from typing import Any

import pytest

from vmeste.platform.deadlines.calendar import ProductionCalendar, load_calendar


@pytest.fixture(scope="module")
def federal() -> ProductionCalendar:
    return load_calendar("ru_federal")


@pytest.fixture(scope="module")
def tatarstan() -> ProductionCalendar:
    return load_calendar("ru_92_tatarstan")


def D(text: str) -> date:
    return date.fromisoformat(text)


def holidays_of(calendar: ProductionCalendar, year: int) -> frozenset[date]:
    return next(y.holidays for y in calendar.years if y.year == year)


def document(**years: dict[str, list[str]]) -> dict[str, Any]:
    return {"name": "test", "version": "1", "territory": "RU", "base": None,
            "years": {key.removeprefix("y"): value for key, value in years.items()}}


# The federal calendar, fact by fact from the Government decrees on transfers.

@pytest.mark.parametrize("saturday", ["2024-04-27", "2024-11-02", "2024-12-28", "2025-11-01",
                                      "2027-02-20"])
def test_transferred_saturdays_are_working_days(federal: ProductionCalendar,
                                                saturday: str) -> None:
    assert D(saturday).weekday() == 5
    assert federal.is_working_day(D(saturday))


@pytest.mark.parametrize("weekday", [
    "2024-04-29", "2024-04-30", "2024-05-10", "2024-12-30", "2024-12-31",
    "2025-05-02", "2025-05-08", "2025-06-13", "2025-11-03", "2025-12-31",
    "2026-01-09", "2026-12-31",
    "2027-02-22", "2027-11-05", "2027-12-31",
])
def test_transferred_days_off(federal: ProductionCalendar, weekday: str) -> None:
    assert D(weekday).weekday() < 5
    assert not federal.is_working_day(D(weekday))


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_public_holidays_of_labour_code_art_112(federal: ProductionCalendar, year: int) -> None:
    new_year = [date(year, 1, day) for day in range(1, 9)]
    for day in [*new_year, date(year, 2, 23), date(year, 3, 8), date(year, 5, 1),
                date(year, 5, 9), date(year, 6, 12), date(year, 11, 4)]:
        assert not federal.is_working_day(day), day
        assert day in holidays_of(federal, year), day  # a holiday even on a Sunday


@pytest.mark.parametrize("holiday_on_weekend, day_off", [
    ("2026-03-08", "2026-03-09"), ("2026-05-09", "2026-05-11"),
    ("2027-05-01", "2027-05-03"), ("2027-05-09", "2027-05-10"), ("2027-06-12", "2027-06-14"),
])
def test_a_holiday_on_a_weekend_moves_to_the_next_weekday(
        federal: ProductionCalendar, holiday_on_weekend: str, day_off: str) -> None:
    assert D(holiday_on_weekend).weekday() >= 5
    assert not federal.is_working_day(D(day_off))


def test_2025_holidays_on_weekends_were_moved_by_decree_not_to_the_next_monday(
        federal: ProductionCalendar) -> None:
    # 23 February and 8 March 2025 fell on a Sunday and a Saturday; the decree moved
    # their days off to 8 May and 13 June, so the Mondays after them were worked.
    assert federal.is_working_day(D("2025-02-24"))
    assert federal.is_working_day(D("2025-03-10"))


def test_ordinary_days(federal: ProductionCalendar) -> None:
    assert federal.is_working_day(D("2025-03-12"))  # a Wednesday
    assert not federal.is_working_day(D("2025-03-15"))  # a Saturday
    assert federal.is_working_day(D("2026-01-12"))  # the first working day of 2026


@pytest.mark.parametrize("year, working_days", [(2024, 248), (2025, 247), (2026, 247),
                                                (2027, 247)])
def test_working_days_per_year_match_the_official_totals(
        federal: ProductionCalendar, year: int, working_days: int) -> None:
    assert federal.working_days_between(date(year - 1, 12, 31), date(year, 12, 31)) \
        == working_days


def _short_days(calendar: ProductionCalendar, year: int) -> set[date]:
    return {date(year, 1, 1) + timedelta(days=i) for i in range(366)
            if calendar.is_short_day(date(year, 1, 1) + timedelta(days=i))}


@pytest.mark.parametrize("calendar_name", ["ru_federal", "ru_92_tatarstan"])
@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_the_working_day_just_before_a_holiday_is_short(calendar_name: str, year: int) -> None:
    calendar = load_calendar(calendar_name)
    expected = {h - timedelta(days=1) for h in holidays_of(calendar, year)
                if h.year == (h - timedelta(days=1)).year
                and calendar.is_working_day(h - timedelta(days=1))}
    # Working Saturdays before a block of holidays were shortened by the official
    # calendars too, although a Sunday separates them from the holiday.
    extra = {D("2024-11-02"), D("2027-02-20")}
    assert _short_days(calendar, year) - extra == expected


@pytest.mark.parametrize("year, hours", [(2024, 1979), (2025, 1973), (2026, 1972),
                                         (2027, 1972)])
def test_hours_of_a_40_hour_week_match_the_official_norm(
        federal: ProductionCalendar, year: int, hours: int) -> None:
    days = federal.working_days_between(date(year - 1, 12, 31), date(year, 12, 31))
    assert days * 8 - len(_short_days(federal, year)) == hours


def test_a_working_saturday_is_not_short_unless_listed(federal: ProductionCalendar) -> None:
    assert not federal.is_short_day(D("2025-11-01"))
    assert not federal.is_short_day(D("2024-12-28"))
    assert federal.is_short_day(D("2024-11-02"))


# Tatarstan: the republic's holidays on top of the federal calendar.

@pytest.mark.parametrize("holiday", [
    "2024-04-10", "2024-08-30", "2024-11-06",  # Uraza Bayram, Republic Day, Constitution Day
    "2025-06-06", "2025-11-06",  # Kurban Bayram, Constitution Day
    "2026-03-20", "2026-05-27", "2026-11-06",
    "2027-03-09", "2027-08-30",
])
def test_tatarstan_holidays(federal: ProductionCalendar, tatarstan: ProductionCalendar,
                            holiday: str) -> None:
    assert federal.is_working_day(D(holiday))
    assert not tatarstan.is_working_day(D(holiday))


@pytest.mark.parametrize("holiday, monday", [
    ("2024-06-16", "2024-06-17"), ("2025-03-30", "2025-03-31"), ("2025-08-30", "2025-09-01"),
    ("2026-08-30", "2026-08-31"), ("2027-05-16", "2027-05-17"), ("2027-11-06", "2027-11-08"),
])
def test_tatarstan_does_not_move_a_holiday_that_falls_on_a_weekend(
        tatarstan: ProductionCalendar, holiday: str, monday: str) -> None:
    assert D(holiday).weekday() >= 5
    assert D(holiday) in holidays_of(tatarstan, D(holiday).year)
    assert tatarstan.is_working_day(D(monday))


def test_tatarstan_keeps_the_federal_transfers(tatarstan: ProductionCalendar) -> None:
    assert tatarstan.is_working_day(D("2025-11-01"))
    assert not tatarstan.is_working_day(D("2025-05-02"))
    assert not tatarstan.is_working_day(D("2026-01-09"))
    assert tatarstan.is_short_day(D("2026-03-19"))  # the day before Uraza Bayram
    assert tatarstan.is_short_day(D("2025-03-07"))  # federal short days stay


@pytest.mark.parametrize("year, working_days", [(2024, 245), (2025, 245), (2026, 244),
                                                (2027, 245)])
def test_tatarstan_working_days_per_year(tatarstan: ProductionCalendar, year: int,
                                         working_days: int) -> None:
    assert tatarstan.working_days_between(date(year - 1, 12, 31), date(year, 12, 31)) \
        == working_days


def test_tatarstan_calendar_names_both_layers(tatarstan: ProductionCalendar,
                                              federal: ProductionCalendar) -> None:
    assert tatarstan.territory == "92000000"
    assert tatarstan.base == "ru_federal"
    assert tatarstan.version.endswith(f"+ru_federal@{federal.version}")


# Layering rules, on small made-up calendars.

def test_a_region_can_add_days_off_and_work_a_federal_day_off() -> None:
    base = ProductionCalendar.from_dict(document(y2025={
        "holidays": ["2025-06-12"], "days_off": ["2025-06-13"],
        "working_days": ["2025-06-14"], "short_days": ["2025-06-11"]}))
    regional = ProductionCalendar.from_dict({
        **document(y2025={"holidays": ["2025-06-11", "2025-06-14"],
                          "working_days": ["2025-06-15"]}),
        "name": "region", "base": "test", "territory": "01000000"})
    layered = ProductionCalendar.layer(base, regional)
    assert not layered.is_working_day(D("2025-06-11"))  # regional holiday
    assert not layered.is_short_day(D("2025-06-11"))  # no longer a working day at all
    assert not layered.is_working_day(D("2025-06-13"))  # federal day off kept
    assert not layered.is_working_day(D("2025-06-14"))  # region cancels a working Saturday
    assert layered.is_working_day(D("2025-06-15"))  # region works a Sunday
    assert layered.base == "test" and layered.name == "region"


def test_layering_covers_only_the_years_both_layers_cover() -> None:
    base = ProductionCalendar.from_dict(document(y2025={}, y2026={}))
    regional = ProductionCalendar.from_dict({**document(y2026={}, y2027={}), "name": "region",
                                             "base": "test"})
    layered = ProductionCalendar.layer(base, regional)
    assert [layered.covers(date(y, 6, 1)) for y in (2025, 2026, 2027)] == [False, True, False]


def test_layering_refuses_the_wrong_base() -> None:
    base = ProductionCalendar.from_dict(document(y2025={}))
    regional = ProductionCalendar.from_dict({**document(y2025={}), "name": "region",
                                             "base": "other"})
    with pytest.raises(ValueError, match="other"):
        ProductionCalendar.layer(base, regional)


# Day arithmetic.

def test_add_working_days_across_the_may_holidays(federal: ProductionCalendar) -> None:
    # 1–4 and 8–11 May 2025 were days off.
    start = D("2025-04-30")
    assert federal.add_working_days(start, 1) == D("2025-05-05")
    assert federal.add_working_days(start, 3) == D("2025-05-07")
    assert federal.add_working_days(start, 4) == D("2025-05-12")


def test_add_working_days_across_new_year(federal: ProductionCalendar) -> None:
    # 31 December 2025 to 11 January 2026 were days off.
    assert federal.add_working_days(D("2025-12-30"), 1) == D("2026-01-12")
    assert federal.add_working_days(D("2024-12-27"), 1) == D("2024-12-28")  # working Saturday
    assert federal.add_working_days(D("2024-12-28"), 1) == D("2025-01-09")


def test_add_working_days_counts_from_the_day_after(federal: ProductionCalendar) -> None:
    monday = D("2025-03-10")
    assert federal.add_working_days(monday, 1) == D("2025-03-11")
    assert federal.add_working_days(monday, 0) == monday
    with pytest.raises(ValueError):
        federal.add_working_days(monday, -1)


def test_next_working_day(federal: ProductionCalendar) -> None:
    assert federal.next_working_day(D("2025-03-12")) == D("2025-03-12")
    assert federal.next_working_day(D("2025-05-08")) == D("2025-05-12")


def _walk(calendar: ProductionCalendar, start: date, n: int) -> date:
    day = start
    while n:
        day += timedelta(days=1)
        n -= calendar.is_working_day(day)
    return day


def test_the_index_agrees_with_a_day_by_day_walk(tatarstan: ProductionCalendar) -> None:
    # From late 2023 (not covered) to past 2027 (not covered), so that every branch of
    # the index, inside it and on both sides, meets the plain walk.
    start = D("2023-11-01")
    for offset in range(0, 4 * 366 + 120, 3):
        day = start + timedelta(days=offset)
        for n in (1, 2, 7, 30, 61):
            due = tatarstan.add_working_days(day, n)
            assert due == _walk(tatarstan, day, n), (day, n)
            assert tatarstan.working_days_between(day, due) == n
            assert tatarstan.working_days_between(due, day) == -n


def test_outside_the_covered_years_falls_back_to_the_week_and_fixed_holidays(
        federal: ProductionCalendar, tatarstan: ProductionCalendar) -> None:
    assert not federal.covers(D("2023-12-29")) and federal.covers(D("2024-01-01"))
    assert federal.covers(D("2027-12-31")) and not federal.covers(D("2028-01-01"))
    assert not federal.is_working_day(D("2028-01-03"))  # a Monday, but 3 January
    assert federal.is_working_day(D("2028-01-10"))
    assert not tatarstan.is_working_day(D("2028-08-30"))  # a Wednesday, Republic Day
    assert federal.add_working_days(D("2027-12-30"), 1) == D("2028-01-10")
    assert federal.add_working_days(D("2023-12-29"), 1) == D("2024-01-09")


# Import and export.

def test_round_trip(tatarstan: ProductionCalendar) -> None:
    assert ProductionCalendar.from_dict(tatarstan.to_dict()) == tatarstan
    assert json.loads(json.dumps(tatarstan.to_dict())) == tatarstan.to_dict()


def test_packaged_files_are_what_load_calendar_reads() -> None:
    data = files("vmeste.platform.deadlines").joinpath("data")
    for name in ("ru_federal", "ru_92_tatarstan"):
        raw = json.loads(data.joinpath(f"{name}.json").read_text(encoding="utf-8"))
        assert raw["name"] == name
        assert sorted(raw["years"]) == ["2024", "2025", "2026", "2027"]
        assert any("2027" in note for note in raw["notes"])
        assert ProductionCalendar.from_dict(raw).to_dict() == {
            **raw, "years": {y: {k: raw["years"][y].get(k, []) for k in
                                 ("holidays", "days_off", "working_days", "short_days")}
                             for y in raw["years"]}}


@pytest.mark.parametrize("change, message", [
    ({"colour": "red"}, "colour"),
    ({"version": ""}, "version"),
    ({"name": "../etc"}, "Имя"),
    ({"years": {"2025": {"holiday": ["2025-01-01"]}}}, "holiday"),
    ({"years": {"2025": {"holidays": ["2024-01-01"]}}}, "другого года"),
    ({"years": {"2025": {"holidays": ["01.01.2025"]}}}, "ГГГГ-ММ-ДД"),
    ({"years": {"2025": {"holidays": ["2025-01-01", "2025-01-01"]}}}, "дважды"),
    ({"years": {"2025": {"working_days": ["2025-11-03"]}}}, "будний"),
    ({"years": {"2025": {"days_off": ["2025-11-01"]}}}, "субботу"),
    ({"years": {"2025": {"days_off": ["2025-11-03"], "working_days": ["2025-11-01"],
                         "holidays": ["2025-11-01"]}}}, "одновременно"),
    ({"years": {"2025": {"short_days": ["2025-11-02"]}}}, "сокращённый"),
    ({"years": {"25": {}}}, "четыре цифры"),
    ({"fixed_holidays": ["02-30"]}, "ММ-ДД"),
])
def test_from_dict_refuses_malformed_data(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProductionCalendar.from_dict({**document(y2025={}), **change})


@pytest.mark.parametrize("name", ["nowhere", "../data/ru_federal", "RU_FEDERAL"])
def test_unknown_calendars(name: str) -> None:
    with pytest.raises(ValueError, match="Нет календаря"):
        load_calendar(name)
