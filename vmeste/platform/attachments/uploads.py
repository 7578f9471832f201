"""Taking a file in: its type from its bytes, the limits, the scanners, an image
re-encoded without its metadata, the bytes stored, then the row and its audit record.

An upload belongs to its uploader and to nothing else until a step attaches it (see
:mod:`vmeste.platform.attachments.attach`); unattached uploads older than
``VMESTE_ATTACHMENT_UNATTACHED_HOURS`` are swept. The bytes are written before the row:
a crash between the two leaves bytes nobody points at, never a row without bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.attachments.attach import lock_user
from vmeste.platform.attachments.content import TYPES, FileType, detect
from vmeste.platform.attachments.images import ImageRefused, clean
from vmeste.platform.attachments.models import Attachment, ScanState
from vmeste.platform.attachments.scan import SCAN, ScanUnavailable, ScanVerdict
from vmeste.platform.attachments.storage import Storages
from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.reference.models import root_code
from vmeste.platform.settings import Settings

NAME_MAX = 255
FIELD = "file"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")
THUMBNAIL_TYPE = "image/jpeg"


def storage_key() -> str:
    """A fresh key: random, so the same photo uploaded twice is two objects and deleting
    one never takes the other's bytes."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token[2:4]}/{token}"


def clean_name(name: str) -> str:
    found = _UNSAFE.sub("_", name.strip())[-NAME_MAX:]
    return found or "file"


@dataclass
class AttachmentServices:
    settings: Settings
    resolver: PolicyResolver
    storages: Storages
    clock: Callable[[], datetime]
    #: Photos re-encoded at once (VMESTE_ATTACHMENT_IMAGE_WORKERS): each takes a core
    #: and up to about 100 MB of pixels.
    cleaning: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.cleaning = asyncio.Semaphore(self.settings.attachment_image_workers)

    def allowed(self) -> dict[str, FileType]:
        return {TYPES[name].content_type: TYPES[name] for name in self.settings.attachment_types}

    async def upload(self, principal: Principal, name: str, data: bytes) -> Attachment:
        """Store one file for ``principal``, unattached."""
        if principal.user is None:
            raise DomainError.of(None, _("Sign in to upload files"), ErrorCode.UNAUTHENTICATED)
        kind = self._checked(data)
        await self._within_quota(principal.user.id)  # early, before the costly work
        state, scanners = await self._scanned(data)
        thumbnail = None
        if kind.image:
            try:
                async with self.cleaning:
                    image = await asyncio.to_thread(clean, data, kind)
            except ImageRefused:
                raise DomainError.of(FIELD, _("The image cannot be read"),
                                     ErrorCode.WRONG_FILE_TYPE) from None
            data, thumbnail = image.data, image.thumbnail
        storage, store = await self.storages.for_upload()
        key = storage_key()
        thumbnail_key = None if thumbnail is None else f"{key}.thumb"
        try:
            await store.put(key, data, kind.content_type)
            if thumbnail_key is not None and thumbnail is not None:
                await store.put(thumbnail_key, thumbnail, THUMBNAIL_TYPE)
        except OSError:  # StorageUnavailable included; the sweep never sees these keys
            raise DomainError.of(FIELD, _("Files cannot be stored now; try again later"),
                                 ErrorCode.STORAGE_UNAVAILABLE) from None
        async with in_transaction() as conn:
            # Again under the uploader's lock: two uploads at once both counted before
            # either was stored (the stored bytes of a refused one are swept as orphans
            # never named by a row: see the module's docstring).
            await lock_user(conn, principal.user.id)
            await self._within_quota(principal.user.id, conn)
            row = await Attachment.create(
                uploader_id=principal.user.id, storage=storage, storage_key=key,
                content_type=kind.content_type, size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), name=clean_name(name),
                thumbnail_key=thumbnail_key, scan_state=state, scanned_by=",".join(scanners),
                sweep_after=self.clock() + timedelta(
                    hours=self.settings.attachment_unattached_hours), using_db=conn)
            await record(actor=principal.actor, action="attachment.upload",
                         object_type="attachment", object_id=row.pk, before=None,
                         after={"content_type": row.content_type, "size": row.size,
                                "sha256": row.sha256, "storage": storage,
                                "scan_state": state.value}, using=conn)
        return row

    async def _within_quota(self, user_id: int, conn: BaseDBAsyncClient | None = None) -> None:
        limit = self.settings.attachment_max_unattached
        if await Attachment.filter(uploader_id=user_id, parent_id__isnull=True).using_db(
                conn).count() >= limit:
            raise DomainError.of(FIELD, _("At most {limit} files may wait to be attached",
                                          limit=limit), ErrorCode.TOO_MANY_FILES)

    def _checked(self, data: bytes) -> FileType:
        limit = self.settings.attachment_max_bytes
        if len(data) > limit:
            raise DomainError.of(FIELD, _("The file is larger than {limit} bytes", limit=limit),
                                 ErrorCode.FILE_TOO_LARGE)
        if not data:
            raise DomainError.of(FIELD, _("The file is empty"), ErrorCode.REQUIRED)
        kind = detect(data)
        if kind is None or kind.content_type not in self.allowed():
            names = ", ".join(name.upper() for name in self.settings.attachment_types)
            raise DomainError.of(FIELD, _("Files of this type are not accepted (allowed: "
                                          "{allowed})", allowed=names),
                                 ErrorCode.WRONG_FILE_TYPE)
        return kind

    async def _scanned(self, data: bytes) -> tuple[ScanState, list[str]]:
        """Every active scanner's look at the original bytes; refused when one finds
        something or cannot tell."""
        root = await root_code()
        if not root:
            return ScanState.NOT_SCANNED, []
        scanners = await self.resolver.chain(root, SCAN)
        for strategy, spec in scanners:
            assert spec.handler is not None
            try:
                verdict = spec.handler(data, strategy.settings)
                if inspect.isawaitable(verdict):
                    verdict = await verdict
            except ScanUnavailable:
                raise DomainError.of(FIELD, _("The file cannot be checked for viruses now; "
                                              "try again later"),
                                     ErrorCode.SCAN_UNAVAILABLE) from None
            assert isinstance(verdict, ScanVerdict)
            if verdict.infected:
                raise DomainError.of(FIELD, _("The file contains malware and was not accepted"),
                                     ErrorCode.FILE_INFECTED)
        if not scanners:
            return ScanState.NOT_SCANNED, []
        return ScanState.CLEAN, [strategy.plugin for strategy, _spec in scanners]

    async def sweep_one(self, row: Attachment) -> bool:
        """Delete an unattached upload whose time is up, the row first and only while it
        is still unattached (a file attached meanwhile keeps its bytes; a crash before
        the bytes go leaves bytes nobody names, never a row without bytes)."""
        async with in_transaction() as conn:
            deleted = await Attachment.filter(id=row.pk, parent_id__isnull=True).using_db(
                conn).delete()
            if not deleted:
                return False
            await record(actor="system:attachments", action="attachment.sweep",
                         object_type="attachment", object_id=row.pk,
                         before={"sha256": row.sha256, "size": row.size}, after=None,
                         using=conn)
        store = await self.storages.store_of(row.storage)
        for key in (row.storage_key, row.thumbnail_key):
            if key:
                await store.delete(key)
        return True
