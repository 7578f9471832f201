"""The live queue of a body's appeals: appeals entering it, changing state and being
assigned, as they happen (``appealQueue``).

Like the other live feeds it polls the database instead of a pub/sub bus, so it works
across every API process and follows the same committed history the outbox announces:
each interval it reads the appeal history past the last event sent, one indexed range
of ``appeal_event`` ids joined to the caller's view of the appeal table (the complaint
exclusion included), at most a page of events at a time. A new subscriber starts from
now; the queue as it stands is the ``appeals`` connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from tortoise.expressions import Q

from vmeste.platform.appeals import models
from vmeste.platform.appeals.access import visible_appeals
from vmeste.platform.authz import require_authenticated
from vmeste.schema.appeals.types import Appeal, AppealStatus

POLL_SECONDS = 1.0
#: The most events one interval sends (the rest follow on the next).
PAGE = 100


@strawberry.type(description="A step of an appeal in the queue, and the appeal after it.")
class AppealQueueUpdate:
    action: str
    at: datetime
    from_status: AppealStatus | None  # type: ignore[valid-type]
    to_status: AppealStatus  # type: ignore[valid-type]
    appeal: Appeal


@strawberry.type
class QueueSubscription:
    @strawberry.subscription(description="The steps of the appeals the caller may see (of one "
                                         "organization, by OGRN; or assigned to the caller), "
                                         "as they happen: the operators' and executors' live "
                                         "queue.")
    async def appeal_queue(
        self, info: strawberry.Info, organization_ogrn: str | None = None,
        assigned_to_me: bool = False,
    ) -> AsyncGenerator[AppealQueueUpdate, None]:
        principal = info.context.principal
        require_authenticated(principal)
        condition = await visible_appeals(principal, prefix="appeal__")
        if organization_ogrn is not None:
            condition &= Q(appeal__organization__ogrn=organization_ogrn)
        if assigned_to_me:  # an executor's own work
            condition &= Q(appeal__executor_id=principal.user.id if principal.user else -1)
        latest = await models.AppealEvent.all().order_by("-id").first().values_list(
            "id", flat=True)
        last = int(latest or 0)
        while True:
            await asyncio.sleep(POLL_SECONDS)
            events = await models.AppealEvent.filter(condition, id__gt=last).order_by(
                "id").limit(PAGE).values_list("id", "appeal_id", "action", "at", "from_status",
                                              "to_status")
            if not events:
                continue
            last = events[-1][0]
            rows = {row.id: row for row in await models.Appeal.filter(
                id__in=sorted({e[1] for e in events}))}
            for _id, appeal_id, action, at, from_status, to_status in events:
                yield AppealQueueUpdate(action=action, at=at, from_status=from_status,
                                        to_status=to_status,
                                        appeal=Appeal.from_model(rows[appeal_id]))
