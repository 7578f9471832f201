"""Official pages: the registry of a body's accounts on social networks, what each
snapshot read of a page, every compliance rule's result on it, and the declarations
an administrator confirms for the rules no network can check (DESIGN §7)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class PageStatus(StrEnum):
    """A RETIRED page stays for its history but is no longer snapshotted or counted."""

    ACTIVE = "active"
    RETIRED = "retired"


class ResultSource(StrEnum):
    """Where a result comes from: the network's own facts, or a confirmed declaration."""

    NETWORK = "network"
    DECLARED = "declared"


class OfficialPage(Model):
    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Organization", related_name="official_pages", on_delete=fields.RESTRICT)
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="official_pages", on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255, db_index=True)
    #: The name of the connector strategy: ``vk``, ``ok``, ``telegram``.
    network = fields.CharField(max_length=32)
    #: The id of the page on the network, as the connector takes it.
    page_ref = fields.CharField(max_length=200)
    screen_name = fields.CharField(max_length=200, default="")
    url = fields.CharField(max_length=500, default="")
    #: The name of the body as the page must show it (``name_matches``).
    registered_name = fields.CharField(max_length=500)
    #: The official answering for the page (``responsible_2fa`` is declared for them).
    responsible_name = fields.CharField(max_length=300, default="")
    responsible_position = fields.CharField(max_length=500, default="")
    #: The name of the credentials the connector reads its secrets under ("" for the default).
    token_variable = fields.CharField(max_length=100, default="")
    status = fields.CharEnumField(PageStatus, max_length=16, default=PageStatus.ACTIVE,
                                  db_index=True)
    #: When the deadline watchdog takes the next snapshot (empty for a retired page).
    next_snapshot_at = fields.DatetimeField(null=True, db_index=True)
    created_by = fields.CharField(max_length=300)
    revision = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    organization_id: int
    territory_id: int

    class Meta:
        table = "official_page"
        ordering = ["id"]
        unique_together = (("network", "page_ref"),)


class PageSnapshot(Model):
    id = fields.BigIntField(primary_key=True)
    page: fields.ForeignKeyRelation[OfficialPage] = fields.ForeignKeyField(
        "vmeste.OfficialPage", related_name="snapshots", on_delete=fields.RESTRICT)
    taken_at = fields.DatetimeField(db_index=True)
    #: The :class:`PageProfile` read as JSON (dates as ISO strings), {} after an error.
    profile = fields.JSONField(default=dict)
    posts_in_window = fields.IntField(null=True)
    #: The failure of the connector, typed and free of secrets ("" when the read succeeded).
    error = fields.CharField(max_length=500, default="")
    taken_by = fields.CharField(max_length=300)

    page_id: int

    class Meta:
        table = "page_snapshot"
        ordering = ["id"]


class ComplianceResult(Model):
    id = fields.BigIntField(primary_key=True)
    page: fields.ForeignKeyRelation[OfficialPage] = fields.ForeignKeyField(
        "vmeste.OfficialPage", related_name="results", on_delete=fields.RESTRICT)
    snapshot: fields.ForeignKeyRelation[PageSnapshot] = fields.ForeignKeyField(
        "vmeste.PageSnapshot", related_name="results", on_delete=fields.RESTRICT)
    rule_code = fields.CharField(max_length=64)
    rule_version = fields.IntField()
    #: None while a declared rule awaits its confirmation.
    passed = fields.BooleanField(null=True)
    source = fields.CharEnumField(ResultSource, max_length=16)
    evidence = fields.JSONField(default=dict)
    checked_at = fields.DatetimeField()

    page_id: int
    snapshot_id: int

    class Meta:
        table = "compliance_result"
        ordering = ["id"]
        indexes = (("page_id", "rule_code", "checked_at"),)


class PageDeclaration(Model):
    id = fields.IntField(primary_key=True)
    page: fields.ForeignKeyRelation[OfficialPage] = fields.ForeignKeyField(
        "vmeste.OfficialPage", related_name="declarations", on_delete=fields.RESTRICT)
    rule_code = fields.CharField(max_length=64)
    value = fields.BooleanField()
    note = fields.TextField(default="")
    declared_by = fields.CharField(max_length=300)
    declared_at = fields.DatetimeField()
    #: None until the regional centre decides.
    confirmed = fields.BooleanField(null=True)
    confirmed_by = fields.CharField(max_length=300, default="")
    confirmed_at = fields.DatetimeField(null=True)
    reason = fields.TextField(default="")

    page_id: int

    class Meta:
        table = "page_declaration"
        ordering = ["id"]
