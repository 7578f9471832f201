"""The export archive: one JSON file per component's section and a manifest, in a ZIP
under the data directory's ``exports`` folder."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from vmeste.platform.personal_data import PersonalData

#: Raised when the archive's layout changes in a way a reader must know of.
SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
FORMAT = "vmeste-data-export"


@dataclass(frozen=True)
class Built:
    file_name: str
    size: int
    sha256: str
    #: Section name → how many records it holds.
    counts: dict[str, int]


def folder(data_dir: Path) -> Path:
    return data_dir / "exports"


def manifest(generated_at: datetime, declarations: list[PersonalData],
             sections: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"format": FORMAT, "schema_version": SCHEMA_VERSION,
            "generated_at": generated_at.isoformat(),
            "sections": [{"name": d.section, "file": f"{d.section}.json",
                          "records": len(sections[d.section]), "describes": d.describes}
                         for d in sorted(declarations, key=lambda d: d.section)]}


async def write(data_dir: Path, export_id: int, head: dict[str, Any],
                sections: dict[str, list[dict[str, Any]]]) -> Built:
    """Write the archive beside its final name and rename it there, so a reader never
    sees half a file; the name carries a random part, so it cannot be guessed."""
    target = folder(data_dir)
    name = f"{export_id}-{secrets.token_hex(8)}.zip"
    return await asyncio.to_thread(_write, target, name, head, sections)


def _write(target: Path, name: str, head: dict[str, Any],
           sections: dict[str, list[dict[str, Any]]]) -> Built:
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f".{name}.partial"
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, _json(head))
        for section, rows in sorted(sections.items()):
            archive.writestr(f"{section}.json", _json(rows))
    digest = hashlib.sha256(partial.read_bytes()).hexdigest()
    size = partial.stat().st_size
    partial.replace(target / name)
    return Built(file_name=name, size=size, sha256=digest,
                 counts={section: len(rows) for section, rows in sorted(sections.items())})


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def remove(data_dir: Path, file_name: str) -> None:
    if file_name:
        (folder(data_dir) / file_name).unlink(missing_ok=True)
