"""A citizen's export archives, their erasure requests, and the retention sweep's
bookkeeping."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ExportStatus(StrEnum):
    REQUESTED = "requested"
    READY = "ready"
    #: Its archive was deleted once its days were over.
    EXPIRED = "expired"
    FAILED = "failed"


class DataExport(Model):
    """One archive of everything the platform holds about its owner."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="data_exports", on_delete=fields.CASCADE)
    status = fields.CharEnumField(ExportStatus, max_length=16, default=ExportStatus.REQUESTED)
    requested_at = fields.DatetimeField()
    ready_at = fields.DatetimeField(null=True)
    #: When the archive is deleted (set once it is built).
    expires_at = fields.DatetimeField(null=True, db_index=True)
    #: The archive's file name under the data directory's ``exports`` folder.
    file_name = fields.CharField(max_length=100, default="")
    size = fields.BigIntField(default=0)
    sha256 = fields.CharField(max_length=64, default="")
    #: Section name and how many records it holds, as in the manifest.
    sections = fields.JSONField(default=dict)
    revision = fields.IntField(default=0)

    user_id: int

    class Meta:
        table = "data_export"
        ordering = ["id"]
        indexes = (("user_id", "id"),)


class ErasureStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELED = "canceled"
    DONE = "done"


class ErasureRequest(Model):
    """A citizen's request to erase their data: the record of what was asked, when it
    ran and what each component did (counts, never the data itself)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="erasure_requests", on_delete=fields.RESTRICT)
    status = fields.CharEnumField(ErasureStatus, max_length=16,
                                  default=ErasureStatus.SCHEDULED, db_index=True)
    requested_at = fields.DatetimeField()
    #: Not executed before this moment: the cooling-off period, or what a component
    #: holds it for (an open vote the person took part in).
    execute_after = fields.DatetimeField()
    executed_at = fields.DatetimeField(null=True)
    canceled_at = fields.DatetimeField(null=True)
    #: Section name and its counts (removed, pseudonymised, kept, notes).
    outcome = fields.JSONField(default=dict)
    revision = fields.IntField(default=0)

    user_id: int

    class Meta:
        table = "erasure_request"
        ordering = ["id"]


class RetentionSweep(Model):
    """When the retention sweep last ran and runs next (one row), for the watchdog."""

    id = fields.IntField(primary_key=True)
    next_run_at = fields.DatetimeField(db_index=True)
    last_run_at = fields.DatetimeField(null=True)
    #: Section name and its counts at the last run.
    last_outcome = fields.JSONField(default=dict)

    class Meta:
        table = "retention_sweep"
