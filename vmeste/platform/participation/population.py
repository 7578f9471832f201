"""The population a poll's participants are compared with and weighted to: how many
people of each age band and gender live in a territory.

Statistics offices publish it per territory, so it arrives as a CSV file
(``territory_code,age_band,gender,count``) that is reloaded whole whenever a new
estimate comes out: the import is an idempotent upsert, every line is checked before
the first write, and a file with any mistake changes nothing (the reference data's
rules, :mod:`vmeste.platform.reference.importers`).

A territory's population is its own rows; a territory without rows (a region whose
municipalities were loaded) is the sum of its nearest descendants that have them, so
no person is counted twice when both a municipality and its settlements are loaded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.csvfiles import CSVImportFailed, ImportError_, SourceRow, read_csv
from vmeste.platform.i18n import _
from vmeste.platform.participation.demographics import cell
from vmeste.platform.participation.models import PopulationGroup
from vmeste.platform.reference.models import PATH_SEPARATOR, Territory, subtree

COLUMNS = ("territory_code", "age_band", "gender", "count")
#: Genders a population is given for (a profile without one is not weighted).
GENDERS = ("male", "female")
#: Keys per ``IN (...)`` lookup, within SQLite's and PostgreSQL's parameter limits.
BATCH = 1000
#: More people than any territory holds: a typo of a few zeros, not a count.
MAX_COUNT = 10**10
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PopulationReport:
    total: int
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class Population:
    """People per age band × gender cell (:func:`demographics.cell`) of one territory."""

    cells: dict[str, int]
    #: ``own``: the territory's rows; ``descendants``: summed from those below it;
    #: ``none``: nothing is known.
    source: str

    @property
    def total(self) -> int:
        return sum(self.cells.values())


@dataclass(frozen=True)
class _Line:
    line: int
    territory_id: int
    band: str
    gender: str
    count: int


async def import_population(source: TextIO | Path, *, bands: tuple[str, ...], actor: str,
                            progress: Progress | None = None) -> PopulationReport:
    """Check the whole file, then upsert it in one transaction; raises
    :class:`CSVImportFailed` with every problem found when anything is wrong."""
    rows, errors = read_csv(COLUMNS, source)
    territories = await _territories({row.cells["territory_code"] for row in rows})
    lines = _checked(rows, territories, bands, errors)
    if errors:
        raise CSVImportFailed(errors)
    stored = await _stored({line.territory_id for line in lines})
    created = updated = 0
    changes: dict[int, tuple[dict[str, int], dict[str, int]]] = {}
    async with in_transaction() as conn:
        fresh: list[PopulationGroup] = []
        for done, line in enumerate(lines, 1):
            key = (line.territory_id, line.band, line.gender)
            before = stored.get(key)
            if before is not None and before[1] == line.count:
                continue
            change = changes.setdefault(line.territory_id, ({}, {}))
            change[1][cell(line.band, line.gender)] = line.count
            if before is None:
                fresh.append(PopulationGroup(territory_id=line.territory_id, age_band=line.band,
                                             gender=line.gender, count=line.count))
                created += 1
            else:
                change[0][cell(line.band, line.gender)] = before[1]
                await PopulationGroup.filter(id=before[0]).using_db(conn).update(
                    count=line.count)
                updated += 1
            if progress is not None and done % BATCH == 0:
                progress(done, len(lines))
        await PopulationGroup.bulk_create(fresh, batch_size=BATCH, using_db=conn)
        paths = {t.id: t.path for t in territories.values()}
        for territory_id, (before_cells, after_cells) in sorted(changes.items()):
            await record(actor=actor, action="population.import", object_type="territory",
                         object_id=territory_id, before=before_cells or None,
                         after=after_cells, scope_path=paths[territory_id], using=conn)
    if progress is not None:
        progress(len(lines), len(lines))
    return PopulationReport(total=len(lines), created=created, updated=updated,
                            unchanged=len(lines) - created - updated)


async def _territories(codes: set[str]) -> dict[str, Territory]:
    ordered = sorted(codes)
    found: dict[str, Territory] = {}
    for start in range(0, len(ordered), BATCH):
        for territory in await Territory.filter(code__in=ordered[start:start + BATCH]):
            found[territory.code] = territory
    return found


async def _stored(territory_ids: Iterable[int]) -> dict[tuple[int, str, str], tuple[int, int]]:
    """``(territory, band, gender) → (row id, count)`` of the rows the file touches."""
    ordered = sorted(territory_ids)
    found: dict[tuple[int, str, str], tuple[int, int]] = {}
    for start in range(0, len(ordered), BATCH):
        for row in await PopulationGroup.filter(
                territory_id__in=ordered[start:start + BATCH]).values(
                "id", "territory_id", "age_band", "gender", "count"):
            found[(row["territory_id"], row["age_band"], row["gender"])] = (
                row["id"], row["count"])
    return found


def _checked(rows: list[SourceRow], territories: dict[str, Territory], bands: tuple[str, ...],
             errors: list[ImportError_]) -> list[_Line]:
    """The lines that passed, every problem of the others appended to ``errors``."""
    lines: list[_Line] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row in rows:
        cells = row.cells
        problems = []
        territory = territories.get(cells["territory_code"])
        if territory is None:
            problems.append(ImportError_(row.line, "territory_code", _("Territory not found")))
        if cells["age_band"] not in bands:
            problems.append(ImportError_(row.line, "age_band", _(
                "Unknown age band; the installation's bands are: {bands}",
                bands=", ".join(bands))))
        if cells["gender"] not in GENDERS:
            problems.append(ImportError_(row.line, "gender", _("Gender is male or female")))
        text = cells["count"]
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_COUNT:
            problems.append(ImportError_(row.line, "count", _(
                "A count is a whole number from 0 to {limit}", limit=MAX_COUNT)))
        key = (cells["territory_code"], cells["age_band"], cells["gender"])
        if key in seen:
            problems.append(ImportError_(row.line, None, _(
                "The same territory, age band and gender as line {line}", line=seen[key])))
        seen.setdefault(key, row.line)
        errors.extend(problems)
        if not problems and territory is not None:
            lines.append(_Line(row.line, territory.id, cells["age_band"], cells["gender"],
                               int(text)))
    return lines


async def population_of(territory_path: str) -> Population:
    """The territory's own cells, else those of its nearest descendants with rows."""
    rows = await PopulationGroup.filter(subtree(territory_path, "territory__path")).values(
        "territory__path", "age_band", "gender", "count")
    by_path: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        by_path[str(row["territory__path"])].append(row)
    if territory_path in by_path:
        chosen, source = [territory_path], "own"
    else:
        chosen = [path for path in by_path if not _below_loaded(path, by_path)]
        source = "descendants" if chosen else "none"
    cells: dict[str, int] = defaultdict(int)
    for path in chosen:
        for row in by_path[path]:
            cells[cell(str(row["age_band"]), str(row["gender"]))] += int(row["count"])  # type: ignore[call-overload]
    return Population(cells=dict(cells), source=source)


def _below_loaded(path: str, loaded: Container[str]) -> bool:
    """Whether an ancestor of ``path`` has rows of its own (so ``path`` is counted in it)."""
    codes = path.split(PATH_SEPARATOR)
    return any(PATH_SEPARATOR.join(codes[:depth]) in loaded for depth in range(1, len(codes)))
