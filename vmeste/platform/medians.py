"""The median of a column over some rows, in SQL, for the statistics of any component.

A median is not additive (a region's is not computed from its bodies'), so it is read
as the middle row or two of the ordered values: one indexed query, whatever the rows'
number, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.models import Model


async def median(model: type[Model], condition: Q, column: str, count: int) -> float | None:
    """The middle value of ``column`` (the mean of the two middle ones for an even
    ``count``) over the rows matching ``condition``; ``count`` is how many of them have a
    value, known to the caller from its grouped counts."""
    if not count:
        return None
    values = await model.filter(condition, **{f"{column}__isnull": False}).order_by(
        column).offset((count - 1) // 2).limit(2 - count % 2).values_list(column, flat=True)
    return sum(values) / len(values) if values else None
