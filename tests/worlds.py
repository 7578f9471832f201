"""Small, deterministic worlds shared by the GraphQL and authorisation tests.

A world is seeded through the platform's own services (as the system principal), so
every seeded change also leaves the audit events a real installation would have.

Region A (Kirov, 33000000) is where scoped roles are granted in the authorisation
tests; region B (Sevastopol, 92000000) is the out-of-scope region.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.policies.services import PolicyResolver, RegionPolicyInput, set_region_policy
from vmeste.platform.reference import services as ref
from vmeste.platform.reference.models import (
    CompetenceLevel,
    Organization,
    OrganizationKind,
    TerritoryKind,
)
from vmeste.platform.reference.validators import with_inn_check_digit, with_ogrn_check_digit

COUNTRY = "RU"
REGION_A = "33000000"
REGION_B = "92000000"
MUNICIPALITY_A = "33701000"
MUNICIPALITY_B = "92701000"


def ogrn(n: int) -> str:
    """A valid ОГРН, different for every ``n``."""
    return with_ogrn_check_digit(f"10243{n:07d}")


def inn(n: int) -> str:
    """A valid organisation ИНН, different for every ``n``."""
    return with_inn_check_digit(f"43{n:07d}")


ORG_FEDERAL = ogrn(1)
ORG_A = ogrn(2)
ORG_A_SCHOOL = ogrn(3)
ORG_B = ogrn(4)


@dataclass
class World:
    territories: dict[str, int] = field(default_factory=dict)
    organizations: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)


async def add_territory(code: str, kind: TerritoryKind, parent: str | None, name: str,
                        timezone: str | None = None) -> int:
    row = await ref.create_territory(SYSTEM, ref.TerritoryInput(
        code=code, name=name, kind=kind, parent_code=parent, timezone=timezone))
    return row.id


async def add_organization(number: int, name: str, kind: OrganizationKind, territory: str,
                           parent: str | None = None, **extra: Any) -> str:
    await ref.create_organization(SYSTEM, ref.OrganizationInput(
        ogrn=ogrn(number), inn=inn(number), name=name, kind=kind, territory_code=territory,
        parent_ogrn=parent, **extra))
    return ogrn(number)


async def seed_world() -> World:
    """Country, two regions with a municipality each, four bodies, three categories."""
    async with in_transaction():  # one commit instead of one per row
        return await _seed_world()


async def _seed_world() -> World:
    world = World()
    t = world.territories
    t[COUNTRY] = await add_territory(COUNTRY, TerritoryKind.COUNTRY, None, "Россия",
                                     "Europe/Moscow")
    t[REGION_A] = await add_territory(REGION_A, TerritoryKind.REGION, COUNTRY,
                                      "Кировская область", "Europe/Kirov")
    t[MUNICIPALITY_A] = await add_territory(MUNICIPALITY_A, TerritoryKind.MUNICIPALITY,
                                            REGION_A, "город Киров")
    t[REGION_B] = await add_territory(REGION_B, TerritoryKind.REGION, COUNTRY,
                                      "город Севастополь", "Europe/Moscow")
    t[MUNICIPALITY_B] = await add_territory(MUNICIPALITY_B, TerritoryKind.MUNICIPALITY,
                                            REGION_B, "Гагаринский округ")
    await add_organization(1, "Министерство строительства", OrganizationKind.FEDERAL, COUNTRY)
    await add_organization(2, "Министерство ЖКХ Кировской области", OrganizationKind.REGIONAL,
                           REGION_A)
    await add_organization(3, "Школа № 1 города Кирова", OrganizationKind.INSTITUTION,
                           MUNICIPALITY_A, parent=ORG_A)
    await add_organization(4, "Департамент городского хозяйства Севастополя",
                           OrganizationKind.REGIONAL, REGION_B)
    for code in (ORG_FEDERAL, ORG_A, ORG_A_SCHOOL, ORG_B):
        world.organizations[code] = (await Organization.get(ogrn=code)).id
    for code, name, parent, level in (
        ("roads", "Дороги", None, CompetenceLevel.REGIONAL),
        ("roads.pits", "Ямы на дорогах", "roads", CompetenceLevel.MUNICIPAL),
        ("snow", "Уборка снега", None, CompetenceLevel.MUNICIPAL),
    ):
        row = await ref.create_category(SYSTEM, ref.CategoryInput(
            code=code, name=name, parent_code=parent, competence_level=level))
        world.categories[code] = row.id
    return world


async def seed_policies(resolver: PolicyResolver) -> None:
    """An OIDC identity policy in each region."""
    for code in (REGION_A, REGION_B):
        await set_region_policy(SYSTEM, resolver, RegionPolicyInput(
            territory_code=code, kind="identity", plugin="oidc",
            settings={"require_verified": True}))


# --- reading GraphQL answers ---------------------------------------------------------


def error_code(body: dict[str, Any]) -> str | None:
    """The ``extensions.code`` of the first GraphQL error, if any."""
    errors = body.get("errors") or []
    return errors[0].get("extensions", {}).get("code") if errors else None


def user_error_codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def ok_data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


# --- counting SQL ---------------------------------------------------------------------


@dataclass
class QueryLog:
    statements: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries() -> Iterator[QueryLog]:
    """Records every SQL statement the ORM's client class runs, on any backend."""
    log = QueryLog()
    client_class = type(connections.get("default"))
    with pytest.MonkeyPatch.context() as patch:
        for name in ("execute_query", "execute_query_dict"):
            original = getattr(client_class, name)

            def wrapper(self: Any, query: str, *args: Any, _original: Any = original,
                        **kwargs: Any) -> Any:
                log.statements.append(query)
                return _original(self, query, *args, **kwargs)

            patch.setattr(client_class, name, wrapper)
        yield log
