"""Answers and their outcome: the body drafts, the responsible person approves (the
publication job then posts it once from the official account), a person settles a
delivery the network left unknown; the author's score as read from the reactions; and
an incident filed as an appeal (see :mod:`vmeste.platform.incidents.replies`,
``publication``, ``satisfaction`` and ``conversion``)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from vmeste.platform.incidents import conversion, models, publication, replies, satisfaction
from vmeste.schema.appeals.context import appeal_services
from vmeste.schema.appeals.types import Appeal
from vmeste.schema.attachments.inputs import files
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.incidents.payloads import (
    IncidentPayload,
    IncidentReplyPayload,
    reply_pk,
    services,
)
from vmeste.schema.incidents.queries import incident_pk
from vmeste.schema.incidents.types import Incident, ReplyKind


@strawberry.type
class ConvertIncidentPayload:
    incident: Incident | None
    appeal: Appeal | None
    user_errors: list[UserError]


@strawberry.type
class IncidentReplyMutation:
    @strawberry.mutation(description="Draft the answer (an incident has one open draft: "
                                     "drafting again edits it).")
    async def draft_incident_reply(
        self, info: strawberry.Info, incident_id: relay.GlobalID, text: str,
        kind: ReplyKind = models.ReplyKind.FINAL,  # type: ignore[valid-type]
        attachment_ids: Annotated[list[relay.GlobalID] | None, strawberry.argument(
            description="Your own unattached uploads (POST /attachments): they join the "
                        "incident's files.")] = None,
    ) -> IncidentReplyPayload:
        async def call() -> models.IncidentReply:
            return await replies.draft(services(info), info.context.principal,
                                       incident_pk(incident_id, "incidentId"), text,
                                       models.ReplyKind(kind),
                                       files(info, attachment_ids))

        return IncidentReplyPayload.of(*await run_mutation(call()))

    @strawberry.mutation(description="Approve the draft: it is published once from the "
                                     "official account by the workers.")
    async def approve_incident_reply(self, info: strawberry.Info, id: relay.GlobalID
                                     ) -> IncidentReplyPayload:
        async def call() -> models.IncidentReply:
            return await replies.approve(services(info), info.context.principal, reply_pk(id))

        return IncidentReplyPayload.of(*await run_mutation(call()))

    @strawberry.mutation(description="Send the draft back with the reason.")
    async def reject_incident_reply(self, info: strawberry.Info, id: relay.GlobalID,
                                    reason: str) -> IncidentReplyPayload:
        async def call() -> models.IncidentReply:
            return await replies.reject(services(info), info.context.principal, reply_pk(id),
                                        reason)

        return IncidentReplyPayload.of(*await run_mutation(call()))

    @strawberry.mutation(description="Settle a delivery the network left unknown: the "
                                     "comment's id when the answer is on the page, null to "
                                     "publish it again.")
    async def settle_incident_reply(self, info: strawberry.Info, id: relay.GlobalID,
                                    comment_ref: str | None = None) -> IncidentReplyPayload:
        async def call() -> models.IncidentReply:
            return await publication.settle(services(info), info.context.principal,
                                            reply_pk(id), comment_ref)

        return IncidentReplyPayload.of(*await run_mutation(call()))

    @strawberry.mutation(description="Record the author's satisfaction (1–5) as read from "
                                     "the reactions to the answer; a low score sends the "
                                     "incident back to the body.")
    async def record_incident_satisfaction(self, info: strawberry.Info, id: relay.GlobalID,
                                           score: int) -> IncidentPayload:
        async def call() -> models.Incident:
            return await satisfaction.record(services(info), info.context.principal,
                                             incident_pk(id), score)

        return IncidentPayload.of(*await run_mutation(call()))

    @strawberry.mutation(description="File the incident as an appeal on the author's behalf "
                                     "(the social channel); the appeal links back to its "
                                     "posts.")
    async def convert_incident_to_appeal(self, info: strawberry.Info, id: relay.GlobalID,
                                         category_code: str | None = None,
                                         text: str | None = None) -> ConvertIncidentPayload:
        async def call() -> tuple[models.Incident, Appeal]:
            pk = incident_pk(id)
            appeal = await conversion.to_appeal(services(info), info.context.principal, pk,
                                                appeal_services(info), category_code, text)
            return await models.Incident.get(id=pk), Appeal.from_model(appeal)

        done, errors = await run_mutation(call())
        return ConvertIncidentPayload(
            incident=Incident.from_model(done[0]) if done else None,
            appeal=done[1] if done else None, user_errors=errors)
