"""Reference data is public: frontends show the rubricator and the territory picker
before anyone logs in, and bodies' official contacts are public by law."""

from __future__ import annotations

import strawberry
from tortoise.expressions import Q

from vmeste.platform.reference import models
from vmeste.platform.reference.models import subtree
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


@strawberry.type
class ReferenceQuery:
    @strawberry.field(description="Territories, page by page.")
    async def territories(
        self, info: strawberry.Info, filter: TerritoryFilter | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Territory]:
        query = models.Territory.all()
        if filter is not None:
            if filter.kind is not None:
                query = query.filter(kind=filter.kind)
            if filter.parent_code is not None:
                query = query.filter(parent__code=filter.parent_code)
            if filter.within_code is not None:
                query = query.filter(await _subtree(filter.within_code))
            if filter.search:
                query = query.filter(name__icontains=filter.search)
        return await paginate(query, info=info, convert=Territory.from_model, first=first,
                              after=after, last=last, before=before)

    @strawberry.field
    async def territory(self, code: str) -> Territory | None:
        row = await models.Territory.get_or_none(code=code)
        return Territory.from_model(row) if row else None

    @strawberry.field(description="Organizations, page by page.")
    async def organizations(
        self, info: strawberry.Info, filter: OrganizationFilter | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Organization]:
        query = models.Organization.all()
        if filter is not None:
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
        return await paginate(query, info=info, convert=Organization.from_model, first=first,
                              after=after, last=last, before=before)

    @strawberry.field
    async def organization(self, ogrn: str) -> Organization | None:
        row = await models.Organization.get_or_none(ogrn=ogrn)
        return Organization.from_model(row) if row else None

    @strawberry.field(description="The appeal categories, page by page.")
    async def categories(
        self, info: strawberry.Info, filter: CategoryFilter | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Category]:
        query = models.Category.all()
        if filter is not None:
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
        return await paginate(query, info=info, convert=Category.from_model, first=first,
                              after=after, last=last, before=before)

    @strawberry.field
    async def category(self, code: str) -> Category | None:
        row = await models.Category.get_or_none(code=code)
        return Category.from_model(row) if row else None


