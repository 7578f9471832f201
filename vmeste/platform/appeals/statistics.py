"""Appeal statistics, the figures a platform publishes ("9 days on average to answer"):
counts by status, mean and median time to answer, the share answered on time, ratings
and rework, in total or by region, body or category, as a series of days, weeks or
months.

Every figure but the median is a count or a sum, so one grouped SQL query over the
appeal table (by the dimension's column and the local day of submission) gives every
point, whatever the volume; weeks and months are sums of their days. The median is read
per point as the middle row(s) of the ordered times (:mod:`vmeste.platform.medians`),
so a series is capped at :data:`MAX_POINTS` points.

Definitions. An appeal belongs to the local day it was submitted on (its territory's
time zone). The time to answer runs from registration (moderation's acceptance) to the
first answer, in calendar time. An answer is on time when it came by the due moment in
force then; an appeal still unanswered past its due moment with its clock running (not
paused for a clarification) counts as late already, so
the share on time is on time over (answered with a term + open and overdue). Rework is
an appeal sent back at least once (a low rating or a supervisor); its share is of the
answered ones. The rating is the latest the applicant gave.

Who sees what (:func:`unsuppressed_for`): the counted appeals are every appeal of the
scope, not only those the caller may read, because the figures are public. They are
shown as they are when the caller could read every counted appeal anyway (a body's
staff over their body, regional staff over their territory); anyone else (anonymous
readers, other bodies, the published view a region shows the public) gets the points
of fewer than ``min_group_size`` appeals hidden, with the complementary points that
would give them back (:func:`vmeste.platform.suppression.suppressed_cells`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count, Sum

from vmeste.platform.appeals.access import REGIONAL_READERS, STAFF, visible_appeals
from vmeste.platform.appeals.lifecycle import CLOCK_RUNNING
from vmeste.platform.appeals.models import Appeal, AppealStatus
from vmeste.platform.appeals.statistics_public import check_public
from vmeste.platform.appeals.statistics_scope import (
    Period,
    Scope,
    period_end,
    period_start,
)
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.medians import median
from vmeste.platform.reference.models import (
    Category,
    Organization,
    region_codes,
    within_territory,
)
from vmeste.platform.suppression import suppressed_cells

#: The most points a series returns (each costs a query for its median).
MAX_POINTS = 400
ANSWER = "answer_seconds"
RATINGS = (1, 2, 3, 4, 5)


class Dimension(StrEnum):
    REGION = "region"
    ORGANIZATION = "organization"
    CATEGORY = "category"


@dataclass(frozen=True)
class Figures:
    appeals: int = 0
    #: Appeals by status (every status, zeros included).
    statuses: Mapping[str, int] = field(default_factory=dict)
    registered: int = 0
    answered: int = 0
    answer_seconds_total: int = 0
    median_answer_seconds: float | None = None
    on_time: int = 0
    late: int = 0
    overdue_open: int = 0
    rated: int = 0
    rating_total: int = 0
    #: How many rated 1, 2, 3, 4 and 5.
    ratings: tuple[int, ...] = (0,) * len(RATINGS)
    reworked: int = 0

    @property
    def mean_answer_seconds(self) -> float | None:
        return self.answer_seconds_total / self.answered if self.answered else None

    @property
    def judged(self) -> int:
        """Appeals whose term is decided: answered with a term, or open past it."""
        return self.on_time + self.late + self.overdue_open

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.judged if self.judged else None

    @property
    def rating_mean(self) -> float | None:
        return self.rating_total / self.rated if self.rated else None

    @property
    def rework_share(self) -> float | None:
        return self.reworked / self.answered if self.answered else None

    def __add__(self, other: Figures) -> Figures:
        """Two points' additive figures summed (the median is the caller's)."""
        sums = {name: getattr(self, name) + getattr(other, name) for name in _SCALARS}
        statuses = {s: self.statuses.get(s, 0) + other.statuses.get(s, 0) for s in STATUSES}
        ratings = tuple(a + b for a, b in zip(self.ratings, other.ratings, strict=True))
        return Figures(**sums, statuses=statuses, ratings=ratings)


STATUSES = tuple(status.value for status in AppealStatus)


@dataclass(frozen=True)
class Point:
    #: The first day of the period; None for the whole range.
    period: date | None
    #: None when suppressed: too few appeals to publish, or one that would give such
    #: a point back.
    figures: Figures | None

    @property
    def suppressed(self) -> bool:
        return self.figures is None


@dataclass(frozen=True)
class Series:
    #: The region's or category's code, the body's OGRN ("" for appeals at no body yet),
    #: or "" for the totals when nothing is grouped.
    key: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Statistics:
    series: tuple[Series, ...]
    #: Whether small points were hidden for this caller (the public view).
    published: bool
    min_group_size: int


def _aggregates(now: datetime) -> dict[str, Any]:
    overdue = Q(first_answered_at__isnull=True, status__in=list(CLOCK_RUNNING),
                due_at__lt=now)
    found: dict[str, Any] = {
        "appeals": Count("id"),
        "registered": Count("registered_at"),
        "answered": Count(ANSWER),
        "answer_seconds_total": Sum(ANSWER),
        "on_time": Count("id", _filter=Q(answered_late=False)),
        "late": Count("id", _filter=Q(answered_late=True)),
        "overdue_open": Count("id", _filter=overdue),
        "rated": Count("rating"),
        "rating_total": Sum("rating"),
        "reworked": Count("id", _filter=Q(rework_count__gt=0)),
    }
    found |= {f"status_{s}": Count("id", _filter=Q(status=s)) for s in STATUSES}
    found |= {f"rating_{r}": Count("id", _filter=Q(rating=r)) for r in RATINGS}
    return found


_SCALARS = ("appeals", "registered", "answered", "answer_seconds_total", "on_time", "late",
            "overdue_open", "rated", "rating_total", "reworked")
_COLUMNS = {Dimension.REGION: "territory_path", Dimension.ORGANIZATION: "organization_id",
            Dimension.CATEGORY: "category_id"}


def _figures(row: Mapping[str, Any]) -> Figures:
    return Figures(**{name: int(row[name] or 0) for name in _SCALARS},
                   statuses={s: int(row[f"status_{s}"] or 0) for s in STATUSES},
                   ratings=tuple(int(row[f"rating_{r}"] or 0) for r in RATINGS))


async def _condition(scope: Scope) -> Q:
    condition = Q()
    if scope.territory_code is not None:
        condition &= await within_territory(scope.territory_code)
    if scope.organization_id is not None:
        condition &= Q(organization_id=scope.organization_id)
    if scope.category_code is not None:
        paths = await Category.filter(code=scope.category_code).values_list("path", flat=True)
        if not paths:
            raise DomainError.of("categoryCode", _("Unknown category"), ErrorCode.NOT_FOUND)
        ids = await Category.filter(Q(path=paths[0]) | Q(path__startswith=paths[0] + "/")
                                    ).values_list("id", flat=True)
        condition &= Q(category_id__in=list(ids))
    if scope.since is not None:
        condition &= Q(received_on__gte=scope.since)
    if scope.until is not None:
        condition &= Q(received_on__lte=scope.until)
    return condition


#: The most days of grouped rows one point of each period sums.
_DAYS_IN = {None: 1, Period.DAY: 1, Period.WEEK: 7, Period.MONTH: 31}


def _too_many(count: str) -> DomainError:
    return DomainError.of("period", _("That is {count} points, more than {most}: choose a "
                                      "longer period, a shorter range or no grouping",
                                      count=count, most=MAX_POINTS), ErrorCode.INVALID)


async def unsuppressed_for(principal: Principal, condition: Q) -> bool:
    """Whether the caller may see the scope's figures as they are: a signed-in member
    of staff who could read every appeal counted (:func:`visible_appeals`)."""
    if not principal.authenticated or principal.system:
        return principal.system
    if not (principal.organization_ids(STAFF) or principal.territory_scopes(REGIONAL_READERS)):
        return False
    readable = await visible_appeals(principal)
    return not await Appeal.filter(condition).exclude(readable).exists()


async def _keys(by: Dimension | None, values: Sequence[Any]) -> dict[Any, str]:
    """Each grouped column's value → the series' key."""
    if by is Dimension.REGION:
        return dict(await region_codes(values))
    known = [v for v in values if v is not None]
    if by is Dimension.CATEGORY:
        return dict(await Category.filter(id__in=known).values_list("id", "code"))
    if by is Dimension.ORGANIZATION:
        return dict(await Organization.filter(id__in=known).values_list("id", "ogrn"))
    return {}


async def statistics(principal: Principal, scope: Scope, *, by: Dimension | None = None,
                     period: Period | None = None, now: datetime, min_group_size: int,
                     published: bool = False) -> Statistics:
    """The series of figures: one per group of ``by`` (one in all without it), each
    with a point per ``period`` in which appeals were submitted (one point for the
    whole scope without it), in calendar order; groups largest first. ``published``
    asks for the public view even of a caller who could see more."""
    if scope.since is not None and scope.until is not None and scope.since > scope.until:
        raise DomainError.of("to", _("The end of a period cannot precede its start"),
                             ErrorCode.INVALID)
    condition = await _condition(scope)
    public = published or not await unsuppressed_for(principal, condition)
    if public:
        await check_public(scope, period)
    column = _COLUMNS[by] if by is not None else None
    grouped = [c for c in (column, "received_on" if period else None) if c]
    query = Appeal.filter(condition).annotate(**_aggregates(now))
    if grouped:
        query = query.group_by(*grouped)
    # A point sums at most a period's days of rows, so more rows than that many points'
    # days are too many points already: the rows past it are never loaded.
    most_rows = MAX_POINTS * _DAYS_IN[period]
    rows = await query.limit(most_rows + 1).values(*grouped, *_aggregates(now))
    if len(rows) > most_rows:
        raise _too_many(f"{most_rows // _DAYS_IN[period]}+")
    keys = await _keys(by, list({row[column] for row in rows})) if column else {}
    # Each point's figures, and the grouped column's values it sums (a region's many
    # territory paths), for its median's query.
    cells: dict[tuple[str, date | None], tuple[Figures, frozenset[Any]]] = {}
    for row in rows:
        if not int(row["appeals"] or 0):
            continue
        key = keys.get(row[column], "") if column else ""
        day = row["received_on"] if period else None
        start = period_start(day, period) if period and day is not None else None
        total, values = cells.get((key, start), (Figures(), frozenset()))
        cells[(key, start)] = (total + _figures(row), values | {row[column] if column else None})
    if len(cells) > MAX_POINTS:
        raise _too_many(str(len(cells)))
    hidden = (suppressed_cells({k: f.appeals for k, (f, _v) in cells.items()}, min_group_size)
              if public else frozenset())
    series: dict[str, list[Point]] = {}
    for (key, start), (total, values) in sorted(cells.items(), key=lambda item: (
            item[0][0], item[0][1] or date.min)):
        figures: Figures | None = None
        if (key, start) not in hidden:
            of_point = condition
            if column:
                known = sorted(v for v in values if v is not None)
                of_point &= (Q(**{f"{column}__in": known}) if known
                             else Q(**{f"{column}__isnull": True}))
            if period:
                # Appeals of no known day (received_on unset) are a point of their own.
                of_point &= (Q(received_on__isnull=True) if start is None else
                             Q(received_on__gte=start, received_on__lte=period_end(start, period)))
            figures = replace(total, median_answer_seconds=await median(
                Appeal, of_point, ANSWER, total.answered))
        series.setdefault(key, []).append(Point(start, figures))
    # Largest first by what is shown: a hidden point's size is not given away by rank.
    sizes = {key: sum(p.figures.appeals for p in points if p.figures is not None)
             for key, points in series.items()}
    ordered = sorted(series, key=lambda key: (-sizes[key], key))
    return Statistics(series=tuple(Series(key, tuple(series[key])) for key in ordered),
                      published=public, min_group_size=min_group_size)
