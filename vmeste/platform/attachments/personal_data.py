"""Attachments' share of a citizen's data rights: the files they uploaded.

A file attached to an appeal, an answer, a proposal or an incident is part of that
object's record and stays while the object keeps its content; the component owning the
object lets it go (:func:`vmeste.platform.attachments.attach.release`) when that
content's retention is over. An erasure therefore keeps attached files, but renames
each one (a file name often carries the person's name), and lets the person's
unattached uploads go at once. Bytes are always deleted by the unattached sweep, after
their row, so a rolled-back erasure loses no file.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from vmeste.platform.attachments.models import Attachment
from vmeste.platform.personal_data import Erasure, Outcome, PersonalData, records

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

COLUMNS = ("id", "parent_kind", "parent_id", "name", "content_type", "size", "sha256",
           "created_at", "attached_at")


async def _export(runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
    return records(await Attachment.filter(uploader_id=user_id).order_by("id").values(*COLUMNS))


async def _erase(erasure: Erasure) -> Outcome:
    conn = erasure.conn
    released = await Attachment.filter(uploader_id=erasure.user_id, parent_id__isnull=True) \
        .using_db(conn).update(sweep_after=erasure.now)
    kept = await Attachment.filter(uploader_id=erasure.user_id, parent_id__isnull=False) \
        .using_db(conn).values_list("id", "name")
    for pk, name in kept:
        await Attachment.filter(id=pk).using_db(conn).update(
            name=f"file-{pk}{PurePath(name).suffix[:16]}")
    outcome = Outcome(removed=released, pseudonymised=len(kept))
    if kept:
        outcome.notes.append("files kept with the objects they are attached to, renamed; "
                             "they go when the object's content does")
    return outcome


ATTACHMENTS_DATA = PersonalData(
    section="attachments", describes="The files you uploaded: their names, types, sizes "
    "and checksums, and what each is attached to.", export=_export, erase=_erase)
