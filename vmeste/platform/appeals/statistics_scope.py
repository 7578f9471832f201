"""The scope and periods of appeal statistics: which appeals are counted, and the days,
weeks and months a series is cut into."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Scope:
    """Which appeals are counted: submitted from ``since`` to ``until`` (local days,
    both included), under a territory, at a body, in a category (and its subtopics)."""

    territory_code: str | None = None
    organization_id: int | None = None
    category_code: str | None = None
    since: date | None = None
    until: date | None = None


def period_start(day: date, period: Period) -> date:
    """The first day of the day's week (Monday) or month, or the day itself."""
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    return day


def period_end(start: date, period: Period) -> date:
    """The last day of the period starting on ``start``."""
    if period is Period.WEEK:
        return start + timedelta(days=6)
    if period is Period.MONTH:
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    return start
