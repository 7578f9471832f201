"""A file attached to an appeal, an answer, a proposal or an incident, with signed,
expiring URLs for its bytes and its thumbnail."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from vmeste.platform.attachments.models import Attachment as AttachmentRow
from vmeste.platform.attachments.signing import Variant, expiry, signed_path, signing_key
from vmeste.platform.components import attachment_parents_of
from vmeste.platform.settings import MAX_FILES_PER_PARENT
from vmeste.schema.cost import at_most
from vmeste.schema.errors import node_pks
from vmeste.schema.loaders import grouped

#: Field metadata of a list of one object's files.
FILES = at_most(MAX_FILES_PER_PARENT)


@strawberry.type(name="Attachment", description="A photo or document attached to an object. "
                 "Its URLs are signed for the caller, who may see the object, and expire "
                 "after VMESTE_ATTACHMENT_URL_SECONDS (at most twice that); ask again for "
                 "fresh ones.")
class AttachmentNode(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="The file name the uploader gave, made safe.")
    content_type: str = strawberry.field(description="Detected from the content.")
    size: int = strawberry.field(description="Bytes stored (an image's after its metadata "
                                             "was removed).")
    created_at: datetime
    row: strawberry.Private[AttachmentRow]

    @classmethod
    def from_model(cls, row: AttachmentRow) -> Self:
        return cls(id=row.id, name=row.name, content_type=row.content_type, size=row.size,
                   created_at=row.created_at, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        """The caller's own uploads, and files of objects the caller may see: one
        visibility check per object, not per file, and none for one's own. The schema
        has ``node(id:)`` only, which asks for one id at a time, so a page of them costs
        one check each; batching across objects would need every component's rule as a
        set query (``may_see`` answers for one object)."""
        ids = node_pks(node_ids)
        principal = info.context.principal
        parents = attachment_parents_of(info.context.runtime.components)
        rows = await AttachmentRow.filter(id__in=ids)
        user_id = principal.user.id if principal.user is not None else None
        objects = {(row.parent_kind, row.parent_id) for row in rows
                   if row.uploader_id != user_id and row.parent_kind in parents
                   and row.parent_id is not None}
        seen = {(kind, pk) for kind, pk in objects
                if await parents[kind].may_see(principal, pk)}
        found = {row.id: cls.from_model(row) for row in rows
                 if (row.uploader_id == user_id and user_id is not None)
                 or (row.parent_kind, row.parent_id) in seen}
        return [found.get(pk) for pk in ids]

    @strawberry.field(description="The file; signed for the caller, expiring.")
    def download_url(self, info: strawberry.Info) -> str:
        return _url(info, self.row.id, Variant.FILE)

    @strawberry.field(description="A JPEG of at most 320×320 pixels, for images; null for "
                                  "documents.")
    def thumbnail_url(self, info: strawberry.Info) -> str | None:
        return _url(info, self.row.id, Variant.THUMBNAIL) if self.row.thumbnail_key else None


def _url(info: strawberry.Info, attachment_id: int, variant: Variant) -> str:
    runtime = info.context.runtime
    settings = runtime.settings
    path = signed_path(signing_key(settings.secret_key), attachment_id, variant,
                       expiry(runtime.clock(), settings.attachment_url_seconds))
    request = info.context.request
    base = str(getattr(request, "base_url", "") or "").rstrip("/")
    return f"{base}{path}"


def files_of(parent_kind: str) -> DataLoader[int, list[AttachmentNode]]:
    """Each object's files of ``parent_kind``, oldest first, in one query per page."""
    return grouped(AttachmentRow.filter(parent_kind=parent_kind), "parent_id",
                   AttachmentNode.from_model)
