"""The operators' live feed: the steps of the incidents the caller may see, as they
happen.

Like the other live feeds it polls the database instead of a pub/sub bus, so it works
across every API process: each interval it reads the incident history past the last
event sent, one indexed range of ``incident_event`` ids joined to the caller's view of
the incident table (and a territory, when asked), at most a page of events at a time.
A new subscriber starts from now: the feed is for what happens next; the history is in
``incidents``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from vmeste.platform.authz import require_authenticated
from vmeste.platform.incidents import models
from vmeste.platform.incidents.access import visible_incidents
from vmeste.platform.reference.models import within_territory
from vmeste.schema.incidents.types import Incident

POLL_SECONDS = 1.0
#: The most events one interval sends (the rest follow on the next).
PAGE = 100


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
        latest = await models.IncidentEvent.all().order_by("-id").first().values_list(
            "id", flat=True)
        last = int(latest or 0)
        while True:
            await asyncio.sleep(POLL_SECONDS)
            events = await models.IncidentEvent.filter(condition, id__gt=last).order_by(
                "id").limit(PAGE).values_list("id", "incident_id", "action", "at")
            if not events:
                continue
            last = events[-1][0]
            rows = {row.id: row for row in await models.Incident.filter(
                id__in=sorted({e[1] for e in events}))}
            for _id, incident_id, action, at in events:
                yield IncidentUpdate(action=action, at=at,
                                     incident=Incident.from_model(rows[incident_id]))
