"""The append-only audit trail: who changed what, from which state to which."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class AuditEventImmutable(RuntimeError):
    """Raised when code tries to rewrite history."""


class AuditEvent(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor = fields.CharField(max_length=300)
    action = fields.CharField(max_length=64)
    object_type = fields.CharField(max_length=64)
    object_id = fields.CharField(max_length=64)
    #: Territory path of the changed object ("" for national objects such as categories),
    #: so that a regional auditor reads only the history of their own subtree.
    scope_path = fields.CharField(max_length=255, default="", db_index=True)
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)

    class Meta:
        table = "audit_event"
        ordering = ["id"]
        indexes = (("object_type", "object_id"),)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._saved_in_db:
            await super().save(*args, **kwargs)
            return
        raise AuditEventImmutable("audit events are append-only")

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise AuditEventImmutable("audit events are append-only")
