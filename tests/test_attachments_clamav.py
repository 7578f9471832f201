"""The ``clamav`` scanner against a small local server that speaks clamd's INSTREAM
protocol and flags the EICAR test string: a clean file is stored and marked, an infected
one is refused and never stored, a silent or failing daemon refuses the upload."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest_asyncio
from strawberry import relay

from tests.appeal_world import seed_appeal_world
from tests.attachment_world import PDF, error_code, upload, uploaded_id
from tests.worlds import COUNTRY
from vmeste.platform.attachments.models import Attachment, ScanState

#: The EICAR anti-virus test file (eicar.org), split so this source is not itself one.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@dataclass
class FakeClamd:
    """clamd's INSTREAM, as clamd(8) describes it; answers ERROR past ``max_bytes``."""

    max_bytes: int = 1 << 20
    streams: list[bytes] = field(default_factory=list)
    chunks: list[int] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        command = await reader.readuntil(b"\0")
        assert command == b"zINSTREAM\0"
        data = b""
        while True:
            (size,) = struct.unpack(">I", await reader.readexactly(4))
            if size == 0:
                break
            self.chunks.append(size)
            data += await reader.readexactly(size)
            if len(data) > self.max_bytes:
                writer.write(b"INSTREAM size limit exceeded. ERROR\0")
                await writer.drain()
                writer.close()
                return
        self.streams.append(data)
        writer.write(b"stream: Eicar-Test-Signature FOUND\0" if EICAR in data
                     else b"stream: OK\0")
        await writer.drain()
        writer.close()


@pytest_asyncio.fixture
async def clamd() -> AsyncIterator[tuple[FakeClamd, asyncio.Server]]:
    fake = FakeClamd()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    try:
        yield fake, server
    finally:
        server.close()
        await server.wait_closed()


@pytest_asyncio.fixture
async def citizen(world, make_token) -> str:
    await seed_appeal_world()
    return await make_token("citizen", sub="ivanova")


async def test_clamav_passes_clean_files_and_refuses_infected_ones(clamd, client, citizen,
                                                                   region_policy, db):
    fake, server = clamd
    port = server.sockets[0].getsockname()[1]
    await region_policy(COUNTRY, "scan", "clamav", {"port": port, "chunk_bytes": 1024})
    document = PDF + b"%" * 3000

    clean = await Attachment.get(id=relay.GlobalID.from_id(
        await uploaded_id(client, citizen, document, name="act.pdf")).node_id)
    infected = await upload(client, citizen, PDF + EICAR, name="act.pdf")

    assert (clean.scan_state, clean.scanned_by) == (ScanState.CLEAN, "clamav")
    assert fake.streams[0] == document and max(fake.chunks) == 1024
    assert (infected.status_code, error_code(infected)) == (422, "FILE_INFECTED")
    assert await Attachment.all().count() == 1
    stored = [p for p in (db.data_dir / "attachments").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in stored] == [document]


async def test_a_daemon_that_errs_or_is_gone_refuses_the_upload(clamd, client, citizen,
                                                                region_policy):
    fake, server = clamd
    port = server.sockets[0].getsockname()[1]
    await region_policy(COUNTRY, "scan", "clamav", {"port": port, "timeout_seconds": 5})
    fake.max_bytes = 10

    failed = await upload(client, citizen, PDF, name="act.pdf")
    server.close()
    await server.wait_closed()
    gone = await upload(client, citizen, PDF, name="act.pdf")

    assert (failed.status_code, error_code(failed)) == (503, "SCAN_UNAVAILABLE")
    assert (gone.status_code, error_code(gone)) == (503, "SCAN_UNAVAILABLE")
    assert await Attachment.all().count() == 0


async def test_a_bad_clamav_policy_is_refused_when_saved(graphql, make_token, world):
    admin = await make_token("federal_configurator")
    body = await graphql("""mutation($i: RegionPolicyInput!) { setRegionPolicy(input: $i) {
      userErrors { field code } } }""", {"i": {"territoryCode": COUNTRY, "kind": "scan",
                                               "plugin": "clamav",
                                               "settings": {"port": 0, "host": "a b"}}},
                         token=admin)
    assert body["data"]["setRegionPolicy"]["userErrors"] == [
        {"field": "settings", "code": "INVALID"}]
