"""Region policies: which plugin serves which strategy kind in which territory."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RegionPolicy(Model):
    id = fields.IntField(primary_key=True)
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="policies", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    plugin = fields.CharField(max_length=100)
    settings = fields.JSONField(default=dict)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    territory_id: int

    class Meta:
        table = "region_policy"
        unique_together = (("territory", "kind", "plugin"),)
        ordering = ["id"]

