"""Expected failures of the attachments part answered as typed errors, never a 500: a
signature that is not ASCII, a ZIP whose entries do not inflate, a store that is down
(the local folder unwritable or unreadable, an S3 store that cannot be reached); and
the download's names and conditional requests."""

from __future__ import annotations

import io
import struct
import zipfile
from typing import Any

import pytest
import pytest_asyncio
from strawberry import relay

from tests.appeal_world import seed_appeal_world
from tests.attachment_world import PDF, docx, error_code, upload, uploaded_id
from tests.worlds import ok_data
from vmeste.platform.attachments.models import Attachment

NODE = """query($id: ID!) { node(id: $id) { ... on Attachment { downloadUrl } } }"""


@pytest_asyncio.fixture
async def citizen(world, make_token) -> str:
    await seed_appeal_world()
    return await make_token("citizen", sub="ivanova")


def _broken(document: bytes, cut: bool) -> bytes:
    """``document`` with its declaration's deflate stream corrupted, or (stored) declared
    longer than the archive holds, so reading it runs out of bytes."""
    out = io.BytesIO()
    method = zipfile.ZIP_STORED if cut else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w", method) as archive:
        with zipfile.ZipFile(io.BytesIO(document)) as source:
            for name in source.namelist():
                archive.writestr(name, source.read(name) * 50)
    data = bytearray(out.getvalue())
    if cut:
        central = data.find(b"PK\x01\x02")  # the declaration's entry comes first
        data[central + 20:central + 28] = struct.pack("<II", 500_000, 500_000)
    else:
        start = 30 + len("[Content_Types].xml")
        data[start:start + 8] = b"\xff" * 8
    return bytes(data)


@pytest.mark.parametrize("cut", [False, True], ids=["corrupt", "truncated"])
async def test_an_office_file_that_does_not_inflate_is_the_wrong_type(client, citizen, cut):
    refused = await upload(client, citizen, _broken(docx(), cut), name="act.docx")

    assert (refused.status_code, error_code(refused)) == (415, "WRONG_FILE_TYPE")


async def test_a_signature_outside_ascii_is_forged_not_a_500(client, graphql, citizen):
    upload_id = await uploaded_id(client, citizen, PDF)
    url = ok_data(await graphql(NODE, {"id": upload_id}, token=citizen))["node"]["downloadUrl"]
    forged = url.split("&signature=")[0] + "&signature=%D0%B6" + "a" * 62

    refused = await client.get(forged)

    assert (refused.status_code, error_code(refused)) == (403, "BAD_SIGNATURE")
    assert (await client.get(url)).status_code == 200


async def test_a_local_folder_that_cannot_be_written_is_a_typed_503(client, citizen, db):
    (db.data_dir / "attachments").write_bytes(b"a file where the folder should be")

    refused = await upload(client, citizen, PDF, name="act.pdf")

    assert (refused.status_code, error_code(refused)) == (503, "STORAGE_UNAVAILABLE")
    assert await Attachment.all().count() == 0


async def test_a_file_the_store_cannot_read_is_a_typed_503(client, graphql, citizen, db):
    upload_id = await uploaded_id(client, citizen, PDF)
    url = ok_data(await graphql(NODE, {"id": upload_id}, token=citizen))["node"]["downloadUrl"]
    row = await Attachment.get(id=int(relay.GlobalID.from_id(upload_id).node_id))
    stored = db.data_dir / "attachments" / row.storage_key
    stored.unlink()
    stored.mkdir()  # read_bytes of a folder: IsADirectoryError, an OSError

    refused = await client.get(url)

    assert (refused.status_code, error_code(refused)) == (503, "STORAGE_UNAVAILABLE")


async def test_an_s3_store_that_cannot_be_reached_is_a_typed_503(
        app_client, citizen, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_attachments_s3 import KEYS, _free_port

    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VMESTE_S3_BUCKET", "no-such-bucket")
    monkeypatch.setenv("VMESTE_S3_ENDPOINT_URL", f"http://127.0.0.1:{_free_port()}")
    async with app_client(attachment_storage="s3") as (_app, graphql):
        refused: Any = await upload(graphql.http, citizen, PDF, name="act.pdf")

    assert (refused.status_code, error_code(refused)) == (503, "STORAGE_UNAVAILABLE")
    assert await Attachment.all().count() == 0


async def test_a_thumbnail_is_named_as_one_and_a_cached_copy_is_not_sent_again(
        client, graphql, citizen):
    from tests.attachment_world import photo_with_gps

    upload_id = await uploaded_id(client, citizen, photo_with_gps(), name="IMG_0001.jpg")
    node = ok_data(await graphql(
        """query($id: ID!) { node(id: $id) { ... on Attachment { downloadUrl thumbnailUrl } } }""",
        {"id": upload_id}, token=citizen))["node"]

    thumbnail = await client.get(node["thumbnailUrl"])
    assert thumbnail.headers["content-disposition"] == (
        "inline; filename*=UTF-8''IMG_0001-thumbnail.jpg")
    again = await client.get(node["thumbnailUrl"],
                             headers={"If-None-Match": thumbnail.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == thumbnail.headers["etag"]
    full = await client.get(node["downloadUrl"],
                            headers={"If-None-Match": thumbnail.headers["etag"]})
    assert full.status_code == 200 and "IMG_0001.jpg" in full.headers["content-disposition"]
