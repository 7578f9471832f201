"""GraphQL types for users and their roles."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Self

import strawberry
from strawberry import relay

from vmeste.platform.identity import models
from vmeste.platform.identity.models import Role as RoleModel
from vmeste.schema.reference.types import Organization, Territory

Role = strawberry.enum(models.Role, name="Role")
UserKind = strawberry.enum(models.UserKind, name="UserKind")


@strawberry.type(description="A user's role in an organization or on a territory.")
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


#: Who may look a person up by id: the staff who assign work in a body see its people.
MANAGING_ROLES = (RoleModel.OPERATOR, RoleModel.ORG_ADMIN)


@strawberry.type(name="User", description="A user of the platform, such as an executor "
                                          "(assignExecutor takes their id). By node(id), visible "
                                          "to themselves and to operators and administrators of "
                                          "the organizations where they hold a role.")
class UserNode(relay.Node):
    id: relay.NodeID[int]
    subject: str
    issuer: str
    last_name: str
    first_name: str
    middle_name: str

    @classmethod
    def from_model(cls, row: models.User) -> Self:
        return cls(id=row.id, subject=row.subject, issuer=row.issuer,
                   last_name=row.last_name, first_name=row.first_name,
                   middle_name=row.middle_name)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        principal = info.context.principal
        wanted = [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= 2**31 - 1
                  else None for raw in node_ids]
        ids = sorted({pk for pk in wanted if pk is not None})
        managed = principal.organization_ids(MANAGING_ROLES)
        allowed = set(await models.RoleAssignment.filter(
            user_id__in=ids, organization_id__in=sorted(managed)).values_list(
            "user_id", flat=True)) if managed and ids else set()
        if principal.user is not None:
            allowed.add(principal.user.id)
        rows = {row.id: row for row in await models.User.filter(id__in=sorted(
            allowed & set(ids)))} if ids else {}
        return [cls.from_model(rows[pk]) if pk in rows else None for pk in wanted]


@strawberry.type(description="The signed-in user: the profile from ESIA and the roles on the "
                             "platform.")
class Me:
    id: relay.GlobalID = strawberry.field(description="The user's global id (type User).")
    subject: str
    issuer: str = strawberry.field(description="The issuer of the token (iss) the user signed in "
                                               "with: together with subject, it names them.")
    kind: UserKind  # type: ignore[valid-type]
    last_name: str
    first_name: str
    middle_name: str
    birth_date: date | None
    gender: str
    email: str
    phone: str
    address_oktmo: str
    verified: bool = strawberry.field(description="A confirmed ESIA account.")
    org_ogrn: str = strawberry.field(description="OGRN of the legal entity the user acts for.")
    org_name: str
    org_authority: str
    roles: list[RoleAssignment]
