"""Generating and publishing a hearing's protocol and conclusion."""

from __future__ import annotations

from collections.abc import Awaitable

import strawberry
from strawberry import relay

from vmeste.platform.hearings import documents, models, publication
from vmeste.platform.i18n import _
from vmeste.schema.errors import global_pk, run_mutation
from vmeste.schema.hearings.document_queries import hearing_pk
from vmeste.schema.hearings.document_types import HearingDocument, HearingDocumentPayload


@strawberry.input
class GenerateHearingProtocolInput:
    hearing_id: relay.GlobalID


@strawberry.input
class GenerateHearingConclusionInput:
    hearing_id: relay.GlobalID
    conclusions: str = strawberry.field(description="The organiser's conclusions on the "
                                                    "results (part 22 item 6).")


@strawberry.input
class PublishHearingDocumentInput:
    id: relay.GlobalID
    where: str = strawberry.field(description="Where it is officially published (the "
                                              "newspaper's issue, the site).")


async def _payload(call: Awaitable[models.HearingDocument]) -> HearingDocumentPayload:
    row, errors = await run_mutation(call)
    return HearingDocumentPayload(
        document=HearingDocument.from_copy(documents.Copy(row, full=True)) if row else None,
        user_errors=errors)


@strawberry.type
class HearingDocumentsMutation:
    @strawberry.mutation(description="Generate a new version of the protocol from the data: "
                                     "organisers, at the protocol stage; PROPOSALS_PENDING "
                                     "while proposals await moderation, CONFLICT once a "
                                     "protocol is published.")
    async def generate_hearing_protocol(self, info: strawberry.Info,
                                        input: GenerateHearingProtocolInput
                                        ) -> HearingDocumentPayload:
        async def call() -> models.HearingDocument:
            return await documents.generate_protocol(
                info.context.principal, hearing_pk(input.hearing_id),
                now=info.context.runtime.clock())

        return await _payload(call())

    @strawberry.mutation(description="Generate a new version of the conclusion: organisers, at "
                                     "the conclusion stage, once a protocol exists; "
                                     "RECOMMENDATIONS_MISSING while a proposal of the "
                                     "protocol has no recommendation, CONFLICT once a "
                                     "conclusion is published.")
    async def generate_hearing_conclusion(self, info: strawberry.Info,
                                          input: GenerateHearingConclusionInput
                                          ) -> HearingDocumentPayload:
        async def call() -> models.HearingDocument:
            return await documents.generate_conclusion(
                info.context.principal, hearing_pk(input.hearing_id), input.conclusions,
                now=info.context.runtime.clock())

        return await _payload(call())

    @strawberry.mutation(description="Publish the newest version of a document, recording "
                                     "where: it is frozen, its copies' hashes in the audit "
                                     "trail (refused as generation is, and CONFLICT when "
                                     "the data changed since it was generated).")
    async def publish_hearing_document(self, info: strawberry.Info,
                                       input: PublishHearingDocumentInput
                                       ) -> HearingDocumentPayload:
        async def call() -> models.HearingDocument:
            pk = global_pk(input.id, "HearingDocument", field="id",
                           message=_("This is not a hearing document's id"))
            return await publication.publish_document(
                info.context.principal, pk, input.where, now=info.context.runtime.clock())

        return await _payload(call())
