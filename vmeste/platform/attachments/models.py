"""Files citizens and staff add to appeals, answers, proposals and incidents: what the
platform knows of each stored file (its bytes live in a storage strategy)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ScanState(StrEnum):
    """What the scan strategies said before the file was stored (an infected file is
    refused and never stored, so it has no state here)."""

    #: No scanner is active where the file was uploaded.
    NOT_SCANNED = "not_scanned"
    CLEAN = "clean"


class Attachment(Model):
    """One uploaded file: unattached (parent null) until a step attaches it, then
    readable by whoever may see its parent."""

    id = fields.IntField(primary_key=True)
    uploader: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="attachments", on_delete=fields.RESTRICT)
    #: The kind of object it belongs to (appeal, appeal_answer, proposal, incident)
    parent_kind = fields.CharField(max_length=32, null=True)
    parent_id = fields.IntField(null=True)
    #: The storage strategy holding the bytes, so a download finds them after a change
    storage = fields.CharField(max_length=64)
    storage_key = fields.CharField(max_length=500)
    #: Detected from the bytes, never the client's word
    content_type = fields.CharField(max_length=128)
    size = fields.BigIntField()
    #: Of the stored bytes (an image's are the re-encoded ones)
    sha256 = fields.CharField(max_length=64)
    name = fields.CharField(max_length=255)
    thumbnail_key = fields.CharField(max_length=500, null=True)
    scan_state = fields.CharEnumField(ScanState, max_length=16)
    #: The scan strategies that passed it, comma-separated
    scanned_by = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    attached_at = fields.DatetimeField(null=True)
    #: When an unattached upload is swept, null once attached
    sweep_after = fields.DatetimeField(null=True)

    uploader_id: int

    class Meta:
        table = "attachment"
        ordering = ["id"]
        indexes = (("parent_kind", "parent_id"), ("sweep_after",), ("uploader_id", "parent_id"))
