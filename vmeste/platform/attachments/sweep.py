"""Unattached uploads are swept by the deadline watchdog once their
``sweep_after`` (``VMESTE_ATTACHMENT_UNATTACHED_HOURS`` after the upload) has come: a
file someone uploaded and never sent is not kept."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise.queryset import QuerySet

from vmeste.platform.attachments.models import Attachment
from vmeste.platform.attachments.uploads import AttachmentServices

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


class UnattachedSweep:
    name = "attachment_sweep"
    subject_type = "attachment"
    steps = ("swept",)

    def due(self, now: datetime) -> QuerySet[Attachment]:
        return Attachment.filter(sweep_after__lte=now, parent_id__isnull=True)

    def subject_id(self, row: Attachment) -> int:
        return row.id

    async def step(self, runtime: Runtime, row: Attachment, now: datetime) -> list[str]:
        return ["swept"] if await runtime.service(AttachmentServices).sweep_one(row) else []

    def following(self, scope: str | None) -> None:
        """A period after the upload, not a term on the calendars."""
        return None

    async def recompute(self, runtime: Runtime, subject_id: int, now: datetime) -> bool:
        return False
