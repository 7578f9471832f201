"""Reading the audit trail: auditors and federal configurators, each in their scope."""

from __future__ import annotations

import strawberry
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from vmeste.platform import authz
from vmeste.platform.audit.models import AuditEvent as AuditEventModel
from vmeste.platform.reference.models import PATH_SEPARATOR, subtree
from vmeste.schema.audit.types import AuditEvent
from vmeste.schema.compiled.declare import rows
from vmeste.schema.context import Context
from vmeste.schema.pagination import CountedConnection, paginate


def audit_scope(context: Context) -> Q:
    """National events (empty scope) are visible only to country-level readers."""
    scopes = authz.require_any_territory_role(context.principal, authz.AUDIT_READERS)
    visible = Q(id=-1)
    for root in scopes:
        visible |= subtree(root, "scope_path")
        if PATH_SEPARATOR not in root:
            visible = visible | Q(scope_path="")
    return visible


async def audit_rows(context: Context, object_type: str | None = None,
                     object_id: str | None = None, action: str | None = None
                     ) -> QuerySet[AuditEventModel]:
    query = AuditEventModel.filter(audit_scope(context))
    if object_type is not None:
        query = query.filter(object_type=object_type)
    if object_id is not None:
        query = query.filter(object_id=object_id)
    if action is not None:
        query = query.filter(action=action)
    return query


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The audit log, from older entries to newer.",
                      metadata=rows(audit_rows, stable=True))
    async def audit_events(
        self, info: strawberry.Info, object_type: str | None = None,
        object_id: str | None = None, action: str | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[AuditEvent]:
        return await paginate(await audit_rows(info.context, object_type, object_id, action),
                              info=info, convert=AuditEvent.from_model, first=first,
                              after=after, last=last, before=before)
