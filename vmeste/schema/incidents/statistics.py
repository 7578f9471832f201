"""Incident statistics over GraphQL: totals, breakdowns and the daily series
(:mod:`vmeste.platform.incidents.statistics`), of the incidents the caller may see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Self

import strawberry
from strawberry import relay

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.incidents import statistics as platform
from vmeste.platform.reference.models import Organization, Territory
from vmeste.schema.errors import global_pk
from vmeste.schema.incidents.types import topic_name

IncidentDimension = strawberry.enum(platform.Dimension, name="IncidentDimension")


@strawberry.input(description="Which incidents are counted: registered from since to "
                              "until (local days, inclusive), under a territory, of a body, "
                              "of a topic.")
class IncidentScope:
    territory_code: str | None = None
    organization_id: relay.GlobalID | None = None
    topic: str | None = None
    since: date | None = None
    until: date | None = None

    def scope(self) -> platform.Scope:
        organization = None if self.organization_id is None else global_pk(
            self.organization_id, "Organization", field="organizationId",
            message=_("This is not an organization's id"))
        if self.since is not None and self.until is not None and self.since > self.until:
            raise DomainError.of("until", _("The end of a period cannot precede its start"),
                                 ErrorCode.INVALID)
        return platform.Scope(territory_code=self.territory_code,
                              organization_id=organization, topic=self.topic,
                              since=self.since, until=self.until)


@strawberry.type(description="Volume, first response, SLA compliance and satisfaction.")
class IncidentFigures:
    incidents: int
    reacted: int
    responded: int
    mean_first_response_seconds: float | None
    median_first_response_seconds: float | None
    reaction_on_time: int
    reaction_judged: int
    reaction_sla_share: float | None
    answer_on_time: int
    answer_judged: int
    answer_sla_share: float | None
    rated: int
    satisfaction_mean: float | None
    satisfied_share: float | None = strawberry.field(
        description="The share of scores of 4 or 5.")

    @classmethod
    def of(cls, f: platform.Figures) -> Self:
        return cls(incidents=f.incidents, reacted=f.reacted, responded=f.responded,
                   mean_first_response_seconds=f.mean_first_response_seconds,
                   median_first_response_seconds=f.median_first_response_seconds,
                   reaction_on_time=f.reaction_on_time, reaction_judged=f.reaction_judged,
                   reaction_sla_share=f.reaction_sla_share, answer_on_time=f.answer_on_time,
                   answer_judged=f.answer_judged, answer_sla_share=f.answer_sla_share,
                   rated=f.rated, satisfaction_mean=f.satisfaction_mean,
                   satisfied_share=f.satisfied_share)


@strawberry.type(description="One group of a breakdown: a region's code, a body's id, a "
                             "topic's code or a day (ISO), with its display name.")
class IncidentGroup:
    key: str
    name: str
    figures: IncidentFigures


async def _names(by: platform.Dimension, keys: Sequence[str]) -> dict[str, str]:
    match by:
        case platform.Dimension.REGION:
            return dict(await Territory.filter(code__in=list(keys)).values_list("code", "name"))
        case platform.Dimension.ORGANIZATION:
            ids = [int(k) for k in keys if k]
            return {str(pk): name for pk, name in
                    await Organization.filter(id__in=ids).values_list("id", "name")}
        case platform.Dimension.TOPIC:
            return {key: topic_name(key) for key in keys}
    return {key: key for key in keys}


@strawberry.type
class IncidentStatisticsQuery:
    @strawberry.field(description="The totals of the incidents the caller may see.")
    async def incident_statistics(self, info: strawberry.Info,
                                  scope: IncidentScope | None = None) -> IncidentFigures:
        wanted = (scope or IncidentScope()).scope()
        return IncidentFigures.of(await platform.figures(info.context.principal, wanted))

    @strawberry.field(description="The figures by region, body or topic (the largest "
                                  "limit groups), or by day (a time series: the latest "
                                  "limit days of the scope, in calendar order); limit is "
                                  "at most 100.")
    async def incident_breakdown(
        self, info: strawberry.Info,
        by: IncidentDimension,  # type: ignore[valid-type]
        scope: IncidentScope | None = None, limit: int = 20,
    ) -> list[IncidentGroup]:
        if not 1 <= limit <= platform.MAX_GROUPS:
            raise DomainError.of("limit", _("limit is an integer from {low} to {high}", low=1,
                                            high=platform.MAX_GROUPS), ErrorCode.INVALID)
        dimension = platform.Dimension(by)
        groups = await platform.breakdown(info.context.principal,
                                          (scope or IncidentScope()).scope(), dimension, limit)
        names = await _names(dimension, [g.key for g in groups])
        return [IncidentGroup(key=g.key, name=names.get(g.key, g.key),
                              figures=IncidentFigures.of(g.figures)) for g in groups]
