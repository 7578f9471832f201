"""Open311 client applications and the Open311 facts of the requests they file.

A key is shown once, when it is made, and stored only as its SHA-256 (a key is 256
random bits, so a plain hash cannot be reversed by guessing); the first characters are
kept to tell keys apart in a list. A revoked key stays as history.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Open311Client(Model):
    """A client application allowed to file requests (``api_key``)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    key_hash = fields.CharField(max_length=64, unique=True)
    #: The key's first characters, to recognise it in a list.
    key_prefix = fields.CharField(max_length=16)
    #: Where a request that gives only an address string is filed (a city's own app).
    territory: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="open311_clients", null=True,
        on_delete=fields.RESTRICT)
    created_by = fields.CharField(max_length=300)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_by = fields.CharField(max_length=300, null=True)

    territory_id: int | None

    class Meta:
        table = "open311_client"
        ordering = ["id"]


class Open311Request(Model):
    """What an Open311 request said beyond its appeal, kept as given."""

    id = fields.IntField(primary_key=True)
    appeal: fields.OneToOneRelation = fields.OneToOneField(
        "vmeste.Appeal", related_name="open311", on_delete=fields.RESTRICT)
    client: fields.ForeignKeyRelation[Open311Client] = fields.ForeignKeyField(
        "vmeste.Open311Client", related_name="requests", on_delete=fields.RESTRICT)
    service_code = fields.CharField(max_length=64)
    address_string = fields.CharField(max_length=500, default="")
    address_id = fields.CharField(max_length=64, default="")
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    media_url = fields.CharField(max_length=2000, default="")
    #: attribute code to its value (a list for a multivaluelist)
    attributes = fields.JSONField(default=dict)
    email = fields.CharField(max_length=255, default="")
    first_name = fields.CharField(max_length=255, default="")
    last_name = fields.CharField(max_length=255, default="")
    phone = fields.CharField(max_length=32, default="")
    device_id = fields.CharField(max_length=255, default="")
    account_id = fields.CharField(max_length=255, default="")
    requested_at = fields.DatetimeField(db_index=True)

    appeal_id: int
    client_id: int

    class Meta:
        table = "open311_request"
        ordering = ["id"]
