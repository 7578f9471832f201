"""The ``s3`` storage against a local S3-compatible server (moto in server mode) through
the real client: upload, the stored object, the signed download, and no GPS in it."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import pytest_asyncio
from moto.server import ThreadedMotoServer
from PIL import Image
from strawberry import relay

from tests.appeal_world import seed_appeal_world, submit_input
from tests.attachment_world import GPS_IFD, PDF, photo_with_gps, uploaded_id
from tests.worlds import COUNTRY, ok_data
from vmeste.platform.attachments.models import Attachment

SUBMIT = """mutation($input: SubmitAppealInput!) { submitAppeal(input: $input) {
  appeal { attachments { downloadUrl thumbnailUrl } } userErrors { code } } }"""
KEYS = {"VMESTE_S3_ACCESS_KEY_ID": "testing", "VMESTE_S3_SECRET_ACCESS_KEY": "testing"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    name = f"vmeste-{_free_port()}"
    client.create_bucket(Bucket=name)
    monkeypatch.setenv("VMESTE_S3_BUCKET", name)
    monkeypatch.setenv("VMESTE_S3_ENDPOINT_URL", s3_endpoint)
    return client, name


@pytest_asyncio.fixture
async def citizen(world, make_token) -> str:
    await seed_appeal_world()
    return await make_token("citizen", sub="ivanova")


def _object(bucket: Any, key: str) -> bytes:
    client, name = bucket
    data: bytes = client.get_object(Bucket=name, Key=key)["Body"].read()
    return data


async def test_files_round_trip_through_s3_with_gps_gone(app_client, bucket, citizen, db):
    async with app_client(attachment_storage="s3") as (_app, graphql):
        photo = await uploaded_id(graphql.http, citizen, photo_with_gps())
        act = await uploaded_id(graphql.http, citizen, PDF, name="act.pdf")
        row = await Attachment.get(id=relay.GlobalID.from_id(photo).node_id)

        assert row.storage == "s3"
        stored = _object(bucket, row.storage_key)
        image = Image.open(io.BytesIO(stored))
        assert image.format == "JPEG" and "exif" not in image.info
        assert not image.getexif() and not image.getexif().get_ifd(GPS_IFD)
        assert b"GPSLatitude" not in stored and b"PhoneMaker" not in stored
        assert bucket[0].head_object(Bucket=bucket[1], Key=row.storage_key)[
            "ContentType"] == "image/jpeg"
        assert not (db.data_dir / "attachments").exists(), "nothing went to the local disk"

        payload = ok_data(await graphql(SUBMIT, submit_input(attachmentIds=[photo, act]),
                                        token=citizen))["submitAppeal"]
        assert payload["userErrors"] == []
        files = payload["appeal"]["attachments"]
        got = await graphql.http.get(files[0]["downloadUrl"])
        assert got.status_code == 200 and got.content == stored
        thumb = await graphql.http.get(files[0]["thumbnailUrl"])
        assert thumb.content == _object(bucket, f"{row.storage_key}.thumb")
        assert (await graphql.http.get(files[1]["downloadUrl"])).content == PDF


async def test_a_policy_on_the_country_sends_files_to_its_bucket(app_client, bucket, citizen,
                                                                 region_policy):
    client, name = bucket
    client.create_bucket(Bucket=f"{name}-kirov")
    await region_policy(COUNTRY, "storage", "s3", {"bucket": f"{name}-kirov",
                                                   "prefix": "appeals/"})
    async with app_client() as (_app, graphql):
        upload = await uploaded_id(graphql.http, citizen, PDF)
    row = await Attachment.get(id=relay.GlobalID.from_id(upload).node_id)

    assert row.storage == "s3"
    assert client.get_object(Bucket=f"{name}-kirov", Key=f"appeals/{row.storage_key}")[
        "Body"].read() == PDF
    assert client.list_objects_v2(Bucket=name).get("KeyCount", 0) == 0


async def test_an_unattached_upload_is_swept_from_the_bucket(app_client, bucket, citizen,
                                                             vmeste_app, clock, run_background):
    async with app_client(attachment_storage="s3") as (_app, graphql):
        upload = await uploaded_id(graphql.http, citizen, PDF)
    row = await Attachment.get(id=relay.GlobalID.from_id(upload).node_id)
    assert _object(bucket, row.storage_key) == PDF

    clock.advance(hours=25)
    await run_background()

    assert not await Attachment.filter(id=row.id).exists()
    assert bucket[0].list_objects_v2(Bucket=bucket[1]).get("KeyCount", 0) == 0


def test_s3_as_the_default_storage_needs_a_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    from vmeste.platform.settings import load_settings
    from vmeste.plugins.storage_s3 import vmeste_startup_checks

    monkeypatch.delenv("VMESTE_S3_BUCKET", raising=False)
    settings = load_settings({"VMESTE_ATTACHMENT_STORAGE": "s3"})
    assert vmeste_startup_checks(settings) == [
        "VMESTE_ATTACHMENT_STORAGE is s3 but VMESTE_S3_BUCKET is not set"]
    monkeypatch.setenv("VMESTE_S3_BUCKET", "appeals")
    assert vmeste_startup_checks(settings) == []
    assert vmeste_startup_checks(load_settings({})) == []
