"""Bulk loading of reference data (territories, bodies, categories) from CSV files.

Administrators keep reference data in spreadsheets and reload the whole sheet whenever
something changes, so an import is an idempotent upsert: rows that did not change are
not touched, and a file with any mistake changes nothing at all. Every line is checked
before the first write and all problems are reported together, with the file's real
line numbers, so that one round of corrections is enough.

The demo data set (:mod:`vmeste.platform.reference.demo`) goes through the same
pipeline, :func:`upsert_rows`, so generated data obeys exactly the rules typed-in data
does.

An import never deletes: a row missing from the file is left as it is, because bodies
and territories are referenced by appeals that must keep their history.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import Any, ClassVar, Literal, TextIO, TypeVar

from pypika_tortoise.terms import Parameter
from tortoise import timezone
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.csvfiles import (
    CSVImportFailed,
    ImportError_,
    SourceRow,
    read_csv,
)
from vmeste.platform.i18n import N_, _, translate
from vmeste.platform.reference.models import (
    PATH_SEPARATOR,
    TERRITORY_PARENT_KIND,
    Category,
    CompetenceLevel,
    Organization,
    OrganizationKind,
    Territory,
    TerritoryKind,
)
from vmeste.platform.reference.paths import move_territory_paths
from vmeste.platform.reference.validators import (
    inn_problem,
    ogrn_problem,
    territory_code_problem,
    timezone_problem,
)
from vmeste.platform.versions import REFERENCE_TREE_VERSION, bump_version

Kind = Literal["territories", "organizations", "categories"]
Progress = Callable[[int, int], None]

#: Rows per INSERT/UPDATE statement and keys per ``IN (...)`` lookup: large enough to
#: amortise round trips, small enough for SQLite's and PostgreSQL's parameter limits.
BATCH_SIZE = 1000

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ImportReport:
    kind: Kind
    total: int
    created: int
    updated: int
    unchanged: int
    #: Rows absent from the file whose ``path`` changed because an ancestor moved.
    paths_rewritten: int = 0


async def import_csv(
    kind: Kind,
    source: TextIO | Path,
    *,
    actor: str,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate the whole file, then upsert it in one transaction.

    Raises :class:`CSVImportFailed` with every problem found when anything is wrong.
    """
    handler = _handler(kind)
    rows, read_errors = read_csv(handler.columns, source)
    async with in_transaction() as connection:
        return await _bump_tree(await _upsert(
            handler, rows, read_errors, actor=actor, connection=connection, progress=progress
        ), connection)


async def upsert_rows(
    kind: Kind,
    rows: Sequence[SourceRow],
    *,
    actor: str,
    connection: BaseDBAsyncClient,
    progress: Progress | None = None,
) -> ImportReport:
    """The import pipeline without the file, inside the caller's transaction.

    For generators of CSV-shaped rows (the demo data) that must obey the same rules.
    """
    return await _bump_tree(await _upsert(
        _handler(kind), rows, [], actor=actor, connection=connection, progress=progress
    ), connection)


async def _bump_tree(report: ImportReport, connection: BaseDBAsyncClient) -> ImportReport:
    """Trees changed: caches that hold them (the routing index) must rebuild."""
    if report.kind != "organizations" and (report.created or report.updated):
        await bump_version(REFERENCE_TREE_VERSION, connection)
    return report


# --- the shared pipeline ---------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    """A row of the tree or hierarchy as it will be after the import.

    File rows override database rows with the same key, so parent references resolve
    against the merged picture whether the parent is stored, earlier or later in the file.
    """

    key: str
    values: dict[str, Any]
    line: int | None = None
    stored: dict[str, Any] | None = None
    id: int | None = None
    depth: int = 0
    #: The line had its own problems; it still resolves references but is not judged
    #: against its neighbours, which would only repeat the same mistake.
    faulty: bool = False

    @property
    def parent(self) -> str | None:
        return self.values["parent"]

    @property
    def file_line(self) -> int:
        assert self.line is not None, "only rows from the file have a line"
        return self.line


async def _upsert(
    handler: _Handler,
    rows: Sequence[SourceRow],
    errors: list[ImportError_],
    *,
    actor: str,
    connection: BaseDBAsyncClient,
    progress: Progress | None,
) -> ImportReport:
    extra = _extra_fields(handler, rows)
    nodes = await _load(handler, extra, connection)
    records = _parse(handler, rows, nodes, errors)
    errors += await handler.check_context(records, connection)
    _check_references(handler, nodes, errors)
    ordered = _order(handler, nodes, errors)
    for node in ordered:
        problem = handler.derive(node, nodes[node.parent] if node.parent else None)
        if problem:
            errors.append(ImportError_(_blame_line(node, nodes), *problem))
    if errors:
        raise CSVImportFailed(errors)
    return await _write(handler, ordered, len(rows), actor, connection, progress)


def _extra_fields(handler: _Handler, rows: Sequence[SourceRow]) -> tuple[str, ...]:
    """Model attributes beyond the CSV columns; every row must carry the same ones,
    because one UPDATE statement writes the same columns for a whole batch."""
    names = tuple(rows[0].extra) if rows else ()
    if any(tuple(row.extra) != names for row in rows):
        raise ValueError("every row must carry the same extra fields")
    unknown = set(names) - set(handler.model._meta.fields_map)
    if unknown:
        raise ValueError(f"{handler.model.__name__} has no fields {sorted(unknown)}")
    return names


async def _load(
    handler: _Handler, extra: tuple[str, ...], connection: BaseDBAsyncClient
) -> dict[str, _Node]:
    """The whole table in one query: parent chains of any length are then resolved and
    checked for cycles in memory, and a moved node's descendants are at hand."""
    names = (*handler.lookups, *extra)
    lookups = (*handler.lookups.values(), *extra)
    nodes: dict[str, _Node] = {}
    for pk, *cells in await handler.model.all().using_db(connection).values_list("id", *lookups):
        stored = {
            name: value.value if isinstance(value, Enum) else value
            for name, value in zip(names, cells, strict=True)
        }
        key = stored[handler.key]
        nodes[key] = _Node(key, dict(stored), stored=stored, id=pk)
    return nodes


def _parse(
    handler: _Handler,
    rows: Sequence[SourceRow],
    nodes: dict[str, _Node],
    errors: list[ImportError_],
) -> list[_Node]:
    first_line: dict[str, int] = {}
    records: list[_Node] = []
    for row in rows:
        values, problems = handler.parse(row.cells)
        errors.extend(ImportError_(row.line, column, message) for column, message in problems)
        key = values[handler.key]
        if not key:
            continue
        if key in first_line:
            errors.append(ImportError_(
                row.line, handler.key, _("Value {key} already appears on line {line}", key=key,
                                   line=first_line[key])
            ))
            continue
        first_line[key] = row.line
        stored = nodes.get(key)
        record = _Node(
            key,
            {**values, **row.extra},
            line=row.line,
            stored=stored.stored if stored else None,
            id=stored.id if stored else None,
            faulty=bool(problems),
        )
        nodes[key] = record
        records.append(record)
    return records


def _check_references(
    handler: _Handler, nodes: Mapping[str, _Node], errors: list[ImportError_]
) -> None:
    for node in nodes.values():
        if node.parent is None:
            continue
        parent = nodes.get(node.parent)
        if parent is None:
            # Only a file row can point nowhere: stored rows are held by foreign keys.
            errors.append(ImportError_(
                node.file_line, handler.parent_column,
                _("{parent} is neither in the file nor in the database", parent=node.parent),
            ))
            continue
        if (node.line is None and parent.line is None) or node.faulty or parent.faulty:
            continue
        problem = handler.relation_problem(node, parent)
        if problem is None:
            continue
        if node.line is not None:
            errors.append(ImportError_(node.line, handler.parent_column, problem))
        else:
            # A stored child no longer fits its parent, changed by this file.
            errors.append(ImportError_(parent.file_line, None, problem))


def _order(
    handler: _Handler, nodes: Mapping[str, _Node], errors: list[ImportError_]
) -> list[_Node]:
    """Nodes with a sound ancestry, parents before children; reports parent cycles.

    Walks iteratively, because a hierarchy of bodies has no depth limit to rely on.
    """
    depth: dict[str, int] = {}
    broken: set[str] = set()
    for start in nodes:
        chain: list[str] = []
        position: dict[str, int] = {}
        key: str | None = start
        base: int | None
        while True:
            if key is None:
                base = -1
                break
            if key in depth:
                base = depth[key]
                break
            if key in broken or key not in nodes:
                base = None
                break
            if key in position:
                _report_cycle(handler, nodes, chain[position[key]:], errors)
                base = None
                break
            position[key] = len(chain)
            chain.append(key)
            key = nodes[key].parent
        if base is None:
            broken.update(chain)
            continue
        for offset, member in enumerate(reversed(chain), start=1):
            depth[member] = nodes[member].depth = base + offset
    return sorted((nodes[key] for key in depth), key=lambda node: node.depth)


def _report_cycle(
    handler: _Handler, nodes: Mapping[str, _Node], cycle: list[str], errors: list[ImportError_]
) -> None:
    loop = " → ".join([*cycle, cycle[0]])
    for key in cycle:
        line = nodes[key].line
        if line is not None:
            errors.append(ImportError_(line, handler.parent_column,
                                       _("Circular reference: {loop}", loop=loop)))


def _blame_line(node: _Node, nodes: Mapping[str, _Node]) -> int:
    """The file line that caused a problem of ``node``: its own, or that of the nearest
    ancestor in the file when ``node`` is only stored and merely moved along."""
    current = node
    while current.line is None:
        assert current.parent is not None
        current = nodes[current.parent]
    return current.line


async def _write(
    handler: _Handler,
    ordered: list[_Node],
    total: int,
    actor: str,
    connection: BaseDBAsyncClient,
    progress: Progress | None,
) -> ImportReport:
    created = [node for node in ordered if node.stored is None]
    changed = [
        node for node in ordered
        if node.stored is not None
        and any(node.stored.get(name) != value for name, value in node.values.items())
    ]
    updated = sum(1 for node in changed if node.line is not None)
    unchanged = sum(1 for node in ordered if node.line is not None) - len(created) - updated
    done = unchanged
    if progress:
        progress(done, total)

    ids = {node.key: node.id for node in ordered if node.id is not None}
    for _depth, level in groupby(created, key=lambda node: node.depth):
        batch_nodes = list(level)
        for batch in _chunks(batch_nodes):
            await handler.model.bulk_create(
                [handler.model(**handler.model_fields(n.values, ids)) for n in batch],
                batch_size=BATCH_SIZE,
                using_db=connection,
            )
            done += len(batch)
            if progress:
                progress(done, total)
        # bulk_create does not return keys; children of this level need them.
        for batch in _chunks([n.key for n in batch_nodes]):
            ids.update(
                await handler.model.filter(**{f"{handler.key}__in": batch})
                .using_db(connection)
                .values_list(handler.key, "id")
            )

    if changed:
        updates = [(node.id, handler.model_fields(node.values, ids)) for node in changed]
        columns = [name for name in updates[0][1] if name != handler.key]
        sql, row = update_statement(handler.model, columns, connection)
        for batch, nodes in zip(_chunks(updates), _chunks(changed), strict=True):
            await connection.execute_many(sql, [row(pk, fields) for pk, fields in batch])
            done += sum(1 for node in nodes if node.line is not None)
            if progress:
                progress(done, total)
        if handler.kind == "territories":
            for node in changed:
                if node.stored is not None and node.stored["path"] != node.values["path"]:
                    await move_territory_paths(node.stored["path"], node.values["path"],
                                               connection, subtree=False)

    # Objects are identified by their natural key, as the API's own audit events do, so
    # one history query finds both; ids differ between environments, codes do not.
    events = [
        AuditEvent(
            actor=actor,
            action=f"{handler.object_type}.import",
            object_type=handler.object_type,
            object_id=node.key,
            before=node.stored,
            after=node.values,
            scope_path=handler.scope_path(node.values),
        )
        for node in (*created, *changed)
    ]
    for batch in _chunks(events):
        await AuditEvent.bulk_create(batch, batch_size=BATCH_SIZE, using_db=connection)
    if progress:
        progress(total, total)
    return ImportReport(
        kind=handler.kind,
        total=total,
        created=len(created),
        updated=updated,
        unchanged=unchanged,
        paths_rewritten=len(changed) - updated,
    )


def update_statement(
    model: type[Model], columns: list[str], connection: BaseDBAsyncClient
) -> tuple[str, Callable[[Any, Mapping[str, Any]], list[Any]]]:
    """A parameterised ``UPDATE … WHERE id = ?`` for ``executemany``, and its row encoder.

    Tortoise's ``bulk_update`` renders one ``CASE`` arm per row and column: building it
    costs about a second per thousand rows and SQLite then scans every arm for every row.
    A prepared statement executed for a batch is one driver call (pipelined by asyncpg)
    and takes milliseconds.
    """
    meta = model._meta
    table = meta.basetable
    names = [*columns, "updated_at"]
    query = connection.query_class.update(table)
    for position, name in enumerate(names, start=1):
        query = query.set(meta.fields_db_projection[name], Parameter(idx=position))
    pk = Parameter(idx=len(names) + 1)
    sql = query.where(table[meta.db_pk_column] == pk).get_sql()
    fields = [meta.fields_map[name] for name in columns]
    now = meta.fields_map["updated_at"].to_db_value(timezone.now(), model)

    def row(pk: Any, values: Mapping[str, Any]) -> list[Any]:
        return [*(f.to_db_value(values[f.model_field_name], model) for f in fields), now, pk]

    return sql, row


def _chunks(items: Sequence[_T], size: int = BATCH_SIZE) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- what differs between kinds --------------------------------------------------------

Problems = list[tuple[str | None, str]]


@cache
def _max_length(model: type[Model], name: str) -> int:
    length = model._meta.fields_map[name].max_length  # type: ignore[attr-defined]
    assert isinstance(length, int)
    return length


def _text(cells: Mapping[str, str], column: str, max_length: int, problems: Problems,
          *, required: bool = True) -> str:
    value = cells[column]
    if required and not value:
        problems.append((column, _("Empty")))
    elif len(value) > max_length:
        problems.append((column, _("Longer than {limit} characters", limit=max_length)))
    return value


def _choice(cells: Mapping[str, str], column: str, allowed: type[Enum],
            problems: Problems) -> str:
    value = cells[column]
    choices = _values_of(allowed)
    if value not in choices:
        problems.append((column, _("Value «{value}» is not allowed; allowed: {allowed}",
                                   value=value, allowed=", ".join(choices))))
    return value


@cache
def _values_of(enum: type[Enum]) -> tuple[str, ...]:
    return tuple(str(member.value) for member in enum)


class _Handler(ABC):
    """Everything that differs between the three kinds; the pipeline above is shared."""

    kind: ClassVar[Kind]
    model: ClassVar[type[Model]]
    object_type: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    key: ClassVar[str]
    parent_column: ClassVar[str]
    #: Value name -> ORM lookup for the values a row is compared by. Names are the
    #: ones ``parse`` produces, so stored and incoming rows compare directly, and they
    #: double as the audit snapshot: references by code, never by database id.
    lookups: ClassVar[dict[str, str]]

    @abstractmethod
    def parse(self, cells: Mapping[str, str]) -> tuple[dict[str, Any], Problems]:
        """Values of one line and the problems visible in that line alone."""

    async def check_context(
        self, records: list[_Node], connection: BaseDBAsyncClient
    ) -> list[ImportError_]:
        """Problems with references to other kinds of reference data."""
        return []

    def relation_problem(self, child: _Node, parent: _Node) -> str | None:
        return None

    def derive(self, node: _Node, parent: _Node | None) -> tuple[str | None, str] | None:
        """Fill values that follow from the parent; a (column, message) if impossible."""
        return None

    def scope_path(self, values: Mapping[str, Any]) -> str:
        return ""

    def model_fields(self, values: Mapping[str, Any], ids: Mapping[str, int]) -> dict[str, Any]:
        fields = {name: value for name, value in values.items() if name != "parent"}
        fields["parent_id"] = ids[values["parent"]] if values["parent"] else None
        return fields


class _TreeHandler(_Handler):
    """Kinds that keep a materialised path of codes, rewritten whenever an ancestor moves."""

    def derive(self, node: _Node, parent: _Node | None) -> tuple[str | None, str] | None:
        path = (parent.values["path"] + PATH_SEPARATOR if parent else "") + node.key
        node.values["path"] = path
        limit = _max_length(self.model, "path")
        if len(path) > limit:
            return None, _("Nested too deep: path {path} is longer than {limit} characters",
                           path=path, limit=limit)
        return None


#: A kind of territory as a sentence's subject, and as its object ("is in a region"):
#: Russian inflects the two differently.
_TERRITORY_NOMINATIVE = {
    "country": N_("country"),
    "region": N_("region"),
    "municipality": N_("municipality"),
    "settlement": N_("settlement"),
}
_TERRITORY_ACCUSATIVE = {
    "country": N_("a country"),
    "region": N_("a region"),
    "municipality": N_("a municipality"),
    "settlement": N_("a settlement"),
}


class _Territories(_TreeHandler):
    kind = "territories"
    model = Territory
    object_type = "territory"
    columns = ("code", "name", "kind", "parent_code", "timezone")
    key = "code"
    parent_column = "parent_code"
    lookups: ClassVar[dict[str, str]] = {
        "code": "code", "name": "name", "kind": "kind", "parent": "parent__code",
        "timezone": "timezone", "path": "path",
    }

    def parse(self, cells: Mapping[str, str]) -> tuple[dict[str, Any], Problems]:
        problems: Problems = []
        code = _text(cells, "code", _max_length(Territory, "code"), problems)
        name = _text(cells, "name", _max_length(Territory, "name"), problems)
        kind = _choice(cells, "kind", TerritoryKind, problems)
        parent = cells["parent_code"] or None
        timezone = _text(cells, "timezone", _max_length(Territory, "timezone"), problems,
                         required=False)
        if kind in _TERRITORY_NOMINATIVE:
            if code and (problem := territory_code_problem(code, kind)):
                problems.append(("code", problem))
            expected = TERRITORY_PARENT_KIND[TerritoryKind(kind)]
            if expected is None and parent:
                problems.append(("parent_code", _("A country cannot have a parent")))
            elif expected is not None and not parent:
                problems.append(("parent_code", _(
                    "No parent given: a {kind} is part of {parent_kind}",
                    kind=translate(_TERRITORY_NOMINATIVE[kind]),
                    parent_kind=translate(_TERRITORY_ACCUSATIVE[expected]))))
            if expected is None and not timezone:
                problems.append(("timezone", _("A country needs a time zone")))
        if timezone and (problem := timezone_problem(timezone)):
            problems.append(("timezone", problem))
        return {"code": code, "name": name, "kind": kind, "parent": parent,
                "timezone": timezone}, problems

    def relation_problem(self, child: _Node, parent: _Node) -> str | None:
        kind, parent_kind = child.values["kind"], parent.values["kind"]
        expected = TERRITORY_PARENT_KIND[TerritoryKind(kind)]
        if expected is None:
            return _("A country cannot have a parent")
        if parent_kind != expected:
            return _("{kind} {code} must be part of {expected}, but {parent} is a {parent_kind}",
                     kind=translate(_TERRITORY_NOMINATIVE[kind]).capitalize(), code=child.key,
                     expected=translate(_TERRITORY_ACCUSATIVE[expected]), parent=parent.key,
                     parent_kind=translate(_TERRITORY_NOMINATIVE[parent_kind]))
        # Every ОКТМО code starts with the two digits of its subject of the federation.
        if parent_kind != TerritoryKind.COUNTRY and child.key[:2] != parent.key[:2]:
            return _("OKTMO code {code} does not belong to {parent}: the first two digits "
                     "(the code of the federal subject) must match", code=child.key,
                     parent=parent.key)
        return None

    def derive(self, node: _Node, parent: _Node | None) -> tuple[str | None, str] | None:
        if not node.values["timezone"] and parent is not None:
            node.values["timezone"] = parent.values["timezone"]
        return super().derive(node, parent)

    def scope_path(self, values: Mapping[str, Any]) -> str:
        return str(values["path"])


_BODY_LABEL = {"regional": N_("A regional body"),
               "municipal": N_("A local self-government body")}
#: Where bodies of a level may sit; federal bodies, institutions and industry
#: organisations have branches at every level.
_BODY_TERRITORY_KINDS = {
    "regional": {"region", "municipality", "settlement"},
    "municipal": {"municipality", "settlement"},
}


@dataclass(frozen=True, slots=True)
class _TerritoryRef:
    id: int
    kind: str
    path: str


class _Organizations(_Handler):
    kind = "organizations"
    model = Organization
    object_type = "organization"
    columns = ("ogrn", "name", "kind", "territory_code", "parent_ogrn", "inn")
    key = "ogrn"
    parent_column = "parent_ogrn"
    lookups: ClassVar[dict[str, str]] = {
        "ogrn": "ogrn", "inn": "inn", "name": "name", "kind": "kind",
        "territory": "territory__code", "parent": "parent__ogrn",
    }

    def __init__(self) -> None:
        self._territories: dict[str, _TerritoryRef] = {}

    def parse(self, cells: Mapping[str, str]) -> tuple[dict[str, Any], Problems]:
        problems: Problems = []
        ogrn = _text(cells, "ogrn", _max_length(Organization, "ogrn"), problems)
        if ogrn and (problem := ogrn_problem(ogrn)):
            problems.append(("ogrn", problem))
        inn = cells["inn"]
        if not inn:
            problems.append(("inn", _("Empty")))
        elif problem := inn_problem(inn):
            problems.append(("inn", problem))
        elif len(inn) != 10:
            problems.append(("inn", _("The INN of an organization has 10 digits; a "
                                      "person's has 12")))
        name = _text(cells, "name", _max_length(Organization, "name"), problems)
        kind = _choice(cells, "kind", OrganizationKind, problems)
        territory = _text(cells, "territory_code", _max_length(Territory, "code"), problems)
        parent = cells["parent_ogrn"] or None
        if parent and (problem := ogrn_problem(parent)):
            problems.append(("parent_ogrn", problem))
            parent = None
        return {"ogrn": ogrn, "inn": inn, "name": name, "kind": kind, "territory": territory,
                "parent": parent}, problems

    async def check_context(
        self, records: list[_Node], connection: BaseDBAsyncClient
    ) -> list[ImportError_]:
        codes = sorted({r.values["territory"] for r in records if r.values["territory"]})
        for batch in _chunks(codes):
            for pk, code, kind, path in await Territory.filter(code__in=batch).using_db(
                connection
            ).values_list("id", "code", "kind", "path"):
                self._territories[code] = _TerritoryRef(pk, str(kind), path)
        errors = []
        for record in records:
            code, kind = record.values["territory"], record.values["kind"]
            territory = self._territories.get(code)
            allowed = _BODY_TERRITORY_KINDS.get(kind)
            if code and territory is None:
                errors.append(ImportError_(record.file_line, "territory_code",
                                           _("Territory {code} is not in the database",
                                             code=code)))
            elif territory and allowed and territory.kind not in allowed:
                errors.append(ImportError_(
                    record.file_line, "territory_code",
                    _("{body} cannot belong to territory {code} ({kind})",
                      body=translate(_BODY_LABEL[kind]), code=code,
                      kind=translate(_TERRITORY_NOMINATIVE[territory.kind])),
                ))
        return errors

    def scope_path(self, values: Mapping[str, Any]) -> str:
        return self._territories[values["territory"]].path

    def model_fields(self, values: Mapping[str, Any], ids: Mapping[str, int]) -> dict[str, Any]:
        fields = super().model_fields(values, ids)
        fields["territory_id"] = self._territories[fields.pop("territory")].id
        return fields


#: The same rule as for categories created one by one in the API: dot-separated
#: segments of lowercase latin letters, digits and underscores.
_CATEGORY_CODE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")


class _Categories(_TreeHandler):
    kind = "categories"
    model = Category
    object_type = "category"
    columns = ("code", "name", "parent_code", "competence_level")
    key = "code"
    parent_column = "parent_code"
    lookups: ClassVar[dict[str, str]] = {
        "code": "code", "name": "name", "parent": "parent__code",
        "competence_level": "competence_level", "path": "path",
    }

    def parse(self, cells: Mapping[str, str]) -> tuple[dict[str, Any], Problems]:
        problems: Problems = []
        code = _text(cells, "code", _max_length(Category, "code"), problems)
        if code and not _CATEGORY_CODE.fullmatch(code):
            problems.append(("code", _("A category code is lowercase Latin letters, "
                                       "digits and «_»; levels are separated by a dot")))
        name = _text(cells, "name", _max_length(Category, "name"), problems)
        level = _choice(cells, "competence_level", CompetenceLevel, problems)
        return {"code": code, "name": name, "parent": cells["parent_code"] or None,
                "competence_level": level}, problems


_HANDLERS: dict[str, type[_Handler]] = {
    handler.kind: handler for handler in (_Territories, _Organizations, _Categories)
}


def _handler(kind: str) -> _Handler:
    if kind not in _HANDLERS:
        raise ValueError(f"unknown reference kind {kind!r}; expected one of {sorted(_HANDLERS)}")
    return _HANDLERS[kind]()
