"""Reading incidents and monitoring rules (staff only: see the types' docstring)."""

from __future__ import annotations

import strawberry
from strawberry import relay
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from vmeste.platform.appeals.access import visible_appeals
from vmeste.platform.appeals.models import Appeal
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.incidents import models
from vmeste.platform.incidents.access import READERS, visible_incidents
from vmeste.platform.incidents.conversion import posts_of_appeal
from vmeste.platform.publics.topics import topics
from vmeste.platform.reference.models import subtree, within_territory
from vmeste.schema.errors import global_pk
from vmeste.schema.incidents.types import (
    Incident,
    IncidentStatus,
    IncidentTopic,
    MonitoringRule,
    SocialPost,
    topic_name,
)
from vmeste.schema.pagination import CountedConnection, paginate


def incident_pk(value: relay.GlobalID, field: str = "id") -> int:
    return global_pk(value, "Incident", field=field, message=_("This is not an incident's id"),
                     max_id=2**63 - 1)


def visible_rules(principal: Principal) -> Q:
    """The rules of the territories the caller monitors or audits."""
    if principal.system:
        return Q()
    scopes = [subtree(root, "territory_path") for root in principal.territory_scopes(READERS)]
    return Q(*scopes, join_type=Q.OR) if scopes else Q(id=-1)


async def incident_rows(principal: Principal, *, status: models.IncidentStatus | None = None,
                        topic: str | None = None, territory_code: str | None = None,
                        organization_id: int | None = None) -> QuerySet[models.Incident]:
    query = models.Incident.filter(await visible_incidents(principal))
    if status is not None:
        query = query.filter(status=status)
    if topic is not None:
        query = query.filter(topic=topic)
    if territory_code is not None:
        query = query.filter(await within_territory(territory_code))
    if organization_id is not None:
        query = query.filter(organization_id=organization_id)
    return query


@strawberry.type
class IncidentsQuery:
    @strawberry.field(description="An incident the caller may see, by id.")
    async def incident(self, info: strawberry.Info, id: relay.GlobalID) -> Incident | None:
        row = await (await incident_rows(info.context.principal)).filter(
            id=incident_pk(id)).first()
        return Incident.from_model(row) if row is not None else None

    @strawberry.field(description="The incidents the caller may see, newest first.")
    async def incidents(
        self, info: strawberry.Info,
        status: IncidentStatus | None = None,  # type: ignore[valid-type]
        topic: str | None = None, territory_code: str | None = None,
        organization_id: relay.GlobalID | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Incident]:
        organization = None if organization_id is None else global_pk(
            organization_id, "Organization", field="organizationId",
            message=_("This is not an organization's id"))
        query = await incident_rows(
            info.context.principal, territory_code=territory_code, topic=topic,
            status=models.IncidentStatus(status) if status is not None else None,
            organization_id=organization)
        return await paginate(query, info=info, convert=Incident.from_model, first=first,
                              after=after, last=last, before=before, descending=True)

    @strawberry.field(description="The monitoring rules of the territories the caller "
                                  "monitors or audits.")
    async def monitoring_rules(
        self, info: strawberry.Info, territory_code: str | None = None,
        active: bool | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[MonitoringRule]:
        query = models.MonitoringRule.filter(visible_rules(info.context.principal))
        if territory_code is not None:
            query = query.filter(await within_territory(territory_code))
        if active is not None:
            query = query.filter(active=active)
        return await paginate(query, info=info, convert=MonitoringRule.from_model,
                              first=first, after=after, last=last, before=before)

    @strawberry.field(description="The social-media posts an appeal was filed from, for "
                                  "the staff who see the appeal (empty for other appeals "
                                  "and callers; at most 100).")
    async def appeal_social_posts(self, info: strawberry.Info, appeal_id: relay.GlobalID
                                  ) -> list[SocialPost]:
        pk = global_pk(appeal_id, "Appeal", field="appealId",
                       message=_("This is not an appeal's id"))
        principal = info.context.principal
        # Staff only: the posts name other authors the applicant has no right to see.
        if not principal.authenticated or not await Appeal.filter(
                await visible_appeals(principal), id=pk).exists():
            return []
        return [SocialPost.from_model(row) for row in (await posts_of_appeal(pk))[:100]]

    @strawberry.field(description="The incident classifier's rubrics, in its order.")
    def incident_topics(self) -> list[IncidentTopic]:
        return [IncidentTopic(code=code, name=topic_name(code)) for code in topics()]
