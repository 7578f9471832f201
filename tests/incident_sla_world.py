"""Incidents for the SLA and triage tests, on the appeals' small world
(``tests/appeal_world.py``: competence rules, a settlement with a boundary).

Region A's ``incident_sla`` maps road repair to pits and snow removal to snow (which no
rule routes); region B (which carries the Tatarstan calendar) routes roads to the
federal ministry, whose calendar is the federal one. Region C lies two hours east of
Kirov. Incidents are created with the model, as the intake would store them
(:func:`vmeste.platform.incidents.sla.scheduled`), since the intake is not tested here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from tests.appeal_world import rule_row, seed_appeal_world
from tests.worlds import ORG_FEDERAL, REGION_A, REGION_B, add_territory
from vmeste.platform.appeals.rules_import import upsert_rule_rows
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.incidents import sla
from vmeste.platform.incidents.lifecycle import Action
from vmeste.platform.incidents.models import Incident, IncidentStatus
from vmeste.platform.incidents.policy import INCIDENT_SLA
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.incidents.steps import INCIDENT_STEPS
from vmeste.platform.policies.services import PolicyResolver, RegionPolicyInput, set_region_policy
from vmeste.platform.reference.models import Organization, Territory, TerritoryKind

REGION_C = "65000000"
MUNICIPALITY_C = "65701000"
TOPIC_CATEGORIES = {"road_repair": "roads.pits", "snow_removal": "snow"}


async def seed_incident_world(resolver: PolicyResolver, **region_a: Any) -> str:
    """Seeds the world's additions; ``region_a`` overrides region A's SLA settings.
    Returns the city administration's ОГРН (where pits in the city are routed)."""
    appeals = await seed_appeal_world()
    await add_territory(REGION_C, TerritoryKind.REGION, "RU", "Свердловская область",
                        "Asia/Yekaterinburg")
    await add_territory(MUNICIPALITY_C, TerritoryKind.MUNICIPALITY, REGION_C,
                        "город Екатеринбург")
    async with in_transaction() as conn:
        await upsert_rule_rows([rule_row(2, "roads", REGION_B, ORG_FEDERAL)],
                               principal=SYSTEM, publish=True, conn=conn)
    await set_region_policy(SYSTEM, resolver, RegionPolicyInput(
        territory_code=REGION_A, kind=INCIDENT_SLA, plugin="standard",
        settings={"topic_categories": TOPIC_CATEGORIES, **region_a}))
    return appeals.city_admin


def services_of(app: Any) -> IncidentServices:
    return app.state.runtime.service(IncidentServices)  # type: ignore[no-any-return]


async def new_incident(territory_code: str, registered_at: datetime, *,
                       topic: str = "road_repair", announce: bool = False,
                       **fields: Any) -> Incident:
    """An incident as the intake stores it; ``announce`` also records its CREATE event
    (which tells the territory's monitors)."""
    territory = await Territory.get(code=territory_code)
    async with in_transaction() as conn:
        incident = await Incident.create(
            topic=topic, territory_id=territory.id, territory_path=territory.path,
            post_count=fields.pop("post_count", 1), first_posted_at=registered_at,
            last_posted_at=registered_at,
            **{**sla.scheduled(registered_at, territory.timezone), **fields},
            using_db=conn)
        if announce:
            await INCIDENT_STEPS.record(conn, incident, "system:intake", Action.CREATE, None,
                                        IncidentStatus.NEW)
    return incident


async def organization_id(ogrn: str) -> int:
    return (await Organization.get(ogrn=ogrn)).id
