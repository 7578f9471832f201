"""A citizen's files under their data rights: the export lists every upload, an erasure
lets the unattached ones go and renames the attached ones (their object keeps them), and
an appeal past its retention takes its files with it, bytes and all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.attachment_world import photo_with_gps, uploaded_id
from tests.privacy_world import ERASE, EXPORT, EXPORTS, unzip
from tests.test_attachments import _pk, _submit, city  # noqa: F401 (the fixture)
from tests.worlds import ok_data
from vmeste.platform.appeals.models import Appeal, AppealStatus
from vmeste.platform.attachments.models import Attachment
from vmeste.platform.privacy.models import ErasureRequest, RetentionSweep


async def _files(client: Any, graphql: Any, token: str) -> tuple[Attachment, Attachment, int]:
    sent = await uploaded_id(client, token, photo_with_gps(), name="Иванова_двор.jpg")
    appeal = (await _submit(graphql, token, [sent]))["appeal"]["id"]
    left = await uploaded_id(client, token, photo_with_gps(), name="Иванова_паспорт.jpg")
    return (await Attachment.get(id=_pk(sent)), await Attachment.get(id=_pk(left)),
            _pk(appeal))


async def test_the_export_lists_uploads_and_an_erasure_keeps_only_attached_files_renamed(
        client: Any, graphql: Any, city: Any, db: Any, clock: Any,  # noqa: F811
        run_background: Any) -> None:
    token = city["citizen"]
    sent, left, appeal_id = await _files(client, graphql, token)
    ok_data(await graphql(EXPORT, token=token))
    await run_background()
    url = ok_data(await graphql(EXPORTS, token=token))["myDataExports"]["edges"][0][
        "node"]["downloadUrl"]
    files = unzip((await client.get(url)).content)["attachments.json"]
    assert {(f["name"], f["parent_kind"], f["sha256"]) for f in files} == {
        ("Иванова_двор.jpg", "appeal", sent.sha256), ("Иванова_паспорт.jpg", None, left.sha256)}

    ok_data(await graphql(ERASE, {"c": True}, token=token))
    clock.advance(days=db.erasure_cooling_off_days, hours=1)
    await run_background()
    await run_background()  # the sweep takes what the erasure let go

    assert not await Attachment.filter(id=left.id).exists()
    assert not (db.data_dir / "attachments" / left.storage_key).exists()
    kept = await Attachment.get(id=sent.id)
    assert (kept.name, kept.parent_id) == (f"file-{sent.id}.jpg", appeal_id)
    assert (db.data_dir / "attachments" / kept.storage_key).exists()
    outcome = (await ErasureRequest.get(status="done")).outcome["attachments"]
    assert (outcome["removed"], outcome["pseudonymised"]) == (1, 1)


async def test_an_appeal_past_its_retention_takes_its_files_with_it(
        client: Any, graphql: Any, city: Any, db: Any, clock: Any,  # noqa: F811
        run_background: Any) -> None:
    sent, _left, appeal_id = await _files(client, graphql, city["citizen"])
    await Appeal.filter(id=appeal_id).update(
        status=AppealStatus.CLOSED,
        updated_at=clock() - timedelta(days=db.retention_appeals_days + 1))
    await RetentionSweep.get_or_create(id=1, defaults={"next_run_at": clock()})
    await run_background()
    await run_background()

    assert not await Attachment.filter(id=sent.id).exists()
    assert not (db.data_dir / "attachments" / sent.storage_key).exists()
    assert (await Appeal.get(id=appeal_id)).text == ""
