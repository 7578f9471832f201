"""A citizen's export: asked for through GraphQL, built by a background job from every
component's declaration, downloaded through a signed link, deleted when it expires."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.components import personal_data_of
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.outbox.services import emit
from vmeste.platform.privacy import archive
from vmeste.platform.privacy.access import owner
from vmeste.platform.privacy.kinds import OwnRows
from vmeste.platform.privacy.models import DataExport, ExportStatus

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

#: Topic of archives to build: payload ``{"export_id": int}``.
EXPORT_BUILD = "privacy.export"


def exports_of(principal: Principal) -> QuerySet[DataExport]:
    return DataExport.filter(user_id=owner(principal).id)


async def request_export(runtime: Runtime, principal: Principal) -> DataExport:
    """One archive in the making at a time: a second request while one is built adds
    nothing the first will not hold."""
    user = owner(principal)
    if await DataExport.filter(user_id=user.id, status=ExportStatus.REQUESTED).exists():
        raise DomainError.of(None, _("Your previous export is still being prepared"),
                             ErrorCode.CONFLICT)
    async with in_transaction() as conn:
        export = await DataExport.create(user_id=user.id, requested_at=runtime.clock(),
                                         using_db=conn)
        await record(actor=principal.actor, action="privacy.export.request",
                     object_type="data_export", object_id=export.id, before=None,
                     after={"status": export.status.value}, using=conn)
        await emit(conn, EXPORT_BUILD, {"export_id": export.id}, f"data-export:{export.id}")
    return export


async def build(runtime: Runtime, export_id: int) -> bool:
    """Build a requested archive (idempotent: a built or expired one is left alone, and
    a redelivered job's second archive is deleted); whether this call built it."""
    export = await DataExport.get_or_none(id=export_id)
    if export is None or export.status != ExportStatus.REQUESTED:
        return False
    now = runtime.clock()
    declarations = personal_data_of(runtime.components)
    sections: dict[str, list[dict[str, Any]]] = {
        d.section: await d.export(runtime, export.user_id) for d in declarations}
    data_dir = runtime.settings.data_dir
    built = await archive.write(data_dir, export.id,
                                archive.manifest(now, declarations, sections), sections)
    async with in_transaction() as conn:
        changed = await DataExport.filter(
            id=export.id, revision=export.revision, status=ExportStatus.REQUESTED).using_db(
            conn).update(status=ExportStatus.READY, ready_at=now,
                         expires_at=now + timedelta(days=runtime.settings.data_export_days),
                         file_name=built.file_name, size=built.size, sha256=built.sha256,
                         sections=built.counts, revision=export.revision + 1)
        if changed:
            await record(actor="system", action="privacy.export.ready",
                         object_type="data_export", object_id=export.id, before=None,
                         after={"sections": built.counts, "size": built.size,
                                "sha256": built.sha256}, using=conn)
    if not changed:
        archive.remove(data_dir, built.file_name)
    return bool(changed)


async def fail(export_id: int) -> None:
    """The last retry failed: the citizen sees it and may ask again."""
    await DataExport.filter(id=export_id, status=ExportStatus.REQUESTED).update(
        status=ExportStatus.FAILED)


class ExpiredExports(OwnRows):
    """The deadline kind that deletes archives whose days are over."""

    name = "data_export_expiry"
    subject_type = "data_export"
    steps = ("expired",)

    def due(self, now: datetime) -> QuerySet[DataExport]:
        return DataExport.filter(status=ExportStatus.READY, expires_at__lte=now)

    async def step(self, runtime: Runtime, row: DataExport, now: datetime) -> Sequence[str]:
        changed = await DataExport.filter(id=row.id, revision=row.revision).update(
            status=ExportStatus.EXPIRED, file_name="", revision=row.revision + 1)
        if not changed:
            raise DomainError.of(None, "changed meanwhile", ErrorCode.CONFLICT)
        archive.remove(runtime.settings.data_dir, row.file_name)
        return ["expired"]
