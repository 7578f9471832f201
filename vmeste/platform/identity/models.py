"""People and legal entities known to the platform, and the roles they hold.

A user row is created the first time a verified token is seen; roles never come from
the identity provider (ESIA knows nothing of our roles) but from assignments made by
administrators, each scoped to an organization or a territory.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class UserKind(StrEnum):
    PERSON = "person"
    LEGAL = "legal"


class Role(StrEnum):
    CITIZEN = "citizen"
    OPERATOR = "operator"
    EXECUTOR = "executor"
    ORG_ADMIN = "org_admin"
    MODERATOR = "moderator"
    REGIONAL_ADMIN = "regional_admin"
    FEDERAL_CONFIGURATOR = "federal_configurator"
    AUDITOR = "auditor"


class User(Model):
    id = fields.IntField(primary_key=True)
    issuer = fields.CharField(max_length=255)
    subject = fields.CharField(max_length=255)
    kind = fields.CharEnumField(UserKind, max_length=8, default=UserKind.PERSON)
    last_name = fields.CharField(max_length=255, default="")
    first_name = fields.CharField(max_length=255, default="")
    middle_name = fields.CharField(max_length=255, default="")
    birth_date = fields.DateField(null=True)
    gender = fields.CharField(max_length=8, default="")
    email = fields.CharField(max_length=255, default="")
    phone = fields.CharField(max_length=32, default="")
    address_oktmo = fields.CharField(max_length=11, default="")
    address_fias = fields.CharField(max_length=36, default="")
    verified = fields.BooleanField(default=False)
    org_ogrn = fields.CharField(max_length=13, default="")
    org_name = fields.CharField(max_length=500, default="")
    org_authority = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(null=True)

    class Meta:
        table = "vmeste_user"
        unique_together = (("issuer", "subject"),)
        ordering = ["id"]


class RoleAssignment(Model):
    """``scope_key`` makes the grant unique even though one of its two scopes is NULL."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "vmeste.User", related_name="roles", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(Role, max_length=32)
    organization: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Organization", related_name="role_assignments", null=True,
        on_delete=fields.CASCADE,
    )
    territory: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="role_assignments", null=True, on_delete=fields.CASCADE
    )
    scope_key = fields.CharField(max_length=64)
    granted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "vmeste.User", related_name="granted_roles", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    user_id: int
    organization_id: int | None
    territory_id: int | None

    class Meta:
        table = "role_assignment"
        unique_together = (("user", "role", "scope_key"),)
        ordering = ["id"]
