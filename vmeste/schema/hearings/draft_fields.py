"""Reading the draft act of a hearing, adding versions and attaching files."""

from __future__ import annotations

import strawberry
from strawberry import relay

from vmeste.platform.hearings import models
from vmeste.platform.hearings.attachments import Upload, add_attachment, decode, storage_in
from vmeste.platform.hearings.drafts import VersionInput, add_version, version_for
from vmeste.platform.hearings.markdown import Section
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.hearings.draft_context import hearing_pk, now, settings
from vmeste.schema.hearings.draft_types import DraftVersion, HearingAttachment


@strawberry.input
class DraftSectionInput:
    depth: int = strawberry.field(default=1, description="1 for a chapter, up to 8.")
    number: str = ""
    heading: str = ""
    text: str = ""


@strawberry.input(description="Either markdown or sections.")
class AddHearingDraftVersionInput:
    hearing_id: relay.GlobalID
    title: str
    markdown: str | None = strawberry.field(
        default=None, description="Headings are sections; ordered list items and paragraphs "
                                  "opening with a number (1.2.) are numbered points.")
    sections: list[DraftSectionInput] | None = None


@strawberry.input
class AddHearingAttachmentInput:
    hearing_id: relay.GlobalID
    version_id: int | None = strawberry.field(
        default=None, description="Null: a file of the hearing as a whole.")
    name: str
    content_type: str = strawberry.field(description="application/pdf, image/png, image/jpeg, "
                                                     "DOCX, ODT or application/zip.")
    content_base64: str = strawberry.field(
        description="Up to VMESTE_HEARING_ATTACHMENT_MAX_BYTES; the request must also fit "
                    "VMESTE_MAX_REQUEST_BYTES.")


@strawberry.type
class DraftVersionPayload:
    version: DraftVersion | None
    user_errors: list[UserError]


@strawberry.type
class HearingAttachmentPayload:
    attachment: HearingAttachment | None
    user_errors: list[UserError]


@strawberry.type
class DraftQuery:
    @strawberry.field(description="A version of a hearing's draft (null version: the newest "
                                  "the caller may read). Unpublished versions are for the "
                                  "organisers, staff and auditors; null when there is none.")
    async def hearing_draft(self, info: strawberry.Info, hearing_id: relay.GlobalID,
                            version: int | None = None) -> DraftVersion | None:
        row = await version_for(info.context.principal, hearing_pk(hearing_id), version)
        return DraftVersion.from_model(row) if row is not None else None


@strawberry.type
class DraftMutation:
    @strawberry.mutation(description="Add a version of the draft (the hearing's organisers, "
                                     "until proposals end): from Markdown or section by "
                                     "section.")
    async def add_hearing_draft_version(self, info: strawberry.Info,
                                        input: AddHearingDraftVersionInput
                                        ) -> DraftVersionPayload:
        async def call() -> models.DraftVersion:
            sections = None if input.sections is None else [
                Section(s.depth, s.number, s.heading, s.text) for s in input.sections]
            return await add_version(
                info.context.principal, hearing_pk(input.hearing_id),
                VersionInput(input.title, input.markdown, sections), now=now(info))

        row, errors = await run_mutation(call())
        return DraftVersionPayload(version=DraftVersion.from_model(row) if row else None,
                                   user_errors=errors)

    @strawberry.mutation(description="Attach a file to the draft (the hearing's organisers, "
                                     "until proposals end), sent as base64.")
    async def add_hearing_attachment(self, info: strawberry.Info,
                                     input: AddHearingAttachmentInput
                                     ) -> HearingAttachmentPayload:
        async def call() -> models.HearingAttachment:
            limit = settings(info).hearing_attachment_max_bytes
            hearing_id = hearing_pk(input.hearing_id)
            upload = Upload(input.name, input.content_type, decode(input.content_base64, limit))
            return await add_attachment(info.context.principal, storage_in(
                settings(info).data_dir), hearing_id, input.version_id, upload, max_bytes=limit)

        row, errors = await run_mutation(call())
        return HearingAttachmentPayload(
            attachment=HearingAttachment.from_model(row) if row else None, user_errors=errors)
