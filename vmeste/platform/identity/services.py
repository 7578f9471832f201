"""Turning verified identities into users, and managing role assignments."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from vmeste.platform import authz
from vmeste.platform.audit.services import record, snapshot
from vmeste.platform.errors import DomainError, ErrorCode, Forbidden
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import Role, RoleAssignment, User
from vmeste.platform.identity.principal import (
    ORGANIZATION_ROLES,
    Grant,
    Principal,
)
from vmeste.platform.identity.tokens import IdentityClaims
from vmeste.platform.reference.models import Organization, Territory

ASSIGNMENT_FIELDS = ("user_id", "role", "organization_id", "territory_id", "scope_key")
#: A user's profile is rewritten from fresh claims at most this often, so a busy
#: frontend does not turn every request into a write.
PROFILE_REFRESH = timedelta(minutes=10)


def _fit_columns(profile: dict[str, Any]) -> dict[str, Any]:
    """Cut over-long claims to their columns: a provider's odd value must not turn a
    login into a database error."""
    fields = User._meta.fields_map
    for name, value in profile.items():
        limit = getattr(fields[name], "max_length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            profile[name] = value[:limit]
    return profile


async def upsert_user(identity: IdentityClaims) -> User:
    """Just-in-time provisioning: the identity provider is the source of profile truth."""
    profile = _fit_columns(asdict(identity))
    issuer, subject = profile.pop("issuer"), profile.pop("subject")
    now = datetime.now(UTC)
    user = await User.get_or_none(issuer=issuer, subject=subject)
    if user is None:
        try:
            return await User.create(issuer=issuer, subject=subject, last_seen_at=now,
                                     **profile)
        except IntegrityError:
            # Two first requests with one new token: the other one created the user.
            user = await User.get(issuer=issuer, subject=subject)
    if user.last_seen_at is None or now - user.last_seen_at > PROFILE_REFRESH or any(
        getattr(user, key) != value for key, value in profile.items()
    ):
        for key, value in profile.items():
            setattr(user, key, value)
        user.last_seen_at = now
        await user.save()
    return user


async def load_principal(user: User) -> Principal:
    rows = await RoleAssignment.filter(user_id=user.id).values(
        "role", "organization_id", "territory__path"
    )
    grants = tuple(
        Grant(
            role=Role(row["role"]),
            organization_id=row["organization_id"],
            territory_path=row["territory__path"],
        )
        for row in rows
    )
    return Principal(user=user, grants=grants)


@dataclass
class AssignmentInput:
    user_issuer: str
    user_subject: str
    role: Role
    organization_ogrn: str | None = None
    territory_code: str | None = None


async def _scope_of(data: AssignmentInput) -> tuple[Organization | None, Territory | None, str]:
    if data.role == Role.CITIZEN:
        raise DomainError.of("role", _("Everyone has the «citizen» role; it is not assigned"))
    if data.role in ORGANIZATION_ROLES:
        if not data.organization_ogrn or data.territory_code:
            raise DomainError.of(
                "organizationOgrn", _("This role is held in an organization: give only its OGRN"),
                ErrorCode.REQUIRED,
            )
        org = await Organization.get_or_none(ogrn=data.organization_ogrn).select_related(
            "territory"
        )
        if org is None:
            raise DomainError.of("organizationOgrn", _("Organization not found"),
                                 ErrorCode.NOT_FOUND)
        return org, None, f"org:{org.id}"
    if not data.territory_code or data.organization_ogrn:
        raise DomainError.of(
            "territoryCode", _("This role is held on a territory: give only its code"),
            ErrorCode.REQUIRED,
        )
    territory = await Territory.get_or_none(code=data.territory_code)
    if territory is None:
        raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
    return None, territory, f"territory:{territory.id}"


def _may_grant(principal: Principal, role: Role, org: Organization | None,
               territory: Territory | None) -> None:
    """Federal configurators grant anything; regional admins grant inside their region
    (never federal roles); organization admins staff their own body."""
    authz.require_authenticated(principal)
    if principal.territory_scopes(authz.FEDERAL):
        return
    scope_path = org.territory.path if org else territory.path if territory else ""
    if role != Role.FEDERAL_CONFIGURATOR and principal.covers_territory(
        scope_path, (Role.REGIONAL_ADMIN,)
    ):
        return
    if (
        org is not None
        and role in (Role.OPERATOR, Role.EXECUTOR)
        and org.id in principal.organization_ids((Role.ORG_ADMIN,))
    ):
        return
    raise Forbidden()


async def _user_or_error(issuer: str, subject: str) -> User:
    user = await User.get_or_none(issuer=issuer, subject=subject)
    if user is None:
        raise DomainError.of("userSubject", _("User not found"), ErrorCode.NOT_FOUND)
    return user


def _scope_path(org: Organization | None, territory: Territory | None) -> str:
    return org.territory.path if org else territory.path if territory else ""


async def assign_role(principal: Principal, data: AssignmentInput) -> RoleAssignment:
    org, territory, scope_key = await _scope_of(data)
    _may_grant(principal, data.role, org, territory)
    user = await _user_or_error(data.user_issuer, data.user_subject)
    existing = await RoleAssignment.get_or_none(user_id=user.id, role=data.role,
                                                scope_key=scope_key)
    if existing is not None:
        return existing
    async with in_transaction() as conn:
        assignment = await RoleAssignment.create(
            user=user, role=data.role, organization=org, territory=territory,
            scope_key=scope_key, granted_by=principal.user, using_db=conn,
        )
        await record(
            actor=principal.actor, action="role.assign", object_type="role_assignment",
            object_id=assignment.id, before=None,
            after=snapshot(assignment, ASSIGNMENT_FIELDS),
            scope_path=_scope_path(org, territory), using=conn,
        )
    return assignment


async def revoke_role(principal: Principal, data: AssignmentInput) -> RoleAssignment:
    org, territory, scope_key = await _scope_of(data)
    _may_grant(principal, data.role, org, territory)
    user = await _user_or_error(data.user_issuer, data.user_subject)
    assignment = await RoleAssignment.get_or_none(user_id=user.id, role=data.role,
                                                  scope_key=scope_key)
    if assignment is None:
        raise DomainError.of("role", _("The user has no such role"), ErrorCode.NOT_FOUND)
    async with in_transaction() as conn:
        before = snapshot(assignment, ASSIGNMENT_FIELDS)
        await assignment.delete(using_db=conn)
        await record(
            actor=principal.actor, action="role.revoke", object_type="role_assignment",
            object_id=before["scope_key"], before=before, after=None,
            scope_path=_scope_path(org, territory), using=conn,
        )
    return assignment


def visible_assignment_filter(principal: Principal) -> tuple[list[str], set[int]] | None:
    """Territory roots and organization ids whose role assignments the caller may list;
    None means everything (federal configurators)."""
    authz.require_authenticated(principal)
    if principal.territory_scopes(authz.FEDERAL):
        return None
    roots = principal.territory_scopes((Role.REGIONAL_ADMIN, Role.AUDITOR))
    orgs = principal.organization_ids((Role.ORG_ADMIN,))
    if not roots and not orgs:
        raise Forbidden()
    return roots, orgs

