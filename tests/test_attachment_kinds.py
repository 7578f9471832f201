"""The ``storage`` and ``scan`` strategy kinds, through plugins of a test's own: a region
policy on the country picks where files go and which scanners look at them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest_asyncio
from strawberry import relay

from tests.appeal_world import seed_appeal_world, submit_input
from tests.attachment_world import PDF, error_code, photo_with_gps, upload, uploaded_id
from tests.worlds import COUNTRY, ok_data
from vmeste.platform.attachments.models import Attachment, ScanState
from vmeste.platform.attachments.scan import ScanUnavailable, ScanVerdict
from vmeste.platform.attachments.storage import StoredObjectMissing
from vmeste.platform.hookspecs import StrategySpec, hookimpl

SUBMIT = """mutation($input: SubmitAppealInput!) { submitAppeal(input: $input) {
  appeal { attachments { downloadUrl } } userErrors { code } } }"""


class MemoryStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self.objects: dict[str, tuple[bytes, str]] = {}

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    async def get(self, key: str) -> bytes:
        try:
            return self.objects[key][0]
        except KeyError:
            raise StoredObjectMissing(key) from None

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)


class MemoryStorage:
    """A storage strategy keeping one store per bucket setting."""

    def __init__(self) -> None:
        self.stores: dict[str, MemoryStore] = {}

    def build(self, settings: Mapping[str, Any], platform: Any) -> MemoryStore:
        return self.stores.setdefault(settings["bucket"], MemoryStore(settings["bucket"]))

    @hookimpl
    def vmeste_strategies(self) -> list[StrategySpec]:
        return [StrategySpec(kind="storage", name="memory", description="В памяти",
                             defaults={"bucket": "default"}, handler=self.build)]


class Scanner:
    """Flags files holding the word INFECTED; raises while ``down``."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.down = False

    async def scan(self, data: bytes, settings: Mapping[str, Any]) -> ScanVerdict:
        if self.down:
            raise ScanUnavailable("down")
        self.seen.append(len(data))
        return ScanVerdict(infected=b"INFECTED" in data,
                           signature="Test-Signature" if b"INFECTED" in data else "")

    @hookimpl
    def vmeste_strategies(self) -> list[StrategySpec]:
        return [StrategySpec(kind="scan", name="word-scan", description="Проверка",
                             handler=self.scan)]


@pytest_asyncio.fixture
async def citizen(world, make_token) -> str:
    await seed_appeal_world()
    return await make_token("citizen", sub="ivanova")


async def test_kind_storage(vmeste_app, client, graphql, citizen, region_policy):
    memory = MemoryStorage()
    vmeste_app.state.runtime.plugins.register(memory, name="memory_storage")
    local = await Attachment.get(id=relay.GlobalID.from_id(
        await uploaded_id(client, citizen, PDF)).node_id)
    assert local.storage == "local"

    await region_policy(COUNTRY, "storage", "memory", {"bucket": "kirov"})
    photo = await uploaded_id(client, citizen, photo_with_gps())
    row = await Attachment.get(id=relay.GlobalID.from_id(photo).node_id)

    assert row.storage == "memory"
    store = memory.stores["kirov"]
    assert set(store.objects) == {row.storage_key, row.thumbnail_key}
    assert store.objects[row.storage_key][1] == "image/jpeg"
    # Both files are read back from where each was put, whichever is chosen now.
    payload = ok_data(await graphql(SUBMIT, submit_input(
        attachmentIds=[relay.to_base64("Attachment", local.id), photo]), token=citizen))
    urls = [f["downloadUrl"] for f in payload["submitAppeal"]["appeal"]["attachments"]]
    assert (await client.get(urls[0])).content == PDF
    assert (await client.get(urls[1])).content == store.objects[row.storage_key][0]
    await region_policy(COUNTRY, "storage", "memory", active=False)
    assert (await client.get(urls[1])).status_code == 200, "the default bucket is not it"


async def test_kind_scan(vmeste_app, client, citizen, region_policy, db):
    scanner = Scanner()
    vmeste_app.state.runtime.plugins.register(scanner, name="word_scan")
    unscanned = await Attachment.get(id=relay.GlobalID.from_id(
        await uploaded_id(client, citizen, PDF)).node_id)
    assert (unscanned.scan_state, scanner.seen) == (ScanState.NOT_SCANNED, [])

    await region_policy(COUNTRY, "scan", "word-scan")
    clean = await Attachment.get(id=relay.GlobalID.from_id(
        await uploaded_id(client, citizen, PDF)).node_id)
    refused = await upload(client, citizen, PDF + b"INFECTED", name="act.pdf")
    scanner.down = True
    unavailable = await upload(client, citizen, PDF, name="act.pdf")

    assert (clean.scan_state, clean.scanned_by) == (ScanState.CLEAN, "word-scan")
    assert (refused.status_code, error_code(refused)) == (422, "FILE_INFECTED")
    assert (unavailable.status_code, error_code(unavailable)) == (503, "SCAN_UNAVAILABLE")
    assert await Attachment.all().count() == 2
    stored = [p for p in (db.data_dir / "attachments").rglob("*") if p.is_file()]
    assert len(stored) == 2 and all(b"INFECTED" not in p.read_bytes() for p in stored)
