"""GraphQL types of the draft act: its versions, their sections and attached files."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from vmeste.platform.hearings import markdown, models
from vmeste.platform.hearings.attachment_http import attachment_path
from vmeste.platform.hearings.attachments import ATTACHMENTS_MAX
from vmeste.schema.compiled.declare import backed_by
from vmeste.schema.cost import at_most


@backed_by(models.DraftSection)
@strawberry.type(description="A section or numbered point of a draft version: what a "
                             "proposal is anchored to.")
class DraftSection:
    id: int
    position: int = strawberry.field(description="0 for the first, in the act's order.")
    depth: int = strawberry.field(description="1 for a chapter, more for what it holds.")
    number: str = strawberry.field(description="As written in the act (1, 2.3); may be empty.")
    heading: str
    text: str

    @classmethod
    def from_model(cls, row: models.DraftSection) -> Self:
        return cls(id=row.id, position=row.position, depth=row.depth, number=row.number,
                   heading=row.heading, text=row.text)


@strawberry.type(description="A file of the draft (a map, an annex).")
class HearingAttachment:
    id: int
    name: str
    content_type: str
    size: int = strawberry.field(description="In bytes.")
    sha256: str
    url: str = strawberry.field(description="Where it is served, on this API's host.")
    created_at: datetime

    @classmethod
    def from_model(cls, row: models.HearingAttachment) -> Self:
        return cls(id=row.id, name=row.name, content_type=row.content_type, size=row.size,
                   sha256=row.sha256, url=attachment_path(row.id), created_at=row.created_at)


@strawberry.type(description="A version of the draft act. Published with the exposition and "
                             "never changed afterwards; sha256 is over its canonical JSON "
                             "(title and sections).")
class DraftVersion:
    id: int
    number: int
    title: str
    sha256: str
    created_at: datetime
    published_at: datetime | None
    row: strawberry.Private[models.DraftVersion]

    @classmethod
    def from_model(cls, row: models.DraftVersion) -> Self:
        return cls(id=row.id, number=row.number, title=row.title, sha256=row.sha256,
                   created_at=row.created_at, published_at=row.published_at, row=row)

    @strawberry.field(description="In the act's order.", metadata=at_most(markdown.MAX_SECTIONS))
    async def sections(self, info: strawberry.Info) -> list[DraftSection]:
        rows = await info.context.loaders.draft_sections.load(self.row.id)
        return [DraftSection.from_model(r) for r in sorted(rows, key=lambda r: r.position)]

    @strawberry.field(description="Files attached to this version.",
                      metadata=at_most(ATTACHMENTS_MAX))
    async def attachments(self, info: strawberry.Info) -> list[HearingAttachment]:
        rows = await info.context.loaders.draft_attachments.load(self.row.id)
        return [HearingAttachment.from_model(r) for r in rows]
