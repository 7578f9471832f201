"""Categories as Open311 services: the rubricator's active categories, grouped under
their topic (the root of the category tree), with their keywords and, where a category
asks for them, its attribute definitions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vmeste.platform.reference.models import PATH_SEPARATOR, Category

#: The longest category code (the column's length): a longer one names no service.
CODE_MAX = Category._meta.fields_map["code"].max_length  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Service:
    code: str
    name: str
    description: str
    group: str
    keywords: tuple[str, ...]
    attributes: tuple[dict[str, Any], ...]

    @property
    def metadata(self) -> bool:
        """Whether a client must read the definition: some attribute takes an answer."""
        return any(a["variable"] for a in self.attributes)


def _service(row: dict[str, Any], names: dict[str, str]) -> Service:
    codes = row["path"].split(PATH_SEPARATOR)
    trail = [names.get(code, code) for code in codes]
    return Service(code=row["code"], name=row["name"], description=" — ".join(trail),
                   group=trail[0], keywords=tuple(row["keywords"] or ()),
                   attributes=tuple(row["attributes"] or ()))


async def services() -> list[Service]:
    rows = await Category.filter(active=True).order_by("path").values(
        "code", "name", "path", "keywords", "attributes")
    names = {row["code"]: row["name"] for row in rows}
    return [_service(row, names) for row in rows]


async def service(code: str) -> Service | None:
    """An active category by its code, or None (also for a code too long to be one,
    which the database layer would refuse rather than find nothing)."""
    if len(code) > CODE_MAX:
        return None
    row = await Category.filter(code=code, active=True).first().values(
        "code", "name", "path", "keywords", "attributes")
    if row is None:
        return None
    roots = row["path"].split(PATH_SEPARATOR)
    names = dict(await Category.filter(code__in=roots).values_list("code", "name"))
    return _service(row, names)  # type: ignore[arg-type]
