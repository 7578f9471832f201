"""A citizen's export archives and erasure requests."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from vmeste.platform.privacy import links, models
from vmeste.platform.settings import Settings

DataExportStatus = strawberry.enum(models.ExportStatus, name="DataExportStatus")
ErasureStatus = strawberry.enum(models.ErasureStatus, name="ErasureStatus")


@strawberry.type(description="An archive of everything the platform holds about you.")
class DataExport:
    id: relay.GlobalID
    status: DataExportStatus  # type: ignore[valid-type]
    requested_at: datetime
    ready_at: datetime | None
    expires_at: datetime | None = strawberry.field(
        description="When the archive is deleted (VMESTE_DATA_EXPORT_DAYS after it was built).")
    size: int = strawberry.field(description="The archive's size in bytes (0 until ready).")
    sha256: str = strawberry.field(description="The archive's SHA-256, hex (\"\" until ready).")
    sections: JSON = strawberry.field(description="Section name → number of records.")
    download_url: str | None = strawberry.field(description=(
        "A path with a signature that downloads the ZIP without a token, valid "
        "VMESTE_DATA_EXPORT_LINK_MINUTES; null unless ready. List again for a fresh one."))

    @classmethod
    def from_model(cls, row: models.DataExport, settings: Settings, now: datetime) -> Self:
        return cls(id=relay.GlobalID("DataExport", str(row.id)), status=row.status,
                   requested_at=row.requested_at, ready_at=row.ready_at,
                   expires_at=row.expires_at, size=row.size, sha256=row.sha256,
                   sections=row.sections,
                   download_url=links.download_url(settings, row, now)
                   if row.status == models.ExportStatus.READY else None)


@strawberry.type(description="Your request to erase your data, and what was done.")
class ErasureRequest:
    id: relay.GlobalID
    status: ErasureStatus  # type: ignore[valid-type]
    requested_at: datetime
    execute_after: datetime = strawberry.field(
        description="Not executed before (the cooling-off period, or an open vote you took "
                    "part in); cancelable until then.")
    executed_at: datetime | None
    canceled_at: datetime | None
    outcome: JSON = strawberry.field(description=(
        "Per section: rows removed, pseudonymised and kept, and why rows were kept."))

    @classmethod
    def from_model(cls, row: models.ErasureRequest) -> Self:
        return cls(id=relay.GlobalID("ErasureRequest", str(row.id)), status=row.status,
                   requested_at=row.requested_at, execute_after=row.execute_after,
                   executed_at=row.executed_at, canceled_at=row.canceled_at,
                   outcome=row.outcome)
