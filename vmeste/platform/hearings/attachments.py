"""Files of the draft act (maps, annexes), kept content-addressed in the data directory.

A file is stored once under its SHA-256 (``<data dir>/hearings/ab/abcd…``), written to
a temporary name and renamed, so a reader never sees half a file and the same file
uploaded twice is kept once. What the hearing knows of it (its name, type, size and
hash, and which version it belongs to) is a :class:`HearingAttachment` row; the row's
``storage_key`` is the storage's own key, so another storage (an object store) can take
the place of :class:`FileStorage` without a change to the rows' meaning.

Only the types an act's annexes come in are taken (PDF, PNG, JPEG, DOCX, ODT, ZIP), and
the content must start as its type says (a file's magic bytes), up to
``VMESTE_HEARING_ATTACHMENT_MAX_BYTES`` (20 MB by default). A file is readable by
whoever may read its version: everyone once published, the organisers, staff and
auditors before.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.files import write_atomically
from vmeste.platform.hearings import access
from vmeste.platform.hearings.drafts import hearing_of, may_read_unpublished, may_see
from vmeste.platform.hearings.lifecycle import Action
from vmeste.platform.hearings.models import DraftVersion, HearingAttachment, HearingStatus
from vmeste.platform.hearings.steps import HEARING_STEPS
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal

ZIP_MAGIC = (b"PK\x03\x04",)
#: Allowed content types and how their content starts.
ALLOWED_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ZIP_MAGIC,
    "application/vnd.oasis.opendocument.text": ZIP_MAGIC,
    "application/zip": ZIP_MAGIC,
}
NAME_MAX = 255
#: Files of one version (or of the hearing as a whole): an act has a handful of annexes.
ATTACHMENTS_MAX = 100
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")
_SHA = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class FileStorage:
    """Content-addressed files under ``root``."""

    root: Path

    def path(self, key: str) -> Path:
        if not _SHA.match(key):
            raise ValueError("not a storage key")
        return self.root / key[:2] / key

    async def put(self, data: bytes) -> str:
        """The key of ``data`` (its SHA-256, hex), stored once."""
        key = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self._write, self.path(key), data)
        return key

    async def read(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path(key).read_bytes)

    @staticmethod
    def _write(target: Path, data: bytes) -> None:
        if not target.exists():  # content-addressed: the same bytes are there already
            write_atomically(target, data)


def storage_in(data_dir: Path) -> FileStorage:
    return FileStorage(data_dir / "hearings")


@dataclass(frozen=True)
class Upload:
    name: str
    content_type: str
    data: bytes


def decode(content_base64: str, max_bytes: int) -> bytes:
    """The bytes of a base64 upload; a text longer than the limit allows is refused
    before it is decoded."""
    if len(content_base64) > (max_bytes + 2) // 3 * 4 + 4:
        raise too_big(max_bytes)
    try:
        return base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise DomainError.of("contentBase64", _("This is not base64"),
                             ErrorCode.INVALID) from None


def too_big(max_bytes: int) -> DomainError:
    return DomainError.of("contentBase64", _("The file is larger than {limit} bytes",
                                             limit=max_bytes), ErrorCode.INVALID)


def _checked(upload: Upload, max_bytes: int) -> str:
    """The upload's cleaned name, once its name, type, size and content are checked."""
    name = _UNSAFE.sub("_", upload.name.strip())[-NAME_MAX:]
    if not name:
        raise DomainError.of("name", _("The file name is required"), ErrorCode.REQUIRED)
    magic = ALLOWED_TYPES.get(upload.content_type)
    if magic is None:
        raise DomainError.of("contentType", _("Files of this type are not accepted (allowed: "
                                              "{allowed})", allowed="PDF, PNG, JPEG, DOCX, "
                                              "ODT, ZIP"), ErrorCode.INVALID)
    if not upload.data:
        raise DomainError.of("contentBase64", _("The file is empty"), ErrorCode.REQUIRED)
    if len(upload.data) > max_bytes:
        raise too_big(max_bytes)
    if not upload.data.startswith(magic):
        raise DomainError.of("contentBase64", _("The content is not of the type given"),
                             ErrorCode.INVALID)
    return name


async def add_attachment(principal: Principal, storage: FileStorage, hearing_id: int,
                         version_id: int | None, upload: Upload, *, max_bytes: int
                         ) -> HearingAttachment:
    """Attach a file to the hearing's draft (to one version, or to the hearing as a
    whole), while versions may still be added."""
    hearing = await hearing_of(hearing_id)
    access.require_organiser(principal, hearing.territory_path, hearing.organiser_id)
    HEARING_STEPS.require(Action.ADD_VERSION, hearing)
    if version_id is not None and not await DraftVersion.exists(id=version_id,
                                                                hearing_id=hearing.pk):
        raise DomainError.of("versionId", _("The hearing has no such version"),
                             ErrorCode.NOT_FOUND)
    name = _checked(upload, max_bytes)
    if await HearingAttachment.filter(hearing_id=hearing.pk, version_id=version_id).count() >= (
            ATTACHMENTS_MAX):
        raise DomainError.of("versionId", _("At most {limit} files", limit=ATTACHMENTS_MAX),
                             ErrorCode.INVALID)
    key = await storage.put(upload.data)
    async with in_transaction() as conn:
        row = await HearingAttachment.create(
            hearing_id=hearing.pk, version_id=version_id, name=name,
            content_type=upload.content_type, size=len(upload.data), sha256=key,
            storage_key=key, created_by=principal.actor, using_db=conn)
        await record(actor=principal.actor, action="hearing.add_attachment",
                     object_type="hearing_attachment", object_id=row.pk, before=None,
                     after={"hearing_id": hearing.pk, "version_id": version_id, "name": name,
                            "content_type": upload.content_type, "size": row.size,
                            "sha256": key},
                     scope_path=hearing.territory_path, using=conn)
    return row


async def readable_attachment(principal: Principal, attachment_id: int
                              ) -> HearingAttachment | None:
    """The attachment when the caller may read its version (None otherwise, as for one
    that does not exist: a URL tells nothing of a draft)."""
    row = await HearingAttachment.get_or_none(id=attachment_id).prefetch_related(
        "hearing", "version")
    if row is None or not may_see(principal, row.hearing):
        return None
    if not published(row) and not may_read_unpublished(principal, row.hearing):
        return None
    return row


def published(row: HearingAttachment) -> bool:
    """Whether everyone reads the file: its version is published, or (a file of the
    hearing as a whole) the exposition has opened."""
    if row.version is not None:
        return row.version.published_at is not None
    if row.hearing.status == HearingStatus.CANCELLED:  # opened or not: nothing says
        return False
    return row.hearing.status not in (HearingStatus.DRAFT, HearingStatus.NOTICE)
