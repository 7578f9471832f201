"""Keeping the message catalogs in step with the code (a developer's tool, and the checks
tests/test_i18n.py runs).

``python -m vmeste.platform.i18n_catalogs`` extracts every ``_("...")`` and ``N_("...")``
id from ``vmeste/`` with Babel, and the default wording of notification events from
each component's ``notify_templates.json`` (:func:`extract_wording`), rewrites
``vmeste/locale/vmeste.pot``, and updates each locale's ``.po``: new ids are added, ids
the code no longer has are dropped, existing translations are kept. New ids get an
empty ``ru`` translation for a translator to fill; in ``en``, the language the ids are
written in, they get the id itself.
"""

from __future__ import annotations

import json
import string
import sys
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from vmeste.platform.i18n import DOMAIN, LOCALE_DIR, SUPPORTED, catalog_path

SOURCE_DIR = LOCALE_DIR.parent
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
#: The locale message ids are written in: its translations start as the ids.
SOURCE_LOCALE = "en"
KEYWORDS = {"_": None, "N_": None}
#: The header every catalog carries (Babel's defaults are placeholders).
HEADER = {"project": "vmeste", "copyright_holder": "Vmeste contributors",
          "last_translator": "Vmeste contributors", "language_team": "Vmeste contributors"}
#: Default notification wording: ``{"event": {"subject": Jinja2, "body": Jinja2}}``.
WORDING_FILE = "notify_templates.json"
METHODS = [("**/locale/**", "ignore"), ("**.py", "python"),
           (f"**/{WORDING_FILE}", f"{__name__}:extract_wording")]
#: What a translator of a wording is told.
WORDING_COMMENT = "Jinja2: keep {{ ... }} and {% ... %} as they are."


def extract_wording(fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str],
                    options: dict[str, Any]) -> Iterator[tuple[int, None, str, list[str]]]:
    """A Babel extraction method for a ``notify_templates.json``: every event's subject
    and body is a message id (the English Jinja2 source), found on its line."""
    text = fileobj.read().decode("utf-8")
    lines = text.splitlines()
    for event, wording in json.loads(text).items():
        for part in ("subject", "body"):
            source = wording[part]
            needle = f'"{part}": {json.dumps(source, ensure_ascii=False)}'
            lineno = next((n for n, line in enumerate(lines, 1) if needle in line), 1)
            yield lineno, None, source, [f"{event} {part}. {WORDING_COMMENT}"]


def extract() -> Catalog:
    """The template: every id in the code, with the files that use it. It keeps the
    committed template's creation date, so a run that changes nothing changes no file."""
    created = _read(TEMPLATE).creation_date if TEMPLATE.exists() else None
    template = Catalog(fuzzy=False, creation_date=created, **HEADER)
    for filename, lineno, message, comments, context in extract_from_dir(
            SOURCE_DIR, METHODS, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True):
        template.add(message, locations=[(f"vmeste/{filename}", lineno)],
                     auto_comments=comments, context=context)
    return template


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale, domain=DOMAIN)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        # No line numbers, so an unrelated edit above a message does not touch catalogs.
        write_po(file, catalog, width=100, include_lineno=False, omit_header=False,
                 sort_output=True)


def update() -> None:
    """Rewrite the template and every locale's catalog from the code."""
    template = extract()
    _write(TEMPLATE, template)
    for code in SUPPORTED:
        path = catalog_path(code)
        catalog = (_read(path, code) if path.exists()
                   else Catalog(locale=code, domain=DOMAIN, fuzzy=False, **HEADER))
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False
        if code == SOURCE_LOCALE:
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        _write(path, catalog)


def _fields(text: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(text)
            if name is not None}


def problems() -> list[str]:
    """What is out of step: ids missing from a catalog or left untranslated, ids the code
    lost, translations whose placeholders differ from the id's."""
    wanted = {message.id for message in extract() if message.id}
    found: list[str] = []
    for code in SUPPORTED:
        catalog = {message.id: message.string for message in _read(catalog_path(code), code)
                   if message.id}
        found += [f"{code}: no entry for {msgid!r}" for msgid in sorted(wanted - catalog.keys())]
        found += [f"{code}: {msgid!r} is not in the code" for msgid in
                  sorted(catalog.keys() - wanted)]
        for msgid in sorted(wanted & catalog.keys()):
            text = catalog[msgid]
            if not text:
                found.append(f"{code}: {msgid!r} is not translated")
            elif _fields(text) != _fields(msgid):
                found.append(f"{code}: {msgid!r} has placeholders {sorted(_fields(text))}")
    return found


if __name__ == "__main__":
    update()
    left = problems()
    print("\n".join(left) or "catalogs are complete", file=sys.stderr if left else sys.stdout)
    raise SystemExit(1 if left else 0)
