"""GraphQL type of an audit event."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry.scalars import JSON

from vmeste.platform.audit import models
from vmeste.schema.compiled.declare import backed_by


@backed_by(models.AuditEvent)
@strawberry.type(description="An immutable audit log entry.")
class AuditEvent:
    id: strawberry.ID
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: JSON | None
    after: JSON | None

    @classmethod
    def from_model(cls, row: models.AuditEvent) -> Self:
        return cls(id=strawberry.ID(str(row.id)), at=row.at, actor=row.actor, action=row.action,
                   object_type=row.object_type, object_id=row.object_id, before=row.before,
                   after=row.after)
