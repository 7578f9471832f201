"""The caller's own profile, and role assignments for those who manage staff."""

from __future__ import annotations

import strawberry
from strawberry import relay
from tortoise.expressions import Q

from vmeste.platform.identity import services
from vmeste.platform.identity.models import RoleAssignment as RoleAssignmentModel
from vmeste.platform.reference.models import subtree
from vmeste.schema.identity.types import Me, Role, RoleAssignment

_ROW_FIELDS = ("role", "user__subject", "user__issuer", "organization_id", "territory_id")
MAX_ASSIGNMENTS = 1000


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The current user; null for an anonymous request.")
    async def me(self, info: strawberry.Info) -> Me | None:
        principal = info.context.principal
        if principal.user is None:
            return None
        user = principal.user
        rows = await RoleAssignmentModel.filter(user_id=user.id).values(*_ROW_FIELDS)
        return Me(
            id=relay.GlobalID("User", str(user.id)), subject=user.subject,
            issuer=user.issuer, kind=user.kind, last_name=user.last_name,
            first_name=user.first_name, middle_name=user.middle_name, birth_date=user.birth_date,
            gender=user.gender, email=user.email, phone=user.phone,
            address_oktmo=user.address_oktmo, verified=user.verified, org_ogrn=user.org_ogrn,
            org_name=user.org_name, org_authority=user.org_authority,
            roles=[RoleAssignment.from_row(row) for row in rows],
        )

    @strawberry.field(description="Assigned roles within the caller's authority "
                                  f"(at most {MAX_ASSIGNMENTS}).")
    async def role_assignments(
        self, info: strawberry.Info, role: Role | None = None,  # type: ignore[valid-type]
        user_subject: str | None = None,
    ) -> list[RoleAssignment]:
        visible = services.visible_assignment_filter(info.context.principal)
        query = RoleAssignmentModel.all()
        if visible is not None:
            roots, orgs = visible
            scope = Q(organization_id__in=list(orgs)) if orgs else Q(id=-1)
            for root in roots:
                scope |= subtree(root, "territory__path") | subtree(
                    root, "organization__territory__path")
            query = query.filter(scope)
        if role is not None:
            query = query.filter(role=role)
        if user_subject is not None:
            query = query.filter(user__subject=user_subject)
        rows = await query.order_by("id").limit(MAX_ASSIGNMENTS).values(*_ROW_FIELDS)
        return [RoleAssignment.from_row(row) for row in rows]
