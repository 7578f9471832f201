"""The public view of appeal statistics against differencing: two answers a day, a
subtopic or a settlement apart would each pass suppression and subtract to one appeal,
so the public view takes only whole weeks or months, regions or municipalities and
top-level categories; and a point's median is read over that point's appeals only."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.appeal_world import SETTLEMENT_A, seed_appeal_world
from tests.test_appeal_statistics import MONDAY, _walk, author_world
from tests.worlds import MUNICIPALITY_A, REGION_A
from vmeste.platform.appeals import statistics as stats
from vmeste.platform.appeals.models import Appeal
from vmeste.platform.errors import DomainError
from vmeste.platform.identity.principal import ANONYMOUS, SYSTEM
from vmeste.testing import Clock

MONTH_START, MONTH_END = date(2026, 11, 1), date(2026, 11, 30)
WEEK_START, WEEK_END = date(2026, 11, 2), date(2026, 11, 8)


async def _public(scope: stats.Scope, period: stats.Period | None = None) -> stats.Statistics:
    return await stats.statistics(ANONYMOUS, scope, period=period, now=MONDAY,
                                  min_group_size=2)


@pytest.mark.parametrize(("scope", "period", "field"), [
    (stats.Scope(since=MONTH_START, until=date(2026, 11, 17)), None, "to"),
    (stats.Scope(since=date(2026, 11, 3), until=MONTH_END), None, "from"),
    (stats.Scope(since=WEEK_START, until=date(2026, 11, 9)), stats.Period.WEEK, "to"),
    (stats.Scope(since=WEEK_START, until=WEEK_START), stats.Period.DAY, "period"),
    (stats.Scope(territory_code=SETTLEMENT_A), None, "territoryCode"),
    (stats.Scope(category_code="roads.pits"), None, "categoryCode"),
])
async def test_the_public_view_takes_only_scopes_of_the_fixed_grid(
        world: Any, scope: stats.Scope, period: stats.Period | None, field: str) -> None:
    await seed_appeal_world()
    with pytest.raises(DomainError) as refused:
        await _public(scope, period)
    assert refused.value.errors[0].field == field


async def test_whole_periods_and_fixed_levels_are_answered_and_staff_keep_days(
        world: Any) -> None:
    await seed_appeal_world()
    for scope, period in ((stats.Scope(since=MONTH_START, until=MONTH_END), None),
                          (stats.Scope(since=WEEK_START, until=WEEK_END), stats.Period.WEEK),
                          (stats.Scope(territory_code=REGION_A), None),
                          (stats.Scope(territory_code=MUNICIPALITY_A), None),
                          (stats.Scope(category_code="roads"), stats.Period.MONTH)):
        assert (await _public(scope, period)).published is True
    staff = await stats.statistics(SYSTEM, stats.Scope(since=WEEK_START, until=WEEK_START),
                                   period=stats.Period.DAY, now=MONDAY, min_group_size=2)
    assert staff.published is False


async def test_the_median_of_appeals_of_no_known_day_is_theirs(
        world: Any, vmeste_app: Any, clock: Clock) -> None:
    services, citizen = await author_world(vmeste_app)
    clock.set(MONDAY)
    _quick, _slow, slower = [await _walk(services, clock, citizen, days) for days in (1, 30, 40)]
    await Appeal.filter(id=slower.id).update(received_on=None)
    found = await stats.statistics(SYSTEM, stats.Scope(), period=stats.Period.WEEK,
                                   now=MONDAY + timedelta(days=60), min_group_size=2)
    medians = {p.period: p.figures.median_answer_seconds for p in found.series[0].points
               if p.figures is not None}
    assert medians == {None: 40 * 86_400, WEEK_START: 15.5 * 86_400}
