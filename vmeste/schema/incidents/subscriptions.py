"""The operators' live feed: the steps of the incidents the caller may see, as they
happen.

It follows the committed incident history through the live feeds' poller
(:mod:`vmeste.schema.live`), joined to the caller's view of the incident table (and a
territory, when asked). A new subscriber starts from now: the feed is for what happens
next; the history is in ``incidents``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from vmeste.platform.authz import require_authenticated
from vmeste.platform.incidents import models
from vmeste.platform.incidents.access import visible_incidents
from vmeste.platform.reference.models import within_territory
from vmeste.schema.incidents.types import Incident
from vmeste.schema.live import History, follow

HISTORY = History(models.IncidentEvent, models.Incident, "incident_id", ("action", "at"))


@strawberry.type(description="A step of an incident: the action, and the incident after it.")
class IncidentUpdate:
    action: str
    at: datetime
    incident: Incident


@strawberry.type
class IncidentsSubscription:
    @strawberry.subscription(description="The steps of the incidents the caller may see (of "
                                         "a territory), as they happen: the operators' feed.")
    async def incident_updates(self, info: strawberry.Info, territory_code: str | None = None
                               ) -> AsyncGenerator[IncidentUpdate, None]:
        require_authenticated(info.context.principal)
        condition = await visible_incidents(info.context.principal, "incident__")
        if territory_code is not None:
            condition &= await within_territory(territory_code, "incident__territory_path")
        async for event, row in follow(info, HISTORY, condition):
            yield IncidentUpdate(action=event["action"], at=event["at"],
                                 incident=Incident.from_model(row))
