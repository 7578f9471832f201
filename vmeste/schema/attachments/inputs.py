"""Upload ids in a mutation's input (``attachmentIds: [ID!]``)."""

from __future__ import annotations

import strawberry
from strawberry import relay

from vmeste.platform.attachments.attach import Files
from vmeste.platform.i18n import _
from vmeste.schema.errors import global_pk

FIELD = "attachmentIds"


def attachment_pks(ids: list[relay.GlobalID] | None, field: str = FIELD) -> tuple[int, ...]:
    """The uploads' keys; an id of another type is ``INVALID`` on ``field``."""
    return tuple(global_pk(each, "Attachment", field=field, message=_("This is not a file's id"))
                 for each in ids or ())


def files(info: strawberry.Info, ids: list[relay.GlobalID] | None, field: str = FIELD) -> Files:
    """The uploads to attach, with the installation's limit per object."""
    return Files(attachment_pks(ids, field), info.context.settings.attachment_max_per_parent)
