"""Appeal statistics over GraphQL: series of points by region, body or category and by
day, week or month (:mod:`vmeste.platform.appeals.statistics`), with the links to the
same figures as CSV and as charts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from vmeste.platform.appeals import models
from vmeste.platform.appeals import statistics as platform
from vmeste.platform.appeals.statistics_chart import FIGURES
from vmeste.platform.appeals.statistics_request import (
    CHART_PATH,
    CSV_PATH,
    StatisticsRequest,
    series_names,
)
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.schema.appeals.types import AppealStatus
from vmeste.schema.cost import at_most

AppealStatisticsDimension = strawberry.enum(platform.Dimension,
                                            name="AppealStatisticsDimension")
StatisticsPeriod = strawberry.enum(platform.Period, name="StatisticsPeriod")


@strawberry.input(description="Which appeals are counted: under a territory (OKTMO code), "
                              "at a body (OGRN), in a category and its subtopics (code).")
class AppealStatisticsFilter:
    territory_code: str | None = None
    organization_ogrn: str | None = None
    category_code: str | None = None


@strawberry.type(description="How many appeals are in one status.")
class StatusCount:
    status: AppealStatus  # type: ignore[valid-type]
    count: int


@strawberry.type(description="The figures of one point. Times run from registration to "
                             "the first answer; the share on time is of the answered "
                             "appeals with a term and the open ones past it.")
class AppealFigures:
    appeals: int
    by_status: list[StatusCount] = strawberry.field(metadata=at_most(len(platform.STATUSES)))
    registered: int
    answered: int
    mean_answer_seconds: float | None
    median_answer_seconds: float | None
    answered_on_time: int
    answered_late: int
    overdue_open: int
    on_time_share: float | None
    rated: int
    rating_mean: float | None
    rating_counts: list[int] = strawberry.field(
        description="How many rated 1, 2, 3, 4 and 5, in that order.",
        metadata=at_most(len(platform.RATINGS)))
    reworked: int = strawberry.field(description="Appeals sent back for rework at least once.")
    rework_share: float | None = strawberry.field(description="Reworked over answered.")

    @classmethod
    def of(cls, f: platform.Figures) -> AppealFigures:
        return cls(appeals=f.appeals,
                   by_status=[StatusCount(status=models.AppealStatus(s),
                                          count=f.statuses.get(s, 0))
                              for s in platform.STATUSES],
                   registered=f.registered, answered=f.answered,
                   mean_answer_seconds=f.mean_answer_seconds,
                   median_answer_seconds=f.median_answer_seconds,
                   answered_on_time=f.on_time, answered_late=f.late,
                   overdue_open=f.overdue_open, on_time_share=f.on_time_share, rated=f.rated,
                   rating_mean=f.rating_mean, rating_counts=list(f.ratings),
                   reworked=f.reworked, rework_share=f.rework_share)


@strawberry.type(description="One point of a series: its group's key and a period (the "
                             "whole range without a period).")
class AppealStatisticsPoint:
    key: str
    period_start: date | None
    period_end: date | None
    suppressed: bool = strawberry.field(
        description="Too few appeals to publish, or a point that would give such a one back "
                    "by subtraction: no figures.")
    figures: AppealFigures | None


@strawberry.type(description="A group: a region's or category's code, a body's OGRN (empty "
                             "for appeals at no body yet), or empty for all appeals when "
                             "nothing is grouped; largest first.")
class AppealSeries:
    key: str
    name: str


@strawberry.type(description="Points flat, each naming its series, so the cost of a query is "
                             "bounded by the points' cap alone.")
class AppealStatistics:
    series: list[AppealSeries] = strawberry.field(metadata=at_most(platform.MAX_POINTS))
    points: list[AppealStatisticsPoint] = strawberry.field(
        description="Series by series (in the order of series), each in calendar order.",
        metadata=at_most(platform.MAX_POINTS))
    published: bool = strawberry.field(
        description="Whether this is the public view, small points hidden.")
    min_group_size: int
    csv_url: str = strawberry.field(description="The same figures as CSV (a stable URL).")
    request: strawberry.Private[StatisticsRequest]

    @strawberry.field(description="A chart of one figure at a stable URL: " +
                                  ", ".join(FIGURES) + ".")
    def chart_url(self, figure: str = "appeals") -> str:
        if figure not in FIGURES:
            raise DomainError.of("figure", _("No such figure: one of {figures}",
                                             figures=", ".join(FIGURES)), ErrorCode.INVALID)
        return self.request.url(CHART_PATH.format(figure=figure))


@strawberry.type
class AppealStatisticsQuery:
    @strawberry.field(description="Appeal statistics as series of points, at most "
                                  f"{platform.MAX_POINTS}. Open to everyone: small points "
                                  "are hidden unless the caller may read every counted "
                                  "appeal (a body's staff over their body), or when "
                                  "published is true.")
    async def appeal_statistics(
        self, info: strawberry.Info, filter: AppealStatisticsFilter | None = None,
        group_by: AppealStatisticsDimension | None = None,  # type: ignore[valid-type]
        period: StatisticsPeriod | None = None,  # type: ignore[valid-type]
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None, published: bool = False,
    ) -> AppealStatistics:
        wanted = filter or AppealStatisticsFilter()
        request = StatisticsRequest(
            territory_code=wanted.territory_code, organization_ogrn=wanted.organization_ogrn,
            category_code=wanted.category_code, since=from_, until=to,
            by=platform.Dimension(group_by) if group_by else None,
            period=platform.Period(period) if period else None, published=published)
        context = info.context
        found = await request.run(context.principal, context.runtime.clock(),
                                  context.settings.min_group_size)
        names = await series_names(request.by, [s.key for s in found.series])
        return AppealStatistics(
            series=[AppealSeries(key=s.key, name=names.get(s.key, s.key))
                    for s in found.series],
            points=[AppealStatisticsPoint(
                key=s.key, period_start=p.period,
                period_end=platform.period_end(p.period, request.period)
                if p.period and request.period else None,
                suppressed=p.suppressed,
                figures=AppealFigures.of(p.figures) if p.figures else None)
                for s in found.series for p in s.points],
            published=found.published, min_group_size=found.min_group_size,
            csv_url=request.url(CSV_PATH), request=request)
