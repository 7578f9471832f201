"""Stage dates on the production calendar: calendar days, working days across the
2025/2026 New Year and the May 2026 holidays, months, the organiser's lengths within
each stage's rule, and the procedure's term."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from tests.worlds import seed_world
from vmeste.platform.deadlines.calendar import load_calendar
from vmeste.platform.errors import DomainError
from vmeste.platform.hearings import schedule
from vmeste.platform.hearings.models import ProcedureTemplate, Stage
from vmeste.platform.hearings.templates import choose

FEDERAL = load_calendar("ru_federal")


async def _template(code: str) -> ProcedureTemplate:
    await seed_world()
    territory_path = "RU/33000000/33701000"
    return await choose(territory_path, code=code)


def _dates(periods: list[schedule.Period]) -> dict[str, tuple[str, str]]:
    return {p.stage.value: (p.starts_on.isoformat(), p.ends_on.isoformat()) for p in periods}


async def test_a_working_day_protocol_crosses_the_may_holidays(db) -> None:
    template = await _template("planning_project_discussion")
    periods = schedule.compute(template, date(2026, 4, 24), FEDERAL, {"protocol": 3})
    assert _dates(periods) == {
        "notice": ("2026-04-24", "2026-04-30"),
        "exposition": ("2026-05-01", "2026-05-07"),
        # 8 May is a short working day; 9-10 May a weekend, 11 May the day off for 9 May.
        "protocol": ("2026-05-08", "2026-05-13"),
        "conclusion": ("2026-05-14", "2026-05-14"),
        "publication": ("2026-05-15", "2026-05-15"),
    }


async def test_working_days_skip_the_new_year_holidays_and_the_9_january_transfer(db) -> None:
    template = await _template("municipal_act_hearing")
    periods = schedule.compute(template, date(2025, 12, 22), FEDERAL, {"protocol": 2})
    dates = _dates(periods)
    assert dates["meeting"] == ("2026-01-05", "2026-01-05")
    # 1-8 January are holidays, 9 January a day off moved from 3 January, 10-11 a weekend.
    assert dates["protocol"] == ("2026-01-06", "2026-01-13")
    assert dates["conclusion"] == ("2026-01-14", "2026-01-14")


async def test_the_exposition_grows_to_the_master_plans_month(db) -> None:
    template = await _template("master_plan_discussion")
    periods = schedule.compute(template, date(2026, 3, 2), FEDERAL)
    by_stage = {p.stage: p for p in periods}
    assert by_stage[Stage.NOTICE].length == 7
    assert by_stage[Stage.EXPOSITION].length > 14
    # A month from 2 March is the end of 1 April; the procedure may not end before it.
    assert date(2026, 4, 1) <= periods[-1].ends_on <= date(2026, 4, 4)
    shorter = schedule.compute(template, date(2026, 3, 2), FEDERAL,
                               {"exposition": by_stage[Stage.EXPOSITION].length})
    assert shorter == periods


async def test_stages_follow_each_other_without_gaps(db) -> None:
    template = await _template("land_use_rules_hearing")
    periods = schedule.compute(template, date(2026, 6, 1), FEDERAL)
    for before, after in pairwise(periods):
        assert (after.starts_on - before.ends_on).days == 1
    assert [p.stage for p in periods] == list(Stage)


@pytest.mark.parametrize(("chosen", "field"), [
    ({"exposition": 15}, "stageDays.exposition"),
    ({"exposition": 6}, "stageDays.exposition"),
    ({"meeting": 1}, "stageDays.meeting"),
    ({"notice": 14, "exposition": 14}, "stageDays"),
])
async def test_lengths_outside_the_rules_or_the_term_are_refused(db, chosen, field) -> None:
    template = await _template("planning_project_discussion")
    with pytest.raises(DomainError) as refused:
        schedule.compute(template, date(2026, 4, 6), FEDERAL, chosen)
    assert [(e.field, e.code.value) for e in refused.value.errors] == [(field, "INVALID")]


def test_a_month_ends_on_the_day_before_the_same_date() -> None:
    assert schedule.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert schedule.last_day(FEDERAL, date(2026, 3, 2), 3, schedule.DayUnit.MONTHS) == date(
        2026, 6, 1)
