"""The networks' pushes: VK's Callback API and a Telegram bot's webhook, posted to
``/incidents/webhooks/{network}/{page_id}``, checked by the page's connector, stored
like fetched posts, and every refusal a typed JSON error."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.incident_monitor_world import (
    CHAT,
    TELEGRAM_SECRET,
    VK_CONFIRMATION,
    VK_SECRET,
    Networks,
    monitoring_on,
    official_page,
    telegram_chat,
    vk_group,
)
from tests.worlds import World
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.incidents.models import SocialPost
from vmeste.platform.publics.services import PublicsServices

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)
DATE = int(NOW.timestamp()) - 60


@pytest.fixture(autouse=True)
def networks(vmeste_app: Starlette) -> Networks:
    found = Networks()
    monitoring_on(vmeste_app, found, [NOW])
    return found


def code(answer: Any) -> str:
    return answer.json()["errors"][0]["extensions"]["code"]


async def test_vk_confirms_the_server_and_pushes_posts_and_comments(
        world: World, vmeste_app: Starlette, client: Any) -> None:
    page = await vk_group(vmeste_app, "11")
    url = f"/incidents/webhooks/vk/{page.id}"
    confirm = await client.post(url, json={"type": "confirmation", "group_id": 11})
    assert (confirm.status_code, confirm.text) == (200, VK_CONFIRMATION)
    post = {"type": "wall_post_new", "group_id": 11, "secret": VK_SECRET,
            "object": {"id": 5, "date": DATE, "text": "Яма у школы", "from_id": 321}}
    answer = await client.post(url, json=post)
    assert (answer.status_code, answer.text) == (200, "ok")
    comment = {"type": "wall_reply_new", "group_id": 11, "secret": VK_SECRET,
               "object": {"id": 9, "post_id": 5, "date": DATE, "text": "И у нас", "from_id": 7}}
    assert (await client.post(url, json=comment)).text == "ok"
    assert (await client.post(url, json=post)).text == "ok", "a repeated push is stored once"
    stored = await SocialPost.all().order_by("id")
    assert [(p.post_ref, p.parent_ref, p.page_ref, p.author_ref, p.text, p.ingested_at)
            for p in stored] == [("5", "", "11", "321", "Яма у школы", NOW),
                                 ("9", "5", "11", "7", "И у нас", NOW)]
    other = {"type": "group_join", "group_id": 11, "secret": VK_SECRET, "object": {}}
    assert (await client.post(url, json=other)).text == "ok"
    assert await SocialPost.all().count() == 2


async def test_a_wrong_secret_is_refused_and_nothing_stored(
        world: World, vmeste_app: Starlette, client: Any) -> None:
    vk, chat = await vk_group(vmeste_app, "11"), await telegram_chat(vmeste_app)
    forged = await client.post(f"/incidents/webhooks/vk/{vk.id}", json={
        "type": "wall_post_new", "group_id": 11, "secret": "guess",
        "object": {"id": 5, "date": DATE, "text": "Спам"}})
    assert (forged.status_code, code(forged)) == (403, "FORBIDDEN")
    assert VK_SECRET not in forged.text
    update = {"update_id": 1, "message": {"message_id": 3, "date": DATE, "text": "Спам",
                                          "chat": {"id": CHAT}}}
    unsigned = await client.post(f"/incidents/webhooks/telegram/{chat.id}", json=update)
    assert (unsigned.status_code, code(unsigned)) == (403, "FORBIDDEN")
    assert not await SocialPost.exists()


async def test_a_push_for_another_page_is_refused(world: World, vmeste_app: Starlette,
                                                   client: Any) -> None:
    """One page's secret opens no incidents on another page (which would be answered
    from that body's account)."""
    page = await vk_group(vmeste_app, "11")
    smuggled = await client.post(f"/incidents/webhooks/vk/{page.id}", json={
        "type": "wall_post_new", "group_id": 99, "secret": VK_SECRET,
        "object": {"id": 5, "date": DATE, "text": "Яма у школы", "from_id": 321}})
    assert (smuggled.status_code, code(smuggled)) == (400, "INVALID")
    assert not await SocialPost.exists()


async def test_a_telegram_update_is_stored(world: World, vmeste_app: Starlette,
                                           client: Any) -> None:
    chat = await telegram_chat(vmeste_app)
    update = {"update_id": 1, "message": {
        "message_id": 3, "date": DATE, "text": "Автобус 12 не пришёл",
        "chat": {"id": CHAT, "username": "kirov_city"}, "from": {"id": 77}}}
    answer = await client.post(f"/incidents/webhooks/telegram/{chat.id}", json=update,
                               headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert (answer.status_code, answer.text) == (200, "ok")
    stored = await SocialPost.get(network="telegram")
    assert (stored.post_ref, stored.page_ref, stored.url) == (
        "3", str(CHAT), "https://t.me/kirov_city/3")


async def test_malformed_pushes_and_unknown_pages_are_typed_errors(
        world: World, vmeste_app: Starlette, client: Any) -> None:
    page = await vk_group(vmeste_app, "11")
    url = f"/incidents/webhooks/vk/{page.id}"
    for body in (b"not json", json.dumps({"type": "wall_reply_new", "group_id": 11,
                                          "secret": VK_SECRET, "object": {"id": 1}}).encode()):
        bad = await client.post(url, content=body, headers={"Content-Type": "application/json"})
        assert (bad.status_code, code(bad)) == (400, "INVALID")
    ok_page = await official_page(vmeste_app, "ok", "555")
    retired = await vk_group(vmeste_app, "12")
    await vmeste_app.state.runtime.service(PublicsServices).retire_page(SYSTEM, retired.id)
    for network, page_id in (("telegram", page.id), ("vk", page.id + 99), ("vk", retired.id),
                             ("ok", ok_page.id), ("vk", 2**40)):
        path = f"/incidents/webhooks/{network}/{page_id}"
        missing = await client.post(path, json={"type": "confirmation"})
        assert (missing.status_code, code(missing)) == (404, "NOT_FOUND"), path
    assert (await client.get(url)).status_code == 405
    assert not await SocialPost.exists()
