"""The append-only history a lifecycle's steps write (see :mod:`vmeste.platform.steps`).

Every component's event model (an appeal's, a vote's, a poll's) has the same columns
and the same refusal to be changed; each adds only the foreign key to its subject,
named after it, and its own table.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class StepEvent(Model):
    """One step in the life of a subject, never changed or removed."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    actor = fields.CharField(max_length=300)
    action = fields.CharField(max_length=32)
    from_status = fields.CharField(max_length=32, null=True)
    to_status = fields.CharField(max_length=32)
    reason = fields.TextField(default="")
    payload = fields.JSONField(default=dict)

    class Meta:
        abstract = True

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db:
            raise RuntimeError(f"{type(self).__name__} rows are append-only")
        await super().save(*args, **kwargs)
