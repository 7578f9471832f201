"""The live queue of a body's appeals: appeals entering it, changing state and being
assigned, as they happen (``appealQueue``).

It follows the committed appeal history through the live feeds' poller
(:mod:`vmeste.schema.live`), joined to the caller's view of the appeal table (the
complaint exclusion included). A new subscriber starts from now; the queue as it
stands is the ``appeals`` connection.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from tortoise.expressions import Q

from vmeste.platform.appeals import models
from vmeste.platform.appeals.access import visible_appeals
from vmeste.platform.authz import require_authenticated
from vmeste.schema.appeals.types import Appeal, AppealStatus
from vmeste.schema.live import History, follow

HISTORY = History(models.AppealEvent, models.Appeal, "appeal_id",
                  ("action", "at", "from_status", "to_status"))


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
        async for event, row in follow(info, HISTORY, condition):
            yield AppealQueueUpdate(action=event["action"], at=event["at"],
                                    from_status=event["from_status"],
                                    to_status=event["to_status"], appeal=Appeal.from_model(row))
