"""The ``storage`` strategy kind: where the bytes of attachments live.

A storage strategy's handler builds an :class:`ObjectStore` from the strategy's merged
settings and the process's settings; the platform builds each store once per process
and keeps it. New uploads go to the store a region policy of kind ``storage`` picks on
the country (the root territory), else to the strategy ``VMESTE_ATTACHMENT_STORAGE``
names (``local`` by default). Each row records its storage's name, so a file is read
back from where it was put even after the choice changed: with the settings the
country's policy holds for that strategy (kept when the policy is switched off), else the
strategy's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from vmeste.platform.policies.models import RegionPolicy
from vmeste.platform.policies.services import PolicyResolver, kind_of
from vmeste.platform.reference.models import root_code
from vmeste.platform.settings import Settings
from vmeste.platform.strategies import Mode, StrategyKind

STORAGE = "storage"


class StoredObjectMissing(LookupError):
    """The store holds nothing under the key (deleted, or never written)."""


class StorageUnavailable(OSError):
    """The store cannot be reached or failed the operation (a store raises it, or an
    ``OSError`` of its own, for anything but a missing key)."""


class ObjectStore(Protocol):
    """Bytes by key. Keys are the platform's own (``ab/cd/<random hex>``), never a
    client's; ``put`` replaces, ``delete`` of a missing key is no error."""

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data``; :class:`StorageUnavailable` (or an ``OSError``) on failure."""
        ...

    async def get(self, key: str) -> bytes:
        """The bytes under ``key``; :class:`StoredObjectMissing` when there are none."""
        ...

    async def delete(self, key: str) -> None: ...


class StorageHandler(Protocol):
    """Builds the store for a strategy's merged settings."""

    def __call__(self, settings: Mapping[str, Any], platform: Settings, /) -> ObjectStore: ...


STORAGE_KIND = StrategyKind(
    name=STORAGE, handler=StorageHandler, mode=Mode.FIRST,
    description="Where attachments' bytes are stored (the local data folder, an "
                "S3-compatible store).")


class Storages:
    """The stores of this process, by strategy name."""

    def __init__(self, resolver: PolicyResolver, settings: Settings) -> None:
        self.resolver = resolver
        self.settings = settings
        self._stores: dict[str, ObjectStore] = {}

    async def for_upload(self) -> tuple[str, ObjectStore]:
        """The name and store new files go to."""
        root = await root_code()
        if root:
            for strategy, spec in await self.resolver.chain(root, STORAGE):
                if strategy.decided_at and spec.handler is not None:
                    return strategy.plugin, self._built(strategy.plugin, strategy.settings)
        name = self.settings.attachment_storage
        return name, await self.store_of(name)

    async def store_of(self, name: str) -> ObjectStore:
        """The store a row names, with the settings the country's policy holds for it
        (kept when the policy is switched off, so the files it took stay readable), else
        the strategy's own."""
        spec = self.resolver.catalog.get((STORAGE, name))
        if spec is None or spec.handler is None:
            raise LookupError(f"no storage strategy named {name!r} is installed")
        held = await RegionPolicy.filter(kind=STORAGE, plugin=name,
                                         territory__parent_id__isnull=True).values_list(
            "settings", flat=True)
        layered = held[0] if held else {}
        return self._built(name, kind_of(self.resolver.pm, STORAGE).settings(spec, layered))

    def _built(self, name: str, settings: Mapping[str, Any]) -> ObjectStore:
        """One store per strategy and settings: a policy's change builds a new one."""
        key = f"{name}\x1f{json.dumps(settings, sort_keys=True, default=str)}"
        found = self._stores.get(key)
        if found is None:
            spec = self.resolver.catalog[(STORAGE, name)]
            assert spec.handler is not None
            found = self._stores[key] = spec.handler(settings, self.settings)
        return found
