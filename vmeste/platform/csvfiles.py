"""Reading CSV files that administrators prepare in spreadsheets, and writing the ones
they open in them.

Shared by every importer (reference data, competence rules): the same header checks,
the same UTF-8 handling, and errors located by the file's real line numbers, so a
spreadsheet user finds each problem where they look for it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from vmeste.platform.i18n import N_, _, translate

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """A text as a spreadsheet shows it, never as a formula it runs."""
    return "'" + text if text.startswith(_FORMULA) else text


#: The default names of a problem's place in an import report.
LINE = N_("line")
COLUMN = N_("column")


@dataclass(frozen=True, slots=True)
class ImportError_:
    """One problem in an import file, located the way a spreadsheet user looks for it.

    The trailing underscore keeps it apart from the builtin ``ImportError``, which is
    about Python modules.
    """

    line: int
    column: str | None
    message: str


class CSVImportFailed(Exception):
    """The file was rejected as a whole; nothing was written."""

    #: How the report names a problem's place (a GeoJSON import says "feature"/"field").
    line_label = LINE
    column_label = COLUMN

    def __init__(self, errors: Iterable[ImportError_]) -> None:
        # Stable: within a line, problems stay in the order of its columns.
        self.errors: list[ImportError_] = sorted(errors, key=lambda e: e.line)
        super().__init__(_("The file was not loaded, errors: {count}", count=len(self.errors)))


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One record in the CSV shape, wherever it came from.

    ``extra`` carries model attributes that have no CSV column (the demo data sets
    ``connected`` and ``contacts``); they are compared and written as given.
    """

    line: int
    cells: Mapping[str, str]
    extra: Mapping[str, Any] = field(default_factory=dict)


def format_errors(errors: Iterable[ImportError_], *, line: str = LINE,
                  column: str = COLUMN) -> str:
    """The report an administrator reads next to the spreadsheet, one problem a line;
    ``line`` and ``column`` are labels, translated here."""
    line, column = translate(line), translate(column)
    return "\n".join(
        f"{line} {e.line}, {column} {e.column}: {e.message}"
        if e.column
        else f"{line} {e.line}: {e.message}"
        for e in errors
    )


def read_csv(
    columns: tuple[str, ...], source: TextIO | Path
) -> tuple[list[SourceRow], list[ImportError_]]:
    """Rows keyed by column name, and the lines that could not even be split into cells.

    A broken header makes every line meaningless, so it is reported alone.
    """
    reader = csv.reader(_open_text(source))
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as exc:
        raise CSVImportFailed([ImportError_(1, None, _("CSV format error: {error}", error=exc))]
                              ) from exc
    if header:
        header[0] = header[0].removeprefix("\ufeff")
    _check_header(columns, header)

    rows: list[SourceRow] = []
    errors: list[ImportError_] = []
    last_line = reader.line_num
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not cells:
                continue
            if len(cells) != len(header):
                errors.append(ImportError_(
                    line, None, _("Values expected: {expected}, found: {found}",
                                  expected=len(header),
                                    found=len(cells))
                ))
                continue
            rows.append(SourceRow(line, dict(zip(header, (c.strip() for c in cells),
                                                 strict=True))))
    except csv.Error as exc:
        errors.append(ImportError_(reader.line_num, None, _("CSV format error: {error}",
                                                            error=exc)))
    return rows, errors


def _open_text(source: TextIO | Path) -> TextIO:
    if not isinstance(source, Path):
        return source
    data = source.read_bytes()
    try:
        return io.StringIO(data.decode("utf-8-sig"), newline="")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CSVImportFailed(
            [ImportError_(line, None, _("The file must be UTF-8"))]
        ) from exc


def _check_header(columns: tuple[str, ...], header: list[str]) -> None:
    if not header:
        raise CSVImportFailed([ImportError_(1, None, _("The file is empty: no header line"))])
    errors = [ImportError_(1, c, _("A required column is missing")) for c in columns
              if c not in header]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(ImportError_(1, name, _("The column appears twice")))
        elif not name:
            errors.append(ImportError_(1, None, _("A column without a name")))
        elif name not in columns:
            errors.append(ImportError_(
                1, name, _("Unexpected column; allowed: {allowed}", allowed=", ".join(columns))
            ))
        seen.add(name)
    if errors:
        raise CSVImportFailed(errors)
