"""Attachments through the HTTP upload, the appeal's mutations and the signed download:
the contract the widget relies on, the limits, and GPS gone from stored photos."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from PIL import Image
from strawberry import relay

from tests.appeal_world import seed_appeal_world, submit_input
from tests.attachment_world import (
    GPS_IFD,
    PDF,
    docx,
    error_code,
    photo_with_gps,
    plain_zip,
    png_with_text,
    upload,
    uploaded_id,
)
from tests.worlds import ok_data
from vmeste.platform.attachments.models import Attachment
from vmeste.platform.audit.models import AuditEvent

FILE = "id name contentType size downloadUrl thumbnailUrl"
SUBMIT = f"""mutation($input: SubmitAppealInput!) {{ submitAppeal(input: $input) {{
  appeal {{ id attachments {{ {FILE} }} }} userErrors {{ field code message }} }} }}"""
READ = f"""query($id: ID!) {{ appeal(id: $id) {{ attachments {{ {FILE} }}
  answerAttachments {{ {FILE} }} }} }}"""
ANSWER = f"""mutation($input: AppealTextInput!) {{ answerAppeal(input: $input) {{
  appeal {{ status answerAttachments {{ {FILE} }} }} userErrors {{ field code }} }} }}"""
NODE = """query($id: ID!) { node(id: $id) { ... on Attachment { id name } } }"""


@pytest_asyncio.fixture
async def city(world, make_token) -> dict[str, Any]:
    org = (await seed_appeal_world()).city_admin
    return {"citizen": await make_token("citizen", sub="ivanova"),
            "neighbour": await make_token("citizen", sub="petrova"),
            "executor": await make_token("executor", org=org, sub="petrov")}


def _stored(settings, row: Attachment, key: str | None = None) -> bytes:
    return (settings.data_dir / "attachments" / (key or row.storage_key)).read_bytes()


def _pk(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


async def _submit(graphql, token: str, ids: list[str]) -> dict[str, Any]:
    payload: dict[str, Any] = ok_data(await graphql(SUBMIT, submit_input(attachmentIds=ids),
                                                    token=token))["submitAppeal"]
    return payload


async def test_an_upload_answers_the_contract_and_its_photo_keeps_no_gps(client, city, db):
    photo = photo_with_gps()
    response = await upload(client, city["citizen"], photo, name="../../IMG_0001.jpg",
                            content_type="application/octet-stream")

    assert response.status_code == 201, response.text
    body = response.json()
    row = await Attachment.get(id=_pk(body["id"]))
    assert body == {"id": relay.to_base64("Attachment", row.id), "name": ".._.._IMG_0001.jpg",
                    "contentType": "image/jpeg", "size": row.size}
    assert row.parent_id is None and row.storage == "local"
    stored = _stored(db, row)
    assert stored != photo and len(stored) == row.size
    image = Image.open(io.BytesIO(stored))
    assert "exif" not in image.info and "xmp" not in image.info
    assert not image.getexif() and not image.getexif().get_ifd(GPS_IFD)
    assert b"PhoneMaker" not in stored and b"GPSLatitude" not in stored
    # Orientation 6 was applied to the pixels: 64×32 shown turned is 32×64, red on top.
    assert image.size == (32, 64)
    assert image.getpixel((16, 5))[0] > 200 and image.getpixel((16, 58))[2] > 200
    thumbnail = Image.open(io.BytesIO(_stored(db, row, row.thumbnail_key)))
    assert thumbnail.format == "JPEG" and not thumbnail.getexif()
    assert await AuditEvent.filter(action="attachment.upload", object_id=str(row.id)).exists()


async def test_a_png_loses_its_text_chunks_and_documents_are_stored_as_sent(client, city, db):
    png = await Attachment.get(id=_pk(await uploaded_id(client, city["citizen"], png_with_text(),
                                                         name="map.png")))
    assert png.content_type == "image/png"
    assert "Comment" not in Image.open(io.BytesIO(_stored(db, png))).info
    pdf = await Attachment.get(id=_pk(await uploaded_id(client, city["citizen"], PDF,
                                                         name="act.pdf")))
    assert (pdf.content_type, pdf.thumbnail_key, _stored(db, pdf)) == (
        "application/pdf", None, PDF)
    word = await Attachment.get(id=_pk(await uploaded_id(client, city["citizen"], docx(),
                                                          name="letter.docx")))
    assert word.content_type.endswith("wordprocessingml.document")


@pytest.mark.parametrize(("data", "name"), [
    (b"#!/bin/sh\nrm -rf /\n", "photo.jpg"),
    (plain_zip(), "letter.docx"),
    (b"\xff\xd8\xff\xe0 not really a jpeg", "broken.jpg"),
    (b"GIF89a" + b"\0" * 20, "anim.gif"),
])
async def test_content_decides_the_type_whatever_the_name_says(client, city, data, name):
    response = await upload(client, city["citizen"], data, name=name)

    assert response.status_code == 415
    assert error_code(response) == "WRONG_FILE_TYPE"
    assert response.json()["errors"][0]["extensions"]["field"] == "file"
    assert await Attachment.all().count() == 0


async def test_refusals_are_typed(app_client, city, client):
    response = await upload(client, None, PDF)
    assert (response.status_code, error_code(response)) == (401, "UNAUTHENTICATED")
    response = await client.post("/attachments", content=PDF,
                                 headers={"Authorization": f"Bearer {city['citizen']}",
                                          "Content-Type": "application/pdf"})
    assert (response.status_code, error_code(response)) == (415, "UNSUPPORTED_MEDIA_TYPE")
    response = await client.post("/attachments", files={"other": ("a.pdf", PDF)},
                                 headers={"Authorization": f"Bearer {city['citizen']}"})
    assert (response.status_code, error_code(response)) == (400, "REQUIRED")
    async with app_client(attachment_max_bytes=2048, attachment_max_unattached=2) as (_, graphql):
        http = graphql.http
        response = await upload(http, city["citizen"], PDF + b"%" * 3000)
        assert (response.status_code, error_code(response)) == (413, "FILE_TOO_LARGE")
        response = await upload(http, city["citizen"], PDF + b"%" * 200_000)
        assert (response.status_code, error_code(response)) == (413, "REQUEST_TOO_LARGE")
        for _ in range(2):
            assert (await upload(http, city["citizen"], PDF)).status_code == 201
        response = await upload(http, city["citizen"], PDF)
        assert (response.status_code, error_code(response)) == (409, "TOO_MANY_FILES")


async def test_an_appeal_takes_its_uploads_and_serves_them_by_signed_url(client, graphql, city):
    photo = await uploaded_id(client, city["citizen"], photo_with_gps())
    act = await uploaded_id(client, city["citizen"], PDF, name="act.pdf")

    payload = await _submit(graphql, city["citizen"], [photo, act])

    assert payload["userErrors"] == []
    files = payload["appeal"]["attachments"]
    assert [(f["id"], f["contentType"]) for f in files] == [
        (photo, "image/jpeg"), (act, "application/pdf")]
    assert files[1]["thumbnailUrl"] is None
    row = await Attachment.get(id=_pk(photo))
    assert (row.parent_kind, row.parent_id) == ("appeal", _pk(payload["appeal"]["id"]))
    assert row.sweep_after is None
    assert await AuditEvent.filter(action="attachment.attach",
                                   object_id=str(row.parent_id)).count() == 1

    url = urlsplit(files[0]["downloadUrl"])
    assert url.path == f"/attachments/{row.id}/file" and url.netloc == "vmeste.test"
    got = await client.get(files[0]["downloadUrl"])  # no bearer token: the URL is the key
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(got.content)).getexif()
    assert got.headers["x-content-type-options"] == "nosniff"
    thumb = await client.get(files[0]["thumbnailUrl"])
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.content)).width <= 320
    document = await client.get(files[1]["downloadUrl"])
    assert document.content == PDF
    assert document.headers["content-disposition"].startswith("attachment;")


async def test_only_who_sees_the_appeal_gets_its_files(client, graphql, city):
    photo = await uploaded_id(client, city["citizen"], photo_with_gps())
    appeal = (await _submit(graphql, city["citizen"], [photo]))["appeal"]["id"]

    own = ok_data(await graphql(NODE, {"id": photo}, token=city["citizen"]))["node"]
    staff = ok_data(await graphql(NODE, {"id": photo}, token=city["executor"]))["node"]
    assert own == staff == {"id": photo, "name": "photo.jpg"}
    assert ok_data(await graphql(NODE, {"id": photo}, token=city["neighbour"]))["node"] is None
    assert ok_data(await graphql(NODE, {"id": photo}))["node"] is None
    hidden = await graphql(READ, {"id": appeal}, token=city["neighbour"])
    assert hidden.get("data", {}).get("appeal") is None


async def test_only_ones_own_unattached_uploads_can_be_attached(client, graphql, city):
    mine = await uploaded_id(client, city["citizen"], PDF)
    theirs = await uploaded_id(client, city["neighbour"], PDF)

    refused = await _submit(graphql, city["citizen"], [mine, theirs])
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        ("attachmentIds", "NOT_FOUND")]
    assert refused["appeal"] is None
    assert await Attachment.filter(parent_id__isnull=False).count() == 0

    assert (await _submit(graphql, city["citizen"], [mine]))["userErrors"] == []
    again = await _submit(graphql, city["citizen"], [mine])
    assert [e["code"] for e in again["userErrors"]] == ["NOT_FOUND"]
    wrong = await _submit(graphql, city["citizen"], [relay.to_base64("Appeal", 1)])
    assert [(e["field"], e["code"]) for e in wrong["userErrors"]] == [
        ("attachmentIds", "INVALID")]


async def test_an_appeal_holds_at_most_the_limit(app_client, city):
    async with app_client(attachment_max_per_parent=2) as (_app, graphql):
        ids = [await uploaded_id(graphql.http, city["citizen"], PDF) for _ in range(3)]
        refused = await _submit(graphql, city["citizen"], ids)
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
            ("attachmentIds", "TOO_MANY_FILES")]
        assert (await _submit(graphql, city["citizen"], ids[:2]))["userErrors"] == []


async def test_the_answer_carries_the_officials_files(client, graphql, city):
    appeal = (await _submit(graphql, city["citizen"], []))["appeal"]["id"]
    assert (await Attachment.all().count()) == 0
    scan = await uploaded_id(client, city["executor"], PDF, name="act.pdf")

    answered = ok_data(await graphql(ANSWER, {"input": {
        "appealId": appeal, "text": "Яму заделали, акт приложен.", "attachmentIds": [scan]}},
        token=city["executor"]))["answerAppeal"]

    assert answered["userErrors"] == [] and answered["appeal"]["status"] == "ANSWERED"
    assert [f["id"] for f in answered["appeal"]["answerAttachments"]] == [scan]
    seen = ok_data(await graphql(READ, {"id": appeal}, token=city["citizen"]))["appeal"]
    assert seen["attachments"] == [] and [f["name"] for f in seen["answerAttachments"]] == [
        "act.pdf"]
    assert (await client.get(seen["answerAttachments"][0]["downloadUrl"])).content == PDF


async def test_a_forged_or_expired_url_is_a_typed_403(client, graphql, city, clock):
    photo = await uploaded_id(client, city["citizen"], photo_with_gps())
    url = (await _submit(graphql, city["citizen"], [photo]))["appeal"]["attachments"][0][
        "downloadUrl"]

    forged = await client.get(url[:-4] + ("0000" if not url.endswith("0000") else "1111"))
    assert (forged.status_code, error_code(forged)) == (403, "BAD_SIGNATURE")
    other = await client.get(url.replace("/file?", "/thumbnail?"))
    assert (other.status_code, error_code(other)) == (403, "BAD_SIGNATURE")
    clock.advance(seconds=2 * 900 + 1)
    expired = await client.get(url)
    assert (expired.status_code, error_code(expired)) == (403, "URL_EXPIRED")


async def test_unattached_uploads_are_swept_after_the_setting(client, graphql, city, db, clock,
                                                               run_background):
    kept = await uploaded_id(client, city["citizen"], photo_with_gps())
    await _submit(graphql, city["citizen"], [kept])
    left = await Attachment.get(id=_pk(await uploaded_id(client, city["citizen"],
                                                          photo_with_gps())))
    path = db.data_dir / "attachments" / left.storage_key

    clock.advance(hours=23)
    await run_background()
    assert await Attachment.filter(id=left.id).exists() and path.exists()
    clock.advance(hours=1, seconds=1)
    await run_background()

    assert not await Attachment.filter(id=left.id).exists() and not path.exists()
    assert not (db.data_dir / "attachments" / f"{left.storage_key}.thumb").exists()
    assert await Attachment.filter(id=_pk(kept)).exists()
    assert await AuditEvent.filter(action="attachment.sweep", object_id=str(left.id)).exists()


async def test_a_canvas_past_the_limit_is_refused_before_it_is_decoded(client, city,
                                                                       monkeypatch):
    from vmeste.platform.attachments import images

    monkeypatch.setattr(images, "MAX_PIXELS", 64 * 32 - 1)
    response = await upload(client, city["citizen"], photo_with_gps(64, 32))

    assert (response.status_code, error_code(response)) == (415, "WRONG_FILE_TYPE")
    assert await Attachment.all().count() == 0


async def test_a_palette_image_keeps_its_transparency_and_loses_nothing_else(client, city, db):
    palette = Image.new("P", (8, 8))
    palette.putpalette([255, 0, 0, 0, 0, 255] * 128)
    out = io.BytesIO()
    palette.save(out, "PNG", transparency=0)
    row = await Attachment.get(id=_pk(await uploaded_id(client, city["citizen"],
                                                         out.getvalue(), name="p.png")))

    stored = Image.open(io.BytesIO(_stored(db, row)))
    assert stored.mode == "RGBA" and stored.getpixel((0, 0))[3] == 0


async def test_a_retried_submission_with_its_files_answers_the_first_appeal(client, graphql,
                                                                           city):
    photo = await uploaded_id(client, city["citizen"], photo_with_gps())
    variables = submit_input(attachmentIds=[photo], idempotencyKey="form-7")

    first = ok_data(await graphql(SUBMIT, variables, token=city["citizen"]))["submitAppeal"]
    again = ok_data(await graphql(SUBMIT, variables, token=city["citizen"]))["submitAppeal"]

    assert first["userErrors"] == again["userErrors"] == []
    assert again["appeal"]["id"] == first["appeal"]["id"]
    assert [f["id"] for f in again["appeal"]["attachments"]] == [photo]
