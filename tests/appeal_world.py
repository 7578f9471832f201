"""The small world of ``tests/worlds.py`` plus what appeals need: a municipal
administration, a settlement with a boundary, competence rules and staff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from tests.worlds import (
    MUNICIPALITY_A,
    ORG_A,
    ORG_A_SCHOOL,
    REGION_A,
    add_organization,
    add_territory,
)
from vmeste.platform.appeals.rules_import import COLUMNS, upsert_rule_rows
from vmeste.platform.csvfiles import SourceRow
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.reference import services as ref
from vmeste.platform.reference.models import OrganizationKind, TerritoryKind

SETTLEMENT_A = "33701000001"
#: A square around Kirov's centre; GeoJSON is (longitude, latitude).
SETTLEMENT_BOUNDARY = {"type": "Polygon", "coordinates": [[
    [49.5, 58.5], [49.8, 58.5], [49.8, 58.7], [49.5, 58.7], [49.5, 58.5]]]}
INSIDE = {"latitude": 58.6, "longitude": 49.65}
OUTSIDE = {"latitude": 58.0, "longitude": 49.0}
SUBMIT = """mutation($input: SubmitAppealInput!) { submitAppeal(input: $input) {
  appeal { id status organization { ogrn } territory { code } routingTrace legalTrack }
  userErrors { field code message } } }"""


@dataclass(frozen=True)
class AppealWorld:
    city_admin: str


def rule_row(line: int, category: str, territory: str, ogrn: str, **cells: str) -> SourceRow:
    values: dict[str, Any] = dict.fromkeys(COLUMNS, "")
    values.update(category_code=category, territory_code=territory, organization_ogrn=ogrn,
                  priority="0", **cells)
    return SourceRow(line, values)


async def seed_appeal_world() -> AppealWorld:
    """Rules: roads (region A) → ORG_A; roads.pits in the city → the city
    administration; roads.pits in the settlement → the school (to see geo routing);
    snow has no rule, so it goes to the moderation queue."""
    city_admin = await add_organization(5, "Администрация города Кирова",
                                        OrganizationKind.MUNICIPAL, MUNICIPALITY_A)
    await add_territory(SETTLEMENT_A, TerritoryKind.SETTLEMENT, MUNICIPALITY_A, "г. Киров")
    await ref.update_territory(SYSTEM, ref.TerritoryInput(code=SETTLEMENT_A,
                                                          boundary=SETTLEMENT_BOUNDARY))
    rows = [rule_row(2, "roads", REGION_A, ORG_A),
            rule_row(3, "roads.pits", MUNICIPALITY_A, city_admin),
            rule_row(4, "roads.pits", SETTLEMENT_A, ORG_A_SCHOOL)]
    async with in_transaction() as conn:
        await upsert_rule_rows(rows, principal=SYSTEM, publish=True, conn=conn)
    return AppealWorld(city_admin=city_admin)


def submit_input(**changes: Any) -> dict[str, Any]:
    data = {"text": "Большая яма на дороге у дома 5, машины бьют колёса.",
            "categoryCode": "roads.pits", "territoryCode": MUNICIPALITY_A}
    data.update(changes)
    return {"input": data}
