"""Configuration versions: one counter per configuration set, so a process that caches
the set (policies, the reference tree, boundaries, rules, calendars) learns that another
process changed it.

A package of its own, below every part that caches or changes configuration: reference
data and policies both bump counters, and neither needs the other to do it.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import F

from vmeste.platform.versions.models import ConfigVersion

#: Bumped by every change of a region policy: cached resolutions are stale.
POLICY_VERSION = "region_policy"
#: Bumped when territories or categories are created or moved: caches holding the
#: trees (the routing index) rebuild.
REFERENCE_TREE_VERSION = "reference_tree"


async def bump_version(name: str, using: Any = None) -> None:
    """Tell every process that cached configuration ``name`` is stale."""
    updated = await ConfigVersion.filter(name=name).using_db(using).update(
        version=F("version") + 1
    )
    if not updated:
        await ConfigVersion.create(name=name, version=1, using_db=using)


async def current_version(name: str) -> int:
    row = await ConfigVersion.filter(name=name).values_list("version", flat=True)
    return row[0] if row else 0
