"""The operator's workstation: how an appeal filed on someone's behalf came in and
whom it was told by, the code that lets that person take it into their account, and
the filters operators keep."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ContactMode(StrEnum):
    """How the applicant reached the operator."""

    PHONE = "phone"
    VISIT = "visit"
    LETTER = "letter"
    EMAIL = "email"
    OTHER = "other"


class AppealContact(Model):
    """The applicant's details as they gave them to the operator: personal data, shown
    in full to the responsible body's staff only."""

    id = fields.IntField(primary_key=True)
    appeal: fields.OneToOneRelation = fields.OneToOneField(
        "vmeste.Appeal", related_name="contact", on_delete=fields.CASCADE)
    mode = fields.CharEnumField(ContactMode, max_length=16)
    name = fields.CharField(max_length=300, default="")
    phone = fields.CharField(max_length=32, default="")
    email = fields.CharField(max_length=255, default="")
    postal_address = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    appeal_id: int

    class Meta:
        table = "appeal_contact"


class AppealClaim(Model):
    """A single-use, expiring code with which a signed-in citizen takes an appeal filed
    for them into their account. It goes out in the filing notice, whose text is stored
    like every notification's, so it is kept as it was sent."""

    id = fields.IntField(primary_key=True)
    appeal: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Appeal", related_name="claims", on_delete=fields.CASCADE)
    code = fields.CharField(max_length=16, unique=True)
    expires_at = fields.DatetimeField()
    claimed_at = fields.DatetimeField(null=True)
    claimed_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="appeal_claims", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    appeal_id: int
    claimed_by_id: int | None

    class Meta:
        table = "appeal_claim"


class ClaimFailure(Model):
    """A wrong claim code entered by a user: counted against guessing."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="claim_failures", on_delete=fields.CASCADE)
    at = fields.DatetimeField(auto_now_add=True)

    user_id: int

    class Meta:
        table = "appeal_claim_failure"
        indexes = (("user_id", "at"),)


class SavedFilter(Model):
    """A named set of the appeals connection's filter arguments, its owner's, and
    optionally shared with the staff of one of the owner's bodies."""

    id = fields.IntField(primary_key=True)
    owner: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="saved_filters", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    #: The filter's arguments, as the appeals connection names them (camelCase).
    arguments = fields.JSONField(default=dict)
    #: The body whose staff see the filter too, or null when it is the owner's alone.
    shared_with: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Organization", related_name="saved_filters", null=True,
        on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    owner_id: int
    shared_with_id: int | None

    class Meta:
        table = "appeal_saved_filter"
        unique_together = (("owner", "name"),)
        ordering = ["name", "id"]
