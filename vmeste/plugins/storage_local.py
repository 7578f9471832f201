"""The built-in ``local`` storage: attachments' bytes as files under
``<VMESTE_DATA_DIR>/attachments`` (one volume shared by every API pod and worker, or a
single-node installation).

A file is written to a temporary name and renamed, so a reader never sees half of it.
Keys are the platform's own (``ab/cd/<hex>``, with ``.thumb`` for a thumbnail); any
other shape is refused, so no key can climb out of the folder.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vmeste.platform.attachments.storage import STORAGE, StoredObjectMissing
from vmeste.platform.files import write_atomically
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.i18n import N_
from vmeste.platform.settings import Settings

_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}(\.thumb)?$")


@dataclass(frozen=True)
class LocalStore:
    root: Path

    def path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError("not a storage key")
        return self.root / key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(write_atomically, self.path(key), data)

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(key).read_bytes)
        except FileNotFoundError:
            raise StoredObjectMissing(key) from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)



def local_store(settings: Mapping[str, Any], platform: Settings) -> LocalStore:
    return LocalStore(platform.data_dir / "attachments")


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [StrategySpec(kind=STORAGE, name="local", default=True, handler=local_store,
                         description=N_("Files in the data folder of the installation"))]
