"""Incident statistics: volume, first response, SLA compliance and satisfaction, in total
and by region, body, topic or day.

Everything but the median is a count or a sum, so a breakdown is one grouped SQL query
over indexed columns, whatever the volume (2.3M incidents a year nationally): the first
response is stored in seconds when it is published, the SLA verdicts as booleans, the
day an incident was registered as a date. Means are sums over counts, so the regions'
figures roll up exactly from their territories'. A median is not additive: it is read
as the middle row(s) of the ordered first responses, one indexed query per group, so
breakdowns are capped at :data:`MAX_GROUPS` groups (the largest first).

Merged incidents are left out (their posts live on in the incident they joined).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count, Sum

from vmeste.platform.identity.principal import Principal
from vmeste.platform.incidents.access import visible_incidents
from vmeste.platform.incidents.models import Incident, IncidentStatus
from vmeste.platform.medians import median
from vmeste.platform.reference.models import region_codes, within_territory

#: The most groups a breakdown returns (each costs a query for its median).
MAX_GROUPS = 100
RESPONSE = "first_response_seconds"
#: A score of at least this counts as satisfied.
SATISFIED = 4


class Dimension(StrEnum):
    REGION = "region"
    ORGANIZATION = "organization"
    TOPIC = "topic"
    DAY = "day"


@dataclass(frozen=True)
class Scope:
    """Which incidents are counted: registered from ``since`` to ``until`` (local days,
    both included) under a territory, of a body, of a topic."""

    territory_code: str | None = None
    organization_id: int | None = None
    topic: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Figures:
    incidents: int = 0
    reacted: int = 0
    responded: int = 0
    response_seconds_total: int = 0
    median_first_response_seconds: float | None = None
    reaction_on_time: int = 0
    reaction_judged: int = 0
    answer_on_time: int = 0
    answer_judged: int = 0
    rated: int = 0
    score_total: int = 0
    satisfied: int = 0

    @property
    def mean_first_response_seconds(self) -> float | None:
        return self.response_seconds_total / self.responded if self.responded else None

    @property
    def reaction_sla_share(self) -> float | None:
        return self.reaction_on_time / self.reaction_judged if self.reaction_judged else None

    @property
    def answer_sla_share(self) -> float | None:
        return self.answer_on_time / self.answer_judged if self.answer_judged else None

    @property
    def satisfaction_mean(self) -> float | None:
        return self.score_total / self.rated if self.rated else None

    @property
    def satisfied_share(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None

    def __add__(self, other: Figures) -> Figures:
        """The sum of two groups' additive figures (the median is the caller's)."""
        return Figures(**{name: getattr(self, name) + getattr(other, name)
                          for name in _ADDITIVE}, median_first_response_seconds=None)


@dataclass(frozen=True)
class Group:
    #: The region's or topic's code, the body's id, or the day in ISO form.
    key: str
    figures: Figures


_AGGREGATES = {
    "incidents": Count("id"),
    "reacted": Count("id", _filter=Q(reacted_at__isnull=False)),
    "responded": Count("first_response_seconds"),
    "response_seconds_total": Sum("first_response_seconds"),
    "reaction_on_time": Count("id", _filter=Q(reaction_late=False)),
    "reaction_judged": Count("reaction_late"),
    "answer_on_time": Count("id", _filter=Q(answer_late=False)),
    "answer_judged": Count("answer_late"),
    "rated": Count("satisfaction"),
    "score_total": Sum("satisfaction"),
    "satisfied": Count("id", _filter=Q(satisfaction__gte=SATISFIED)),
}
_ADDITIVE = tuple(_AGGREGATES)
_COLUMNS = {Dimension.REGION: "territory_path", Dimension.ORGANIZATION: "organization_id",
            Dimension.TOPIC: "topic", Dimension.DAY: "registered_on"}


async def _base(principal: Principal, scope: Scope) -> Q:
    condition = await visible_incidents(principal) & ~Q(status=IncidentStatus.MERGED)
    if scope.territory_code is not None:
        condition &= await within_territory(scope.territory_code)
    if scope.organization_id is not None:
        condition &= Q(organization_id=scope.organization_id)
    if scope.topic is not None:
        condition &= Q(topic=scope.topic)
    if scope.since is not None:
        condition &= Q(registered_on__gte=scope.since)
    if scope.until is not None:
        condition &= Q(registered_on__lte=scope.until)
    return condition


def _figures(row: Mapping[str, Any]) -> Figures:
    return Figures(**{name: int(row[name] or 0) for name in _ADDITIVE})


async def figures(principal: Principal, scope: Scope) -> Figures:
    """The totals of the incidents the caller may see within ``scope``."""
    condition = await _base(principal, scope)
    rows = await Incident.filter(condition).annotate(**_AGGREGATES).values(*_ADDITIVE)
    total = _figures(rows[0]) if rows else Figures()
    return replace(total, median_first_response_seconds=await median(
        Incident, condition, RESPONSE, total.responded))


async def breakdown(principal: Principal, scope: Scope, by: Dimension,
                    limit: int = MAX_GROUPS) -> list[Group]:
    """The figures per group: the ``limit`` largest groups, largest first, or the
    latest ``limit`` days, in calendar order."""
    condition = await _base(principal, scope)
    column = _COLUMNS[by]
    rows = await Incident.filter(condition).annotate(**_AGGREGATES).group_by(column).values(
        column, *_ADDITIVE)
    regions = (await region_codes([row[column] for row in rows])
               if by is Dimension.REGION else {})
    grouped: dict[str, tuple[Figures, list[Any]]] = {}
    for row in rows:
        value = row[column]
        key = regions[value] if by is Dimension.REGION else "" if value is None else str(value)
        total, values = grouped.get(key, (Figures(), []))
        grouped[key] = (total + _figures(row), [*values, value])
    count = max(1, min(limit, MAX_GROUPS))
    if by is Dimension.DAY:  # the latest days, in calendar order
        ordered = sorted(grouped.items())[-count:]
    else:
        ordered = sorted(grouped.items(), key=lambda item: (-item[1][0].incidents, item[0]))
        ordered = ordered[:count]
    result = []
    for key, (total, values) in ordered:
        known = [v for v in values if v is not None]
        of_group = Q(**{f"{column}__in": known}) if known else Q(**{f"{column}__isnull": True})
        middle = await median(Incident, condition & of_group, RESPONSE, total.responded)
        result.append(Group(key, replace(total, median_first_response_seconds=middle)))
    return result
