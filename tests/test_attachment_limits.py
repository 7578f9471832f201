"""The limits hold when requests race: a person's unattached uploads, and the files one
object holds, are counted again under the person's lock inside the transaction that
adds one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from strawberry import relay
from tortoise.transactions import in_transaction

from tests.attachment_world import PDF, upload, uploaded_id
from tests.test_attachments import _submit, city  # noqa: F401 - the fixture
from vmeste.platform.attachments.attach import attach
from vmeste.platform.attachments.models import Attachment
from vmeste.platform.errors import DomainError
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import Principal


async def test_uploads_at_once_do_not_pass_the_unattached_limit(app_client, city):  # noqa: F811
    async with app_client(attachment_max_unattached=2) as (_app, graphql):
        answers = await asyncio.gather(*(upload(graphql.http, city["citizen"], PDF,
                                                name=f"{n}.pdf") for n in range(5)))

    assert sorted(a.status_code for a in answers) == [201, 201, 409, 409, 409]
    assert await Attachment.filter(parent_id__isnull=True).count() == 2


async def test_an_object_takes_no_more_than_its_limit_from_steps_at_once(
        client, city) -> None:  # noqa: F811
    ids = [int(relay.GlobalID.from_id(await uploaded_id(client, city["citizen"], PDF)
                                      ).node_id) for _ in range(4)]
    principal = Principal(await User.get(id=(await Attachment.get(id=ids[0])).uploader_id))

    async def step(pair: list[int]) -> str:
        try:
            async with in_transaction() as conn:
                await attach(conn, principal, pair, parent="appeal", parent_id=777, limit=3,
                             now=datetime.now(UTC))
                await asyncio.sleep(0)  # the other step runs while this one is open
        except DomainError as error:
            return error.errors[0].code.value
        return "ok"

    outcomes = await asyncio.gather(step(ids[:2]), step(ids[2:]))

    assert sorted(outcomes) == ["TOO_MANY_FILES", "ok"]
    assert await Attachment.filter(parent_kind="appeal", parent_id=777).count() == 2

