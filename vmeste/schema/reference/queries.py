"""Reference data is public: frontends show the rubricator and the territory picker
before anyone logs in, and bodies' official contacts are public by law."""

from __future__ import annotations

import strawberry
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from vmeste.platform.reference import models
from vmeste.platform.reference.models import subtree
from vmeste.schema.compiled.declare import rows
from vmeste.schema.context import Context
from vmeste.schema.pagination import CountedConnection, paginate
from vmeste.schema.reference.types import (
    Category,
    CompetenceLevel,
    Organization,
    OrganizationKind,
    Territory,
    TerritoryKind,
)


@strawberry.input
class TerritoryFilter:
    kind: TerritoryKind | None = None  # type: ignore[valid-type]
    parent_code: str | None = None
    within_code: str | None = strawberry.field(
        default=None, description="Only territories within this one (itself included)."
    )
    search: str | None = strawberry.field(default=None, description="Part of the name.")


@strawberry.input
class OrganizationFilter:
    kind: OrganizationKind | None = None  # type: ignore[valid-type]
    territory_code: str | None = strawberry.field(
        default=None, description="Organizations of this territory and of all within it."
    )
    parent_ogrn: str | None = None
    connected: bool | None = None
    search: str | None = strawberry.field(default=None, description="Part of the name, or an "
                                                                    "OGRN/INN.")


@strawberry.input
class CategoryFilter:
    parent_code: str | None = None
    roots_only: bool = False
    competence_level: CompetenceLevel | None = None  # type: ignore[valid-type]
    active: bool | None = None
    search: str | None = None


async def _subtree(code: str, prefix: str = "") -> Q:
    """Rows whose territory is ``code`` or lies inside it (nothing for an unknown code)."""
    path = await models.Territory.filter(code=code).values_list("path", flat=True)
    if not path:
        return Q(id=-1)
    return subtree(path[0], f"{prefix}path")


def _organization_search(term: str) -> Q:
    """Part of the name, or a whole ОГРН or ИНН (compared only when the term has the
    shape of one: the columns refuse longer values)."""
    clause = Q(name__icontains=term)
    if term.isdigit() and len(term) == 13:
        clause |= Q(ogrn=term)
    if term.isdigit() and len(term) in (10, 12):
        clause |= Q(inn=term)
    return clause


async def territory_rows(context: Context, filter: TerritoryFilter | None = None
                         ) -> QuerySet[models.Territory]:
    query = models.Territory.all()
    if filter is None:
        return query
    if filter.kind is not None:
        query = query.filter(kind=filter.kind)
    if filter.parent_code is not None:
        query = query.filter(parent__code=filter.parent_code)
    if filter.within_code is not None:
        query = query.filter(await _subtree(filter.within_code))
    if filter.search:
        query = query.filter(name__icontains=filter.search)
    return query


async def organization_rows(context: Context, filter: OrganizationFilter | None = None
                            ) -> QuerySet[models.Organization]:
    query = models.Organization.all()
    if filter is None:
        return query
    if filter.kind is not None:
        query = query.filter(kind=filter.kind)
    if filter.territory_code is not None:
        query = query.filter(await _subtree(filter.territory_code, "territory__"))
    if filter.parent_ogrn is not None:
        query = query.filter(parent__ogrn=filter.parent_ogrn)
    if filter.connected is not None:
        query = query.filter(connected=filter.connected)
    if filter.search:
        query = query.filter(_organization_search(filter.search.strip()))
    return query


async def category_rows(context: Context, filter: CategoryFilter | None = None
                        ) -> QuerySet[models.Category]:
    query = models.Category.all()
    if filter is None:
        return query
    if filter.roots_only:
        query = query.filter(parent_id__isnull=True)
    if filter.parent_code is not None:
        query = query.filter(parent__code=filter.parent_code)
    if filter.competence_level is not None:
        query = query.filter(competence_level=filter.competence_level)
    if filter.active is not None:
        query = query.filter(active=filter.active)
    if filter.search:
        query = query.filter(name__icontains=filter.search)
    return query


async def territory_by_code(context: Context, code: str) -> QuerySet[models.Territory]:
    return models.Territory.filter(code=code)


async def organization_by_ogrn(context: Context, ogrn: str) -> QuerySet[models.Organization]:
    return models.Organization.filter(ogrn=ogrn)


async def category_by_code(context: Context, code: str) -> QuerySet[models.Category]:
    return models.Category.filter(code=code)


@strawberry.type
class ReferenceQuery:
    @strawberry.field(description="Territories, page by page.",
                      metadata=rows(territory_rows, stable=True, unless=("filter",)))
    async def territories(
        self, info: strawberry.Info, filter: TerritoryFilter | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Territory]:
        return await paginate(await territory_rows(info.context, filter), info=info,
                              convert=Territory.from_model, first=first, after=after, last=last,
                              before=before)

    @strawberry.field(metadata=rows(territory_by_code, stable=True))
    async def territory(self, info: strawberry.Info, code: str) -> Territory | None:
        row = await (await territory_by_code(info.context, code)).first()
        return Territory.from_model(row) if row else None

    @strawberry.field(description="Organizations, page by page.",
                      metadata=rows(organization_rows, stable=True, unless=("filter",)))
    async def organizations(
        self, info: strawberry.Info, filter: OrganizationFilter | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Organization]:
        return await paginate(await organization_rows(info.context, filter), info=info,
                              convert=Organization.from_model, first=first, after=after,
                              last=last, before=before)

    @strawberry.field(metadata=rows(organization_by_ogrn, stable=True))
    async def organization(self, info: strawberry.Info, ogrn: str) -> Organization | None:
        row = await (await organization_by_ogrn(info.context, ogrn)).first()
        return Organization.from_model(row) if row else None

    @strawberry.field(description="The appeal categories, page by page.",
                      metadata=rows(category_rows, stable=True, unless=("filter",)))
    async def categories(
        self, info: strawberry.Info, filter: CategoryFilter | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Category]:
        return await paginate(await category_rows(info.context, filter), info=info,
                              convert=Category.from_model, first=first, after=after, last=last,
                              before=before)

    @strawberry.field(metadata=rows(category_by_code, stable=True))
    async def category(self, info: strawberry.Info, code: str) -> Category | None:
        row = await (await category_by_code(info.context, code)).first()
        return Category.from_model(row) if row else None
