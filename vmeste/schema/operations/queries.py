"""Reading dead letters (within the caller's territory) and the outbox backlog."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from vmeste.platform import authz
from vmeste.platform.outbox.deadletters import visible_to
from vmeste.platform.outbox.models import DeadLetter as DeadLetterModel
from vmeste.platform.outbox.relay import backlog
from vmeste.schema.operations.types import DeadLetter, DeadLetterFilter, OutboxBacklog
from vmeste.schema.pagination import CountedConnection, paginate


@strawberry.type
class OperationsQuery:
    @strawberry.field(description="Jobs not done after every retry: a federal configurator sees "
                                  "all, a regional administrator their region's.")
    async def dead_letters(
        self, info: strawberry.Info, filter: DeadLetterFilter | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[DeadLetter]:
        query = DeadLetterModel.filter(visible_to(info.context.principal))
        if filter is not None and filter.actor is not None:
            query = query.filter(actor=filter.actor)
        if filter is not None and filter.redriven is not None:
            query = query.filter(redriven_at__isnull=not filter.redriven)
        return await paginate(query, info=info, convert=DeadLetter.from_model, first=first,
                              after=after, last=last, before=before)

    @strawberry.field(description="How many events wait to be passed to the broker (for "
                                  "administrators).")
    async def outbox_backlog(self, info: strawberry.Info) -> OutboxBacklog:
        authz.require_any_territory_role(info.context.principal, authz.ADMINS)
        return OutboxBacklog.from_backlog(await backlog(), datetime.now(UTC))
