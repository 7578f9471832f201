"""SVG charts of appeal statistics, drawn with the platform's chart kit
(:mod:`vmeste.platform.charts`): one figure (appeals received, mean or median time to
answer, the share on time, the mean rating, the share sent to rework) as bars.

Without a period, a bar per group (region, body, category); with one, a block per group
with a bar per period. A suppressed point is a hatched track whose caption says so,
with no number, as the CSV's empty row and GraphQL's ``suppressed`` say; a point with
nothing to measure (no answer yet, so no time to answer) is an empty track with "—".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal

from vmeste.platform.appeals import statistics as stats
from vmeste.platform.appeals.statistics_request import SECONDS_PER_DAY, StatisticsRequest
from vmeste.platform.charts import (
    PAD,
    Bar,
    Canvas,
    draw_bars,
    group_heading,
    nothing_yet,
    number,
    summary,
)
from vmeste.platform.i18n import N_, _, current, translate


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / SECONDS_PER_DAY


def _in_days(value: float) -> str:
    return _("{days} days", days=format_decimal(value, "#,##0.0", locale=current()))


def _share(value: float) -> str:
    return format_decimal(value * 100, "#,##0.0", locale=current()) + "%"


def _of_five(value: float) -> str:
    return _("{rating} of 5", rating=format_decimal(value, "#,##0.00", locale=current()))


@dataclass(frozen=True)
class Figure:
    title: str
    value: Callable[[stats.Figures], float | None]
    caption: Callable[[float], str]


FIGURES = {
    "appeals": Figure(N_("Appeals received"), lambda f: f.appeals, number),
    "mean_answer_days": Figure(N_("Mean time to the first answer"),
                               lambda f: _days(f.mean_answer_seconds), _in_days),
    "median_answer_days": Figure(N_("Median time to the first answer"),
                                 lambda f: _days(f.median_answer_seconds), _in_days),
    "on_time_share": Figure(N_("Share answered on time"), lambda f: f.on_time_share, _share),
    "rating_mean": Figure(N_("Mean rating of the answers"), lambda f: f.rating_mean,
                          _of_five),
    "rework_share": Figure(N_("Share of answers sent to rework"), lambda f: f.rework_share,
                           _share),
}
BY_TITLES = {stats.Dimension.REGION: N_("by region"),
             stats.Dimension.ORGANIZATION: N_("by body"),
             stats.Dimension.CATEGORY: N_("by category")}
PERIOD_TITLES = {stats.Period.DAY: N_("by day"), stats.Period.WEEK: N_("by week"),
                 stats.Period.MONTH: N_("by month")}


def period_label(start: date | None, period: stats.Period | None) -> str:
    if start is None or period is None:
        return _("The whole range")
    if period is stats.Period.MONTH:
        return format_date(start, "LLLL yyyy", locale=current())
    if period is stats.Period.WEEK:
        return _("Week of {day}", day=format_date(start, "d MMM yyyy", locale=current()))
    return format_date(start, "d MMM yyyy", locale=current())


def _bar(figure: Figure, label: str, point: stats.Point) -> Bar:
    if point.figures is None:
        return Bar(label, 0, _("suppressed"), hidden=True)
    value = figure.value(point.figures)
    return Bar(label, value or 0, "—" if value is None else figure.caption(value))


def statistics_chart(figure_name: str, found: stats.Statistics, request: StatisticsRequest,
                     names: Mapping[str, str], scope: str = "") -> str:
    """The chart of one figure of :data:`FIGURES`; ``scope`` names what is counted
    (a territory, a body, a category)."""
    figure = FIGURES[figure_name]
    title = translate(figure.title)
    how = [scope] if scope else []
    how += [translate(BY_TITLES[request.by])] if request.by else []
    how += [translate(PERIOD_TITLES[request.period])] if request.period else []
    if request.since or request.until:
        how.append(_("submitted {since} – {until}",
                     since=request.since.isoformat() if request.since else "…",
                     until=request.until.isoformat() if request.until else "…"))
    notes = ["; ".join(how)] if how else []
    if found.published:
        notes.append(_("Suppressed: points under {size} appeals, with the next smallest where "
                       "needed", size=number(found.min_group_size)))
    canvas = Canvas()
    canvas.heading(title, *notes)
    described = []
    if request.period is None:
        bars = [_bar(figure, names.get(s.key, s.key), s.points[0]) for s in found.series]
        draw_bars(canvas, bars, PAD, 13, 16, 260)
        described.append(summary(bars))
    else:
        for series in found.series:
            name = names.get(series.key, series.key)
            group_heading(canvas, name)
            bars = [_bar(figure, period_label(p.period, request.period), p)
                    for p in series.points]
            draw_bars(canvas, bars, PAD, 12, 14, 200)
            canvas.y += 10
            described.append(f"{name} ({summary(bars)})")
    if not found.series:
        nothing_yet(canvas, _("No appeals in this range"))
    return canvas.svg(title, ". ".join(described))
