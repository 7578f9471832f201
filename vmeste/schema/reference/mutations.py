"""Administrators' changes to territories, organizations and categories."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from vmeste.platform.reference import services
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.reference.types import (
    Category,
    CompetenceLevel,
    Organization,
    OrganizationKind,
    Territory,
    TerritoryKind,
)


@strawberry.input
class TerritoryInput:
    code: str
    name: str | None = None
    kind: TerritoryKind | None = None  # type: ignore[valid-type]
    parent_code: str | None = None
    timezone: str | None = strawberry.field(
        default=None, description="IANA; on creation, taken from the parent by default."
    )
    boundary: JSON | None = strawberry.field(default=None,
                                             description="GeoJSON Polygon/MultiPolygon.")


@strawberry.type
class TerritoryPayload:
    territory: Territory | None
    user_errors: list[UserError]


@strawberry.input
class ContactsInput:
    email: str | None = None
    phone: str | None = None
    site: str | None = None
    address: str | None = None


@strawberry.input
class OrganizationInput:
    ogrn: str
    name: str | None = None
    kind: OrganizationKind | None = None  # type: ignore[valid-type]
    territory_code: str | None = None
    parent_ogrn: str | None = None
    inn: str | None = None
    connected: bool | None = None
    contacts: ContactsInput | None = None


@strawberry.type
class OrganizationPayload:
    organization: Organization | None
    user_errors: list[UserError]


@strawberry.input
class CategoryInput:
    code: str
    name: str | None = None
    parent_code: str | None = None
    competence_level: CompetenceLevel | None = None  # type: ignore[valid-type]
    active: bool | None = None
    keywords: list[str] | None = strawberry.field(
        default=None, description="Words a citizen may search the category by (Open311 "
                                  "keywords); replaces the list.")
    attributes: JSON | None = strawberry.field(
        default=None, description="What a request in this category is asked beyond its text: "
                                  "Open311 attribute definitions ({code, datatype, required, "
                                  "description, order, values}); replaces the list.")


@strawberry.type
class CategoryPayload:
    category: Category | None
    user_errors: list[UserError]


def _territory(data: TerritoryInput) -> services.TerritoryInput:
    return services.TerritoryInput(
        code=data.code.strip(), name=data.name, kind=data.kind, parent_code=data.parent_code,
        timezone=data.timezone, boundary=data.boundary,
    )


def _organization(data: OrganizationInput) -> services.OrganizationInput:
    contacts = None
    if data.contacts is not None:
        contacts = {k: v for k, v in vars(data.contacts).items() if v is not None}
    return services.OrganizationInput(
        ogrn=data.ogrn.strip(), name=data.name, kind=data.kind,
        territory_code=data.territory_code, parent_ogrn=data.parent_ogrn, inn=data.inn,
        connected=data.connected, contacts=contacts,
    )


def _category(data: CategoryInput) -> services.CategoryInput:
    return services.CategoryInput(
        code=data.code.strip(), name=data.name, parent_code=data.parent_code,
        competence_level=data.competence_level, active=data.active,
        keywords=data.keywords, attributes=data.attributes,
    )


def _territory_payload(result: tuple) -> TerritoryPayload:
    row, errors = result
    return TerritoryPayload(territory=Territory.from_model(row) if row else None,
                            user_errors=errors)


def _organization_payload(result: tuple) -> OrganizationPayload:
    row, errors = result
    return OrganizationPayload(organization=Organization.from_model(row) if row else None,
                               user_errors=errors)


def _category_payload(result: tuple) -> CategoryPayload:
    row, errors = result
    return CategoryPayload(category=Category.from_model(row) if row else None, user_errors=errors)


@strawberry.type
class ReferenceMutation:
    @strawberry.mutation(description="Create a territory (a federal configurator, or a regional "
                                     "administrator within their region).")
    async def create_territory(self, info: strawberry.Info, input: TerritoryInput
                               ) -> TerritoryPayload:
        principal = info.context.principal
        return _territory_payload(
            await run_mutation(services.create_territory(principal, _territory(input))))

    @strawberry.mutation
    async def update_territory(self, info: strawberry.Info, input: TerritoryInput
                               ) -> TerritoryPayload:
        principal = info.context.principal
        return _territory_payload(
            await run_mutation(services.update_territory(principal, _territory(input))))

    @strawberry.mutation
    async def create_organization(self, info: strawberry.Info, input: OrganizationInput
                                  ) -> OrganizationPayload:
        principal = info.context.principal
        return _organization_payload(
            await run_mutation(services.create_organization(principal, _organization(input))))

    @strawberry.mutation(description="Change an organization; an organization's administrator "
                                     "may change only its contacts.")
    async def update_organization(self, info: strawberry.Info, input: OrganizationInput
                                  ) -> OrganizationPayload:
        principal = info.context.principal
        return _organization_payload(
            await run_mutation(services.update_organization(principal, _organization(input))))

    @strawberry.mutation(description="Create a category (a federal configurator).")
    async def create_category(self, info: strawberry.Info, input: CategoryInput
                              ) -> CategoryPayload:
        principal = info.context.principal
        return _category_payload(
            await run_mutation(services.create_category(principal, _category(input))))

    @strawberry.mutation
    async def update_category(self, info: strawberry.Info, input: CategoryInput
                              ) -> CategoryPayload:
        principal = info.context.principal
        return _category_payload(
            await run_mutation(services.update_category(principal, _category(input))))
