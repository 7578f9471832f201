"""Granting and revoking roles."""

from __future__ import annotations

import strawberry

from vmeste.platform.identity import services
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.identity.types import Role, RoleAssignment


@strawberry.input(description="An organization role (operator, executor, org_admin) needs an "
                              "OGRN; a territory role needs a territory code.")
class RoleAssignmentInput:
    user_subject: str
    user_issuer: str
    role: Role  # type: ignore[valid-type]
    organization_ogrn: str | None = None
    territory_code: str | None = None


@strawberry.type
class RoleAssignmentPayload:
    role_assignment: RoleAssignment | None
    user_errors: list[UserError]


def _input(data: RoleAssignmentInput) -> services.AssignmentInput:
    return services.AssignmentInput(
        user_issuer=data.user_issuer, user_subject=data.user_subject, role=data.role,
        organization_ogrn=data.organization_ogrn, territory_code=data.territory_code,
    )


def _payload(data: RoleAssignmentInput, result: tuple) -> RoleAssignmentPayload:
    row, errors = result
    if row is None:
        return RoleAssignmentPayload(role_assignment=None, user_errors=errors)
    assignment = RoleAssignment(
        role=row.role, user_subject=data.user_subject, user_issuer=data.user_issuer,
        organization_id=row.organization_id, territory_id=row.territory_id,
    )
    return RoleAssignmentPayload(role_assignment=assignment, user_errors=errors)


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(description="Assign a role; assigning it again changes nothing.")
    async def assign_role(self, info: strawberry.Info, input: RoleAssignmentInput
                          ) -> RoleAssignmentPayload:
        return _payload(input, await run_mutation(
            services.assign_role(info.context.principal, _input(input))))

    @strawberry.mutation(description="Revoke a role.")
    async def revoke_role(self, info: strawberry.Info, input: RoleAssignmentInput
                          ) -> RoleAssignmentPayload:
        return _payload(input, await run_mutation(
            services.revoke_role(info.context.principal, _input(input))))
