"""GraphQL types of a hearing's protocol and conclusion versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Self

import strawberry
from strawberry import relay

from vmeste.platform.hearings import models
from vmeste.platform.hearings.documents import Copy
from vmeste.platform.hearings.downloads import document_path
from vmeste.schema.errors import UserError

HearingDocumentKind = strawberry.enum(models.DocumentKind, name="HearingDocumentKind")


@strawberry.type(description="A version of a hearing's protocol (Town Planning Code art. 5.1 "
                             "part 18) or conclusion (part 22). A published version is frozen: "
                             "its sha256 is in the audit trail and it never changes.")
class HearingDocument:
    id: relay.GlobalID
    kind: HearingDocumentKind  # type: ignore[valid-type]
    version: int = strawberry.field(description="1, 2, … per kind.")
    dated: date = strawberry.field(description="The date printed in the document.")
    sha256: str = strawberry.field(description="SHA-256 of the copy the caller reads, the "
                                               "HTML htmlUrl serves (hex).")
    full_copy: bool = strawberry.field(description="True: the full copy, with the annex "
                                                   "listing the participants (the hearing's "
                                                   "organisers, the organising body's "
                                                   "operators, auditors); false: the public "
                                                   "copy, which names no participant.")
    published_at: datetime | None
    published_where: str
    html_url: str = strawberry.field(description="This version as HTML (a path on the API).")
    pdf_url: str = strawberry.field(description="This version as PDF (a path on the API).")

    @classmethod
    def from_copy(cls, copy: Copy) -> Self:
        row = copy.document

        def url(fmt: str) -> str:
            return f"{document_path(row.hearing_id, row.kind, fmt)}?version={row.version}"

        return cls(id=relay.GlobalID("HearingDocument", str(row.id)), kind=row.kind,
                   version=row.version, dated=row.dated, sha256=copy.sha256,
                   full_copy=copy.full, published_at=row.published_at,
                   published_where=row.published_where,
                   html_url=url("html"), pdf_url=url("pdf"))


@strawberry.type
class HearingDocumentPayload:
    document: HearingDocument | None
    user_errors: list[UserError]
