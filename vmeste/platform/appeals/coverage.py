"""Which category × territory pairs no competence rule covers.

Gaps are what send appeals to the manual moderation queue, so regional
administrators close them before citizens hit them. Leaf categories are checked
against the territory and every territory below it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from vmeste.platform.appeals.routing import RuleIndex
from vmeste.platform.reference.models import Category, Territory, subtree


@dataclass
class Coverage:
    pairs_checked: int = 0
    #: (territory code, territory name, category code, category name)
    gaps: list[tuple[str, str, str, str]] = field(default_factory=list)


async def coverage(index: RuleIndex, territory: Territory, on: date) -> Coverage:
    territories = await Territory.filter(subtree(territory.path)).order_by(
        "path").values_list("id", "code", "name")
    parents = set(await Category.filter(parent_id__isnull=False).values_list("parent_id",
                                                                            flat=True))
    leaves = [row for row in await Category.filter(active=True).order_by("path").values_list(
        "id", "code", "name") if row[0] not in parents]
    result = Coverage()
    for t_id, t_code, t_name in territories:
        for c_id, c_code, c_name in leaves:
            result.pairs_checked += 1
            if not index.covers(category_id=c_id, territory_id=t_id, on=on):
                result.gaps.append((t_code, t_name, c_code, c_name))
    return result
