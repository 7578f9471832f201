"""One request for appeal statistics, as GraphQL arguments or as a URL's query string,
and what answers it in every form: the series (GraphQL), the CSV table and the chart
all come from :meth:`StatisticsRequest.run`, so they count and hide the same points.

A URL names everything by public codes (a territory's OKTMO code, a body's OGRN, a
category's code), never by database ids, so a link stays the same across
installations restored from a dump, and GraphQL hands out the same links
(``csvUrl``, ``chartUrl``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlencode

from vmeste.platform.appeals import statistics as stats
from vmeste.platform.csvfiles import safe_text
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.reference.models import Category, Organization, Territory

CSV_PATH = "/statistics/appeals.csv"
CHART_PATH = "/statistics/appeals/{figure}.svg"
SECONDS_PER_DAY = 86_400
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class StatisticsRequest:
    territory_code: str | None = None
    organization_ogrn: str | None = None
    category_code: str | None = None
    since: date | None = None
    until: date | None = None
    by: stats.Dimension | None = None
    period: stats.Period | None = None
    #: The public view even for a caller who could see more.
    published: bool = False

    def params(self) -> dict[str, str]:
        """The query string's parameters, in a fixed order (one URL per request)."""
        found = {"groupBy": self.by.value if self.by else None,
                 "period": self.period.value if self.period else None,
                 "from": self.since.isoformat() if self.since else None,
                 "to": self.until.isoformat() if self.until else None,
                 "territory": self.territory_code, "organization": self.organization_ogrn,
                 "category": self.category_code, "published": "1" if self.published else None}
        return {key: value for key, value in found.items() if value is not None}

    def url(self, path: str) -> str:
        query = urlencode(self.params())
        return f"{path}?{query}" if query else path

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> StatisticsRequest:
        """A URL's query string, each bad value a typed error naming its parameter."""
        unknown = sorted(set(params) - {"groupBy", "period", "from", "to", "territory",
                                        "organization", "category", "published"})
        if unknown:
            raise DomainError.of(unknown[0], _("Unknown parameter"), ErrorCode.INVALID)
        return cls(territory_code=params.get("territory") or None,
                   organization_ogrn=params.get("organization") or None,
                   category_code=params.get("category") or None,
                   since=_day(params, "from"), until=_day(params, "to"),
                   by=_choice(params, "groupBy", stats.Dimension),
                   period=_choice(params, "period", stats.Period),
                   published=params.get("published", "") in {"1", "true"})

    async def scope(self) -> stats.Scope:
        organization = None
        if self.organization_ogrn is not None:
            ids = await Organization.filter(ogrn=self.organization_ogrn).values_list(
                "id", flat=True)
            if not ids:
                raise DomainError.of("organization", _("No organization with this OGRN"),
                                     ErrorCode.NOT_FOUND)
            organization = ids[0]
        return stats.Scope(territory_code=self.territory_code, organization_id=organization,
                           category_code=self.category_code, since=self.since,
                           until=self.until)

    async def run(self, principal: Principal, now: datetime, min_group_size: int
                  ) -> stats.Statistics:
        return await stats.statistics(principal, await self.scope(), by=self.by,
                                      period=self.period, now=now,
                                      min_group_size=min_group_size,
                                      published=self.published)


def _day(params: Mapping[str, str], name: str) -> date | None:
    value = params.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError.of(name, _("A date is written YYYY-MM-DD"), ErrorCode.INVALID
                             ) from None


def _choice(params: Mapping[str, str], name: str, kind: type[E]) -> E | None:
    value = params.get(name)
    if not value:
        return None
    try:
        return kind(value.lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise DomainError.of(name, _("One of: {allowed}", allowed=allowed),
                             ErrorCode.INVALID) from None


async def series_names(by: stats.Dimension | None, keys: Sequence[str]) -> dict[str, str]:
    """Each series' display name: the region's, body's or category's name."""
    wanted = [key for key in keys if key]
    match by:
        case stats.Dimension.REGION:
            found = await Territory.filter(code__in=wanted).values_list("code", "name")
        case stats.Dimension.ORGANIZATION:
            found = await Organization.filter(ogrn__in=wanted).values_list("ogrn", "name")
        case stats.Dimension.CATEGORY:
            found = await Category.filter(code__in=wanted).values_list("code", "name")
        case _:
            return {key: _("All appeals") for key in keys}
    names = {key: name for key, name in found}
    return {key: names.get(key, key) if key else _("Not at a body yet") for key in keys}


async def scope_label(request: StatisticsRequest) -> str:
    """What the request counts, by name: its territory, body and category."""
    parts = []
    for model, column, value in ((Territory, "code", request.territory_code),
                                 (Organization, "ogrn", request.organization_ogrn),
                                 (Category, "code", request.category_code)):
        if value is not None:
            found = await model.filter(**{column: value}).values_list("name", flat=True)
            parts.append(str(found[0]) if found else value)
    return " · ".join(parts)


CSV_HEADER = ("group", "group_name", "period_start", "period_end", "suppressed", "appeals",
              *(f"status_{s}" for s in stats.STATUSES), "registered", "answered",
              "mean_answer_days", "median_answer_days", "on_time", "late", "overdue_open",
              "on_time_share", "rated", "rating_mean",
              *(f"rating_{r}" for r in stats.RATINGS), "reworked", "rework_share")


def _decimal(value: float | None, places: int = 4) -> str:
    return "" if value is None else f"{value:.{places}f}"


def _days(seconds: float | None) -> str:
    return _decimal(None if seconds is None else seconds / SECONDS_PER_DAY, 2)


def statistics_csv(found: stats.Statistics, request: StatisticsRequest,
                   names: Mapping[str, str]) -> str:
    """One row per point; a suppressed point keeps its row with every figure empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for series in found.series:
        for point in series.points:
            start = point.period
            end = stats.period_end(start, request.period) if start and request.period else None
            cells: list[object] = [safe_text(series.key), safe_text(names.get(series.key, "")),
                                   start.isoformat() if start else "",
                                   end.isoformat() if end else "",
                                   "true" if point.suppressed else "false"]
            f = point.figures
            if f is None:
                cells += [""] * (len(CSV_HEADER) - len(cells))
            else:
                cells += [f.appeals, *(f.statuses.get(s, 0) for s in stats.STATUSES),
                          f.registered, f.answered, _days(f.mean_answer_seconds),
                          _days(f.median_answer_seconds), f.on_time, f.late, f.overdue_open,
                          _decimal(f.on_time_share), f.rated, _decimal(f.rating_mean),
                          *f.ratings, f.reworked, _decimal(f.rework_share)]
            writer.writerow(cells)
    return out.getvalue()
