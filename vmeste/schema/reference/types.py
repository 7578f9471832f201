"""GraphQL types of the reference data: territories, organizations, categories."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from vmeste.platform.i18n import _
from vmeste.platform.reference import models
from vmeste.schema.compiled.declare import backed_by, to_one
from vmeste.schema.pagination import CountedConnection, paginate

TerritoryKind = strawberry.enum(models.TerritoryKind, name="TerritoryKind")
OrganizationKind = strawberry.enum(models.OrganizationKind, name="OrganizationKind")
CompetenceLevel = strawberry.enum(models.CompetenceLevel, name="CompetenceLevel")
MAX_NODE_ID = 2**31 - 1


async def _load_nodes(info: strawberry.Info, loader_name: str, node_ids: Iterable[str],
                      required: bool) -> list[Any]:
    loader = getattr(info.context.loaders, loader_name)
    ids = []
    for raw in node_ids:
        try:
            pk = int(raw)
        except ValueError:
            pk = -1
        # Keys are 32-bit: a wider number would make the database fail, not miss.
        ids.append(pk if 0 < pk <= MAX_NODE_ID else -1)
    nodes = await loader.load_many(ids)
    if required and any(node is None for node in nodes):
        raise ValueError(_("Object not found"))
    return nodes


@backed_by(models.Territory)
@strawberry.type(description="A country, a region, a municipality or a settlement.")
class Territory(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="OKTMO (8 or 11 digits) or a country's ISO code.")
    name: str
    kind: TerritoryKind  # type: ignore[valid-type]
    timezone: str = strawberry.field(description="IANA time zone.")
    boundary: JSON | None = strawberry.field(description="The boundary in GeoJSON, if set.")
    path: str = strawberry.field(description="Codes from the country to this territory, joined "
                                             "by «/».")
    parent_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Territory) -> Self:
        return cls(id=row.id, code=row.code, name=row.name, kind=row.kind,
                   timezone=row.timezone, boundary=row.boundary, path=row.path,
                   parent_id=row.parent_id)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        return await _load_nodes(info, "territory", node_ids, required)

    @strawberry.field(metadata=to_one("parent"))
    async def parent(self, info: strawberry.Info) -> Territory | None:
        if self.parent_id is None:
            return None
        return await info.context.loaders.territory.load(self.parent_id)

    @strawberry.field(description="Child territories.")
    async def children(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Territory]:
        return await paginate(
            models.Territory.filter(parent_id=self.id), info=info,
            convert=Territory.from_model, first=first, after=after, last=last, before=before,
        )


@strawberry.type(description="An organization's contacts.")
class Contacts:
    email: str | None = None
    phone: str | None = None
    site: str | None = None
    address: str | None = None


@backed_by(models.Organization)
@strawberry.type(
    description="A public authority, a subordinate institution or an industry organization.")
class Organization(relay.Node):
    id: relay.NodeID[int]
    ogrn: str
    inn: str
    name: str
    kind: OrganizationKind  # type: ignore[valid-type]
    connected: bool = strawberry.field(description="Whether the organization is connected to the "
                                                   "platform.")
    contacts: Contacts
    territory_id: strawberry.Private[int]
    parent_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Organization) -> Self:
        contacts = Contacts(**{k: row.contacts.get(k) for k in ("email", "phone", "site",
                                                                 "address")})
        return cls(id=row.id, ogrn=row.ogrn, inn=row.inn, name=row.name, kind=row.kind,
                   connected=row.connected, contacts=contacts, territory_id=row.territory_id,
                   parent_id=row.parent_id)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        return await _load_nodes(info, "organization", node_ids, required)

    @strawberry.field(metadata=to_one("territory"))
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.territory_id)

    @strawberry.field(description="The parent organization.", metadata=to_one("parent"))
    async def parent(self, info: strawberry.Info) -> Organization | None:
        if self.parent_id is None:
            return None
        return await info.context.loaders.organization.load(self.parent_id)


@backed_by(models.Category)
@strawberry.type(description="A category of the appeal classifier.")
class Category(relay.Node):
    id: relay.NodeID[int]
    code: str
    name: str
    competence_level: CompetenceLevel  # type: ignore[valid-type]
    active: bool
    path: str = strawberry.field(description="Codes from the classifier's root to this category, "
                                             "joined by «/».")
    keywords: JSON | None = strawberry.field(
        description="Words a citizen may search the category by (a list), if set.")
    attributes: JSON | None = strawberry.field(
        description="What a request in this category asks beyond its text: Open311 attribute "
                    "definitions (a list), if set.")
    parent_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Category) -> Self:
        return cls(id=row.id, code=row.code, name=row.name,
                   competence_level=row.competence_level, active=row.active, path=row.path,
                   keywords=row.keywords, attributes=row.attributes, parent_id=row.parent_id)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        return await _load_nodes(info, "category", node_ids, required)

    @strawberry.field(metadata=to_one("parent"))
    async def parent(self, info: strawberry.Info) -> Category | None:
        if self.parent_id is None:
            return None
        return await info.context.loaders.category.load(self.parent_id)

    @strawberry.field(description="Subcategories (the first level down).")
    async def children(self, info: strawberry.Info) -> list[Category]:
        return await info.context.loaders.category_children.load(self.id)
