"""Reference data every component routes and reports by: territories, bodies, categories.

Territories and categories are trees. Each row stores its materialised ``path`` of
ancestor codes so that "is X inside region Y" is one indexed prefix match instead of a
recursive walk; authorisation asks that question on every request.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from tortoise import fields
from tortoise.expressions import Q
from tortoise.models import Model


class TerritoryKind(StrEnum):
    COUNTRY = "country"
    REGION = "region"
    MUNICIPALITY = "municipality"
    SETTLEMENT = "settlement"


#: Which kind of territory may sit directly under which.
TERRITORY_PARENT_KIND: dict[TerritoryKind, TerritoryKind | None] = {
    TerritoryKind.COUNTRY: None,
    TerritoryKind.REGION: TerritoryKind.COUNTRY,
    TerritoryKind.MUNICIPALITY: TerritoryKind.REGION,
    TerritoryKind.SETTLEMENT: TerritoryKind.MUNICIPALITY,
}


class OrganizationKind(StrEnum):
    FEDERAL = "federal"
    REGIONAL = "regional"
    MUNICIPAL = "municipal"
    INSTITUTION = "institution"
    INDUSTRY = "industry"


class CompetenceLevel(StrEnum):
    FEDERAL = "federal"
    REGIONAL = "regional"
    MUNICIPAL = "municipal"
    INSTITUTION = "institution"


PATH_SEPARATOR = "/"


def subtree(path: str, column: str = "path") -> Q:
    """Rows whose ``column`` holds ``path`` or a path below it: the one indexed
    prefix match every scope check in the platform is built on."""
    return Q(**{column: path}) | Q(**{f"{column}__startswith": path + PATH_SEPARATOR})


async def within_territory(code: str, column: str = "territory_path") -> Q:
    """Rows in the subtree of the territory with ``code``, for a list's territory
    filter; an unknown code matches nothing."""
    found = await Territory.filter(code=code).values_list("path", flat=True)
    return subtree(found[0] if found else f"{PATH_SEPARATOR}unknown", column)


class Territory(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=255)
    kind = fields.CharEnumField(TerritoryKind, max_length=16)
    timezone = fields.CharField(max_length=64)
    parent: fields.ForeignKeyNullableRelation[Territory] = fields.ForeignKeyField(
        "vmeste.Territory", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    path = fields.CharField(max_length=255, db_index=True)
    boundary = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    parent_id: int | None

    class Meta:
        table = "territory"
        ordering = ["id"]



async def root_code() -> str | None:
    """The code of the tree's root (the country), where installation-wide policies sit;
    None before reference data is loaded."""
    found = await Territory.filter(parent_id__isnull=True).order_by("id").limit(1).values_list(
        "code", flat=True)
    return found[0] if found else None


async def region_codes(paths: Iterable[str]) -> dict[str, str]:
    """Each territory path → the code of the region on it ("" above the regions), for
    statistics by region."""
    paths = list(paths)
    codes = {code for path in paths for code in path.split(PATH_SEPARATOR)}
    found = set(await Territory.filter(code__in=sorted(codes), kind=TerritoryKind.REGION)
                .values_list("code", flat=True))
    return {path: next((c for c in path.split(PATH_SEPARATOR) if c in found), "")
            for path in paths}


class Organization(Model):
    id = fields.IntField(primary_key=True)
    ogrn = fields.CharField(max_length=13, unique=True)
    inn = fields.CharField(max_length=12, db_index=True)
    name = fields.CharField(max_length=500)
    kind = fields.CharEnumField(OrganizationKind, max_length=16)
    territory: fields.ForeignKeyRelation[Territory] = fields.ForeignKeyField(
        "vmeste.Territory", related_name="organizations", on_delete=fields.RESTRICT
    )
    parent: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "vmeste.Organization", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    connected = fields.BooleanField(default=False)
    contacts = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    territory_id: int
    parent_id: int | None

    class Meta:
        table = "organization"
        ordering = ["id"]


class Category(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=255)
    parent: fields.ForeignKeyNullableRelation[Category] = fields.ForeignKeyField(
        "vmeste.Category", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    path = fields.CharField(max_length=512, db_index=True)
    competence_level = fields.CharEnumField(CompetenceLevel, max_length=16)
    #: Default deadline policy for platform messages, such as working-days:10.
    #: Null inherits from the parent category, then from the region policy.
    deadline_policy = fields.CharField(max_length=32, null=True)
    active = fields.BooleanField(default=True)
    #: Words a citizen may search the category by (Open311 keywords), null for none.
    keywords = fields.JSONField(null=True)
    #: What a request in this category asks beyond its text, null for nothing.
    #: Open311 attribute definitions, checked by reference/attributes.py.
    attributes = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    parent_id: int | None

    class Meta:
        table = "category"
        ordering = ["id"]
