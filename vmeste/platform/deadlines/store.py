"""Production calendars as stored versions, and the per-process cache that serves them.

The calendars shipped with the package seed the table the first time any process asks
for a calendar, so a fresh database works without a setup step. After that the table
is the truth: an import stores a new version and makes it current (see
``deadlines/services.py``), and the packaged files are never read again for a name
that has rows. Every process keeps the current calendars in memory, layered on their
bases, and re-reads them when the ``calendars`` ConfigVersion changes (checked at most
every ``check_seconds``), exactly as region policies are cached.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.deadlines.calendar import ProductionCalendar
from vmeste.platform.deadlines.models import StoredCalendar
from vmeste.platform.i18n import _
from vmeste.platform.reference.models import PATH_SEPARATOR
from vmeste.platform.versions import current_version

#: The calendar every territory without a calendar of its own (or its ancestors') uses.
FEDERAL = "ru_federal"
#: Shipped with the package, seeded into an empty table.
PACKAGED = ("ru_federal", "ru_92_tatarstan")
#: ConfigVersion bumped by every calendar import.
CALENDARS_VERSION = "calendars"
PACKAGE_AUTHOR = "system:package"
#: How many bases a calendar may stand on (a regional one stands on one).
MAX_LAYERS = 4


def packaged_document(name: str) -> dict[str, Any]:
    """The JSON document of a packaged calendar, unlayered (as it is stored)."""
    resource = files("vmeste.platform.deadlines").joinpath("data", f"{name}.json")
    document: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return document


def checksum(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def stored_row(calendar: ProductionCalendar, document: Mapping[str, Any], author: str
               ) -> StoredCalendar:
    return StoredCalendar(name=calendar.name, version=calendar.version,
                          territory_code=calendar.territory, base=calendar.base,
                          data=dict(document), checksum=checksum(document), current=True,
                          author=author)


async def seed_packaged(using: BaseDBAsyncClient | None = None) -> int:
    """Store the packaged calendars whose names have no rows yet; returns how many.

    Safe when two processes seed at once: (name, version) is unique and the insert
    ignores the loser's duplicate.
    """
    present = set(await StoredCalendar.filter(name__in=PACKAGED).using_db(using)
                  .values_list("name", flat=True))
    rows = []
    for name in PACKAGED:
        if name not in present:
            document = packaged_document(name)
            rows.append(stored_row(ProductionCalendar.from_dict(document), document,
                                   PACKAGE_AUTHOR))
    if rows:
        await StoredCalendar.bulk_create(rows, ignore_conflicts=True, using_db=using)
    return len(rows)


def layered(name: str, plain: Mapping[str, ProductionCalendar]) -> ProductionCalendar:
    """The calendar ``name`` as it applies: on its base, which stands on its own base."""
    calendar = plain.get(name)
    if calendar is None:
        raise ValueError(_("No calendar «{name}»", name=name))
    chain = [calendar]
    while chain[-1].base is not None:
        base = plain.get(chain[-1].base)
        if base is None:
            raise ValueError(_("The calendar {name} is built on an unknown calendar "
                               "«{base}»", name=chain[-1].name, base=chain[-1].base))
        if len(chain) > MAX_LAYERS or base in chain:
            raise ValueError(_("The calendars {name} are built on each other in a circle",
                               name=name))
        chain.append(base)
    result = chain.pop()
    while chain:
        result = ProductionCalendar.layer(result, chain.pop())
    return result


@dataclass(frozen=True)
class CalendarSet:
    """The current calendars, layered, and which territory each binds to."""

    calendars: Mapping[str, ProductionCalendar]
    #: territory code → calendar name
    bindings: Mapping[str, str]
    #: calendar name → its stored document (unlayered)
    documents: Mapping[str, Mapping[str, Any]]

    @classmethod
    def build(cls, rows: list[dict[str, Any]]) -> CalendarSet:
        plain = {row["name"]: ProductionCalendar.from_dict(row["data"]) for row in rows}
        calendars = {name: layered(name, plain) for name in plain}
        bindings = {row["territory_code"]: row["name"] for row in rows}
        return cls(calendars=calendars, bindings=bindings,
                   documents={row["name"]: row["data"] for row in rows})

    def for_path(self, territory_path: str) -> ProductionCalendar:
        """The calendar of the nearest territory on the path that has one; else federal."""
        for code in reversed(territory_path.split(PATH_SEPARATOR)):
            name = self.bindings.get(code)
            if name is not None:
                return self.calendars[name]
        return self.calendars[FEDERAL]


async def load_current(using: BaseDBAsyncClient | None = None) -> CalendarSet:
    rows = await StoredCalendar.filter(current=True).using_db(using).values(
        "name", "territory_code", "data")
    if not set(PACKAGED) <= {row["name"] for row in rows}:
        # Read again even when this call inserted nothing: a concurrent first use may
        # have seeded between the read above and the seed's own check.
        await seed_packaged(using)
        rows = await StoredCalendar.filter(current=True).using_db(using).values(
            "name", "territory_code", "data")
    return CalendarSet.build(rows)


class CalendarStore:
    """The current calendars of this process, refreshed when another process imports."""

    def __init__(self, check_seconds: float = 2.0) -> None:
        self.check_seconds = check_seconds
        self._set: CalendarSet | None = None
        self._version = -1
        self._checked_at = 0.0

    def invalidate(self) -> None:
        self._set = None

    async def current(self) -> CalendarSet:
        now = time.monotonic()
        if self._set is not None and now - self._checked_at < self.check_seconds:
            return self._set
        version = await current_version(CALENDARS_VERSION)
        self._checked_at = now
        if self._set is None or version != self._version:
            self._set = await load_current()
            self._version = version
        return self._set

    async def for_path(self, territory_path: str) -> ProductionCalendar:
        return (await self.current()).for_path(territory_path)
