"""Loading territory boundaries from a GeoJSON file (``vmeste import boundaries``).

Boundary files come from cadastral and statistical sources as one FeatureCollection per
country or region, each feature carrying its territory's ОКТМО in a property. A national
file has some 28 thousand features and can be far larger than memory should hold, so it
is read as a stream (ijson): one batch of features at a time is checked, looked up and
written. The import is still all-or-nothing, like the CSV importers: everything runs in
one transaction, writing stops at the first problem while checking goes on to the end,
and every problem (unknown code, repeated code, bad geometry) is reported together.

Each changed boundary is audited with its before and after; the boundaries version is
bumped so every process's lookup index rebuilds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import ijson
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.csvfiles import CSVImportFailed, ImportError_
from vmeste.platform.i18n import N_, _
from vmeste.platform.reference.geometry import (
    BOUNDARIES_VERSION,
    BoundaryProblem,
    parse_boundary,
)
from vmeste.platform.reference.importers import BATCH_SIZE, Progress, update_statement
from vmeste.platform.reference.models import Territory
from vmeste.platform.versions import bump_version

#: Properties tried, in order, when the caller names none.
CODE_PROPERTIES = ("oktmo", "OKTMO", "code")
#: ОКТМО codes have 8 or 11 digits; a file that stores them as numbers loses the
#: leading zero of regions 01–09.
_OKTMO_LENGTHS = (8, 11)
AUDIT_ACTION = "territory.import_boundary"


class BoundaryImportFailed(CSVImportFailed):
    """The file was rejected as a whole; nothing was written. Each error's ``line`` is
    the feature's number in the collection, counted from 1."""

    line_label = N_("feature")
    column_label = N_("field")


@dataclass(frozen=True, slots=True)
class BoundaryReport:
    total: int
    updated: int
    unchanged: int


@dataclass(slots=True)
class _Loader:
    actor: str
    connection: BaseDBAsyncClient
    code_property: str | None
    errors: list[ImportError_] = field(default_factory=list)
    #: (feature number, code property, code, geometry) awaiting lookup.
    batch: list[tuple[int, str, str, dict[str, Any]]] = field(default_factory=list)
    #: code → number of the feature that carried it, to report repeats.
    seen: dict[str, int] = field(default_factory=dict)
    total: int = 0
    updated: int = 0

    def add(self, number: int, feature: object) -> None:
        self.total = number
        if not isinstance(feature, dict):
            self.errors.append(ImportError_(number, None,
                                            _("The object must be a GeoJSON Feature")))
            return
        found = self._code(number, feature)
        try:
            geometry, _shape = parse_boundary({"type": "Feature",
                                               "geometry": feature.get("geometry")})
        except BoundaryProblem as problem:
            self.errors.append(ImportError_(number, "geometry", str(problem)))
            return
        if found is not None:
            self.batch.append((number, *found, geometry))

    def _code(self, number: int, feature: dict[str, Any]) -> tuple[str, str] | None:
        """(property name, territory code), or None with the problem recorded."""
        properties = feature.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        names = (self.code_property,) if self.code_property else CODE_PROPERTIES
        name = next((n for n in names if properties.get(n) not in (None, "")), None)
        if name is None:
            self.errors.append(ImportError_(number, "properties", _(
                "No territory code: expected the property {names}",
                names=_(" or ").join(names))))
            return None
        code = _code_text(properties[name])
        if code is None:
            self.errors.append(ImportError_(number, name, _(
                "The territory code must be a string or an integer")))
            return None
        first = self.seen.setdefault(code, number)
        if first != number:
            self.errors.append(ImportError_(number, name,
                                            _("Code {code} was already in feature {first}",
                                              code=code, first=first)))
            return None
        return name, code

    async def flush(self) -> None:
        """Look the batch's codes up and, while the file is clean, write the changes."""
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        stored = {code: (pk, path, boundary) for pk, code, path, boundary in
                  await Territory.filter(code__in=[code for _, _, code, _ in batch])
                  .using_db(self.connection).values_list("id", "code", "path", "boundary")}
        changes = []
        for number, name, code, geometry in batch:
            found = stored.get(code)
            if found is None:
                self.errors.append(ImportError_(number, name,
                                                _("Territory {code} not found", code=code)))
            elif found[2] != geometry:
                changes.append((code, found, geometry))
        if self.errors or not changes:
            return
        sql, row = update_statement(Territory, ["boundary"], self.connection)
        await self.connection.execute_many(
            sql, [row(pk, {"boundary": geometry}) for _, (pk, _, _), geometry in changes])
        await AuditEvent.bulk_create([
            AuditEvent(actor=self.actor, action=AUDIT_ACTION, object_type="territory",
                       object_id=code, before={"boundary": before},
                       after={"boundary": geometry}, scope_path=path)
            for code, (_, path, before), geometry in changes
        ], batch_size=BATCH_SIZE, using_db=self.connection)
        self.updated += len(changes)


def _code_text(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        text = str(value)
        return text.zfill(len(text) + 1) if len(text) + 1 in _OKTMO_LENGTHS else text
    return None


def _opened(source: Path) -> tuple[BinaryIO, int]:
    """The file and its size. Reading is synchronous, as for the CSV importers: an
    import is a command-line batch job, not a request handler."""
    return source.open("rb"), source.stat().st_size


async def import_boundaries(source: Path, *, actor: str, code_property: str | None = None,
                            progress: Progress | None = None) -> BoundaryReport:
    """Set the boundary of every territory named in the FeatureCollection at ``source``.

    ``code_property`` names the feature property holding the territory code; by default
    the first of :data:`CODE_PROPERTIES` present. ``progress(done, total)`` counts bytes
    of the file read. Raises :class:`BoundaryImportFailed` with every problem found.
    """
    stream, size = _opened(source)
    with stream:
        return await load_boundaries(stream, size, actor=actor, code_property=code_property,
                                     progress=progress)


async def load_boundaries(stream: BinaryIO, size: int, *, actor: str,
                          code_property: str | None = None,
                          progress: Progress | None = None) -> BoundaryReport:
    """:func:`import_boundaries` from an open stream of ``size`` bytes."""
    async with in_transaction() as connection:
        loader = _Loader(actor, connection, code_property)
        try:
            features = ijson.items(stream, "features.item", use_float=True)
            for number, feature in enumerate(features, start=1):
                loader.add(number, feature)
                if len(loader.batch) >= BATCH_SIZE:
                    await loader.flush()
                    if progress:
                        progress(min(stream.tell(), size), size)
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            loader.errors.append(ImportError_(loader.total + 1, None,
                                              _("The file is not readable as JSON: {error}",
                                                error=exc)))
        await loader.flush()
        if not loader.total and not loader.errors:
            loader.errors.append(ImportError_(1, None, _(
                "The file has no features: expected a GeoJSON FeatureCollection with a "
                "features array")))
        if loader.errors:
            raise BoundaryImportFailed(loader.errors)
        if loader.updated:
            await bump_version(BOUNDARIES_VERSION, connection)
    if progress:
        progress(size, size)
    return BoundaryReport(total=loader.total, updated=loader.updated,
                          unchanged=loader.total - loader.updated)
