"""Live audit trail for oversight dashboards.

New events are found by polling the append-only table for ids above the last one
sent; that works across every API pod without a pub/sub bus, and the polling interval
bounds the cost to one indexed query per subscriber per interval.

The connection's principal can narrow while the subscription runs (a revoked role,
see :mod:`vmeste.platform.websocket_sessions`): the scope is derived again whenever it
changes, so no event the caller may no longer see goes out, and a caller who lost
every audit role gets FORBIDDEN and the subscription ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry
from tortoise.queryset import QuerySet

from vmeste.platform.audit.models import AuditEvent as AuditEventModel
from vmeste.schema.audit.queries import audit_scope
from vmeste.schema.audit.types import AuditEvent

POLL_SECONDS = 1.0
BATCH = 100


def _visible(info: strawberry.Info, object_type: str | None) -> QuerySet[AuditEventModel]:
    query = AuditEventModel.filter(audit_scope(info.context))
    return query if object_type is None else query.filter(object_type=object_type)


@strawberry.type
class AuditSubscription:
    @strawberry.subscription(description="New audit log entries as they appear.")
    async def audit_event_added(
        self, info: strawberry.Info, object_type: str | None = None
    ) -> AsyncGenerator[AuditEvent, None]:
        principal = info.context.principal
        query = _visible(info, object_type)
        last = await AuditEventModel.all().order_by("-id").first().values_list("id", flat=True)
        last_id = last or 0
        while True:
            if info.context.principal is not principal:
                principal = info.context.principal
                query = _visible(info, object_type)
            rows = await query.filter(id__gt=last_id).order_by("id").limit(BATCH)
            for row in rows:
                last_id = row.id
                yield AuditEvent.from_model(row)
            if len(rows) < BATCH:
                await asyncio.sleep(POLL_SECONDS)
