"""GraphQL types for users and their roles."""

from __future__ import annotations

from datetime import date
from typing import Self

import strawberry

from vmeste.platform.identity import models
from vmeste.schema.reference.types import Organization, Territory

Role = strawberry.enum(models.Role, name="Role")
UserKind = strawberry.enum(models.UserKind, name="UserKind")


@strawberry.type(description="Роль пользователя в организации или на территории.")
class RoleAssignment:
    role: Role  # type: ignore[valid-type]
    user_subject: str
    user_issuer: str
    organization_id: strawberry.Private[int | None]
    territory_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: dict) -> Self:
        return cls(role=row["role"], user_subject=row["user__subject"],
                   user_issuer=row["user__issuer"], organization_id=row["organization_id"],
                   territory_id=row["territory_id"])

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> Organization | None:
        if self.organization_id is None:
            return None
        return await info.context.loaders.organization.load(self.organization_id)

    @strawberry.field
    async def territory(self, info: strawberry.Info) -> Territory | None:
        if self.territory_id is None:
            return None
        return await info.context.loaders.territory.load(self.territory_id)


@strawberry.type(description="Вошедший пользователь: профиль из ЕСИА и роли на платформе.")
class Me:
    subject: str
    issuer: str
    kind: UserKind  # type: ignore[valid-type]
    last_name: str
    first_name: str
    middle_name: str
    birth_date: date | None
    gender: str
    email: str
    phone: str
    address_oktmo: str
    verified: bool = strawberry.field(description="Подтверждённая учётная запись ЕСИА.")
    org_ogrn: str = strawberry.field(description="ОГРН юридического лица, от имени которого "
                                                 "действует пользователь.")
    org_name: str
    org_authority: str
    roles: list[RoleAssignment]
