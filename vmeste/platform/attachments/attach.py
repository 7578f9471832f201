"""Attaching uploads to an object, inside the step that writes the object.

A component whose objects take files declares an :class:`AttachmentParent` in its
``Component`` (``attachment_parents``): the kind of object and who may see one, which
is the one rule for who gets a file's download URL. The component's step calls
:func:`attach` in its own transaction with the caller's upload ids, so the object and
its files are stored together or not at all, with one audit record.

Only the caller's own unattached uploads can be attached; any other id (someone
else's, attached already, unknown) is the same ``NOT_FOUND``, so an id tells nothing
of another person's files.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.attachments.models import Attachment
from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import Principal

FIELD = "attachmentIds"


@dataclass(frozen=True)
class AttachmentParent:
    """A kind of object files are attached to."""

    #: Stored in ``attachment.parent_kind`` (``appeal``, ``appeal_answer``, …).
    name: str
    #: Whether the caller may see the object with this id (and so its files).
    may_see: Callable[[Principal, int], Awaitable[bool]]


@dataclass(frozen=True)
class Files:
    """The uploads a step is to attach, and how many files its object may hold
    (``VMESTE_ATTACHMENT_MAX_PER_PARENT``), as a component's input carries them."""

    ids: tuple[int, ...] = ()
    limit: int = 10


def _distinct(ids: Sequence[int], limit: int, field: str) -> list[int]:
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > limit:
        raise DomainError.of(field, _("At most {limit} files", limit=limit),
                             ErrorCode.TOO_MANY_FILES)
    return wanted


async def check_attachable(principal: Principal, ids: Sequence[int], limit: int,
                           field: str = FIELD) -> list[int]:
    """The distinct ids, once they are the caller's own unattached uploads and fit
    ``limit``; an early refusal before the object's step does its work."""
    wanted = _distinct(ids, limit, field)
    if not wanted:
        return []
    user_id = principal.user.id if principal.user is not None else None
    found = await Attachment.filter(id__in=wanted, uploader_id=user_id,
                                    parent_id__isnull=True).count()
    if found != len(wanted):
        raise DomainError.of(field, _("A file is not found among your uploads"),
                             ErrorCode.NOT_FOUND)
    return wanted


async def lock_user(conn: BaseDBAsyncClient, user_id: int) -> None:
    """Hold the user's row until ``conn`` ends, so two of one person's steps that count
    files and then add one run one after the other (PostgreSQL: ``FOR UPDATE``; SQLite
    serialises writing transactions anyway)."""
    # A model query: Tortoise drops FOR UPDATE from values_list queries.
    await User.filter(id=user_id).select_for_update().using_db(conn).only("id").first()


async def attach(conn: BaseDBAsyncClient, principal: Principal, ids: Sequence[int], *,
                 parent: str, parent_id: int, limit: int, now: datetime, scope_path: str = "",
                 field: str = FIELD) -> list[int]:
    """Attach the caller's uploads ``ids`` to the object, in the object's transaction;
    the ids attached. The object's count is taken under the caller's lock: one
    person's two steps on one object cannot both pass it (the steps of two people on
    one object are ordered by the object's own step, which writes its row)."""
    wanted = _distinct(ids, limit, field)
    if not wanted:
        return []
    if principal.user is None:
        raise DomainError.of(field, _("A file is not found among your uploads"),
                             ErrorCode.NOT_FOUND)
    await lock_user(conn, principal.user.id)
    held = await Attachment.filter(parent_kind=parent, parent_id=parent_id).using_db(
        conn).count()
    if held + len(wanted) > limit:
        raise DomainError.of(field, _("At most {limit} files", limit=limit),
                             ErrorCode.TOO_MANY_FILES)
    # Guarded by "still unattached and still the caller's": a concurrent step that took
    # one of them first leaves fewer rows to update, and this one fails whole.
    moved = await Attachment.filter(id__in=wanted, uploader_id=principal.user.id,
                                    parent_id__isnull=True).using_db(conn).update(
        parent_kind=parent, parent_id=parent_id, attached_at=now, sweep_after=None)
    if moved != len(wanted):
        raise DomainError.of(field, _("A file is not found among your uploads"),
                             ErrorCode.NOT_FOUND)
    await record(actor=principal.actor, action="attachment.attach", object_type=parent,
                 object_id=parent_id, before=None, after={"attachment_ids": wanted},
                 scope_path=scope_path, using=conn)
    return wanted


async def release(conn: BaseDBAsyncClient, parents: Sequence[str], parent_ids: Sequence[int],
                  now: datetime) -> int:
    """Let the files of these objects go: in the caller's transaction they become
    unattached and due, so the sweep deletes the rows and then the bytes (a rolled-back
    caller leaves them attached, and no bytes are lost before their row)."""
    if not parent_ids:
        return 0
    return await Attachment.filter(parent_kind__in=parents, parent_id__in=parent_ids).using_db(
        conn).update(parent_kind=None, parent_id=None, attached_at=None, sweep_after=now)
