"""Triage and sorting by the territory's monitoring staff: react (the incident is routed
by the routing engine), dismiss, route by hand, confirm or correct the topic, merge and
split (see :mod:`vmeste.platform.incidents.triage` and ``merging``)."""

from __future__ import annotations

import strawberry
from strawberry import relay

from vmeste.platform.i18n import _
from vmeste.platform.incidents import merging, models, triage
from vmeste.schema.errors import global_pk, run_mutation
from vmeste.schema.incidents.payloads import IncidentPayload, post_pks, services
from vmeste.schema.incidents.queries import incident_pk


@strawberry.input(description="A reaction: the category and territory default to the "
                              "topic's category in the region policy and the incident's "
                              "territory; a point refines the territory by boundaries.")
class ReactToIncidentInput:
    id: relay.GlobalID
    category_code: str | None = None
    territory_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@strawberry.type
class IncidentTriageMutation:
    @strawberry.mutation(description="React to an incident: it is routed to the competent "
                                     "body (UNROUTED when no rule decides).")
    async def react_to_incident(self, info: strawberry.Info, input: ReactToIncidentInput
                                ) -> IncidentPayload:
        async def call() -> models.Incident:
            return await triage.react(services(info), info.context.principal,
                                      incident_pk(input.id), input.category_code,
                                      input.territory_code, input.latitude, input.longitude)

        return IncidentPayload.of(*await run_mutation(call()))

    @strawberry.mutation(description="Dismiss an incident, with the reason.")
    async def dismiss_incident(self, info: strawberry.Info, id: relay.GlobalID, reason: str
                               ) -> IncidentPayload:
        async def call() -> models.Incident:
            return await triage.dismiss(services(info), info.context.principal,
                                        incident_pk(id), reason)

        return IncidentPayload.of(*await run_mutation(call()))

    @strawberry.mutation(description="Route an incident to a body by hand, with the reason.")
    async def route_incident(self, info: strawberry.Info, id: relay.GlobalID,
                             organization_id: relay.GlobalID, reason: str) -> IncidentPayload:
        async def call() -> models.Incident:
            organization = global_pk(organization_id, "Organization", field="organizationId",
                                     message=_("This is not an organization's id"))
            return await triage.route(services(info), info.context.principal,
                                      incident_pk(id), organization, reason)

        return IncidentPayload.of(*await run_mutation(call()))

    @strawberry.mutation(description="Confirm or correct the suggested topic (the topic "
                                     "model learns from it).")
    async def set_incident_topic(self, info: strawberry.Info, id: relay.GlobalID, topic: str
                                 ) -> IncidentPayload:
        async def call() -> models.Incident:
            return await triage.set_topic(services(info), info.context.principal,
                                          incident_pk(id), topic)

        return IncidentPayload.of(*await run_mutation(call()))

    @strawberry.mutation(description="Merge incidents about one problem into the target; "
                                     "their posts move, and a split undoes it.")
    async def merge_incidents(self, info: strawberry.Info, target_id: relay.GlobalID,
                              source_ids: list[relay.GlobalID], reason: str = ""
                              ) -> IncidentPayload:
        async def call() -> models.Incident:
            sources = [incident_pk(s, "sourceIds") for s in source_ids]
            return await merging.merge(info.context.principal,
                                       incident_pk(target_id, "targetId"), sources, reason)

        return IncidentPayload.of(*await run_mutation(call()))

    @strawberry.mutation(description="Move posts out of an incident into a new one; returns "
                                     "the new incident.")
    async def split_incident(self, info: strawberry.Info, id: relay.GlobalID,
                             post_ids: list[relay.GlobalID], reason: str = ""
                             ) -> IncidentPayload:
        async def call() -> models.Incident:
            return await merging.split(info.context.principal, incident_pk(id),
                                       post_pks(post_ids), reason)

        return IncidentPayload.of(*await run_mutation(call()))
