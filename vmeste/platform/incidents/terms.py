"""The answer terms the reply and satisfaction steps set, on the deadline engine: the
production calendar of the incident's territory and its time zone.

One small function, so the SLA module's own term computation can take its place
without touching the steps that ask for a term.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from vmeste.platform.deadlines.clock import Policy, due_at
from vmeste.platform.incidents.models import Incident
from vmeste.platform.incidents.policy import IncidentPolicy, policy_for
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.reference.models import Territory


async def settings_of(services: IncidentServices, incident: Incident
                      ) -> tuple[IncidentPolicy, Territory]:
    """The incident's territory and the ``incident_sla`` settings in force there."""
    territory = await Territory.get(id=incident.territory_id)
    return await policy_for(services.resolver, territory.code), territory


async def term_end(services: IncidentServices, territory: Territory, term: Policy,
                   start: datetime) -> datetime:
    """When ``term`` (working hours or days) started at ``start`` ends on the territory's
    current production calendar."""
    calendar = await services.deadlines.calendars.for_path(territory.path)
    return due_at(term, start, calendar, ZoneInfo(territory.timezone))
