"""The configuration counters' table."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ConfigVersion(Model):
    """A counter per configuration set, bumped on every change.

    Each process caches resolved configuration and compares this counter (at most once
    per ``VMESTE_POLICY_CACHE_SECONDS``) so that a change made through one API pod is
    seen by every other pod and worker without a message bus.
    """

    name = fields.CharField(max_length=64, primary_key=True)
    version = fields.BigIntField(default=0)

    class Meta:
        table = "config_version"
