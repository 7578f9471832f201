"""Live audit trail for oversight dashboards.

New events are found by polling the append-only table for ids above the last one
sent; that works across every API pod without a pub/sub bus, and the polling interval
bounds the cost to one indexed query per subscriber per interval.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry

from vmeste.platform.audit.models import AuditEvent as AuditEventModel
from vmeste.schema.audit.queries import audit_scope
from vmeste.schema.audit.types import AuditEvent

POLL_SECONDS = 1.0
BATCH = 100


@strawberry.type
class AuditSubscription:
    @strawberry.subscription(description="Новые записи журнала аудита по мере появления.")
    async def audit_event_added(
        self, info: strawberry.Info, object_type: str | None = None
    ) -> AsyncGenerator[AuditEvent, None]:
        scope = audit_scope(info)
        query = AuditEventModel.filter(scope)
        if object_type is not None:
            query = query.filter(object_type=object_type)
        last = await AuditEventModel.all().order_by("-id").first().values_list("id", flat=True)
        last_id = last or 0
        while True:
            rows = await query.filter(id__gt=last_id).order_by("id").limit(BATCH)
            for row in rows:
                last_id = row.id
                yield AuditEvent.from_model(row)
            if len(rows) < BATCH:
                await asyncio.sleep(POLL_SECONDS)
