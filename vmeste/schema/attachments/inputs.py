"""Upload ids in a mutation's input."""

from __future__ import annotations

from strawberry import relay

from vmeste.platform.i18n import _
from vmeste.schema.errors import global_pk

FIELD = "attachmentIds"


def attachment_pks(ids: list[relay.GlobalID] | None, field: str = FIELD) -> tuple[int, ...]:
    """The uploads' keys; an id of another type is ``INVALID`` on ``field``."""
    return tuple(global_pk(each, "Attachment", field=field, message=_("This is not a file's id"))
                 for each in ids or ())
