"""The VK connector against a local fake of VK's API: the wall read by cursor, the
rate-limit errors waited out, the per-token pace, a reply published once through a
lost answer, the Callback API and the community's profile."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.social_fakes import VK_TOKEN, FakeClock, VkFake, context
from vmeste.platform.publics.connectors import (
    ConnectorContext,
    RateLimited,
    Reply,
    Unauthorized,
    WebhookRequest,
)
from vmeste.plugins.connectors_vk import BACKOFF, VkConnector

GROUP = "123"
ENV = {"VMESTE_VK_TOKEN": VK_TOKEN, "VMESTE_VK_CONFIRMATION": "a1b2c3",
       "VMESTE_VK_SECRET": "callback-secret"}
SETTINGS = {"max_attempts": 5, "max_retry_after_seconds": 300, "token_kind": "group"}


@pytest.fixture
def fake() -> VkFake:
    return VkFake(clock=FakeClock())


def connector(fake: VkFake, env: dict[str, str] = ENV, **settings: Any) -> VkConnector:
    ctx: ConnectorContext = context(fake, fake.app(), env)
    return VkConnector(ctx, {**SETTINGS, **settings})


async def test_the_wall_is_read_page_by_page_down_to_the_cursor(fake: VkFake) -> None:
    for number in range(250):
        fake.post(GROUP, f"пост {number}", 1_700_000_000 + number)
    vk = connector(fake)
    pages, cursor, more = [], "", True
    while more:
        page = await vk.fetch(GROUP, cursor)
        pages.append([int(p.post_id) for p in page.posts])
        cursor, more = page.cursor, page.more
    assert [len(p) for p in pages] == [100, 100, 50]
    assert sorted(i for p in pages for i in p) == list(range(1, 251))
    assert pages[0] == sorted(pages[0]), "oldest first within a page"
    assert cursor == "250"
    fake.post(GROUP, "новая яма", 1_800_000_000)
    fake.post(GROUP, "ещё одна", 1_800_000_100, is_pinned=1)
    page = await vk.fetch(GROUP, cursor)
    assert [(p.post_id, p.text) for p in page.posts] == [("251", "новая яма"),
                                                         ("252", "ещё одна")]
    assert (page.cursor, page.more) == ("252", False)
    assert page.posts[0].created_at == datetime.fromtimestamp(1_800_000_000, UTC)
    assert page.posts[0].url == "https://vk.com/wall-123_251"


async def test_errors_6_9_and_29_are_waited_out(fake: VkFake) -> None:
    fake.post(GROUP, "пост", 1_700_000_000)
    fake.inject("wall.get", 6, 9, 29)
    page = await connector(fake).fetch(GROUP, "")
    assert [p.text for p in page.posts] == ["пост"]
    assert fake.clock.sleeps == [BACKOFF[6], BACKOFF[9], BACKOFF[29]]
    assert len(fake.called("wall.get")) == 4


async def test_a_wait_longer_than_allowed_or_too_many_fail_the_call(fake: VkFake) -> None:
    fake.inject("wall.get", 29)
    with pytest.raises(RateLimited):
        await connector(fake, max_retry_after_seconds=30).fetch(GROUP, "")
    assert fake.clock.sleeps == []
    fake.inject("wall.get", 6, 6)
    with pytest.raises(RateLimited):
        await connector(fake, max_attempts=2).fetch(GROUP, "")
    assert fake.clock.sleeps == [BACKOFF[6]]


async def test_a_bad_token_is_refused_at_once(fake: VkFake) -> None:
    with pytest.raises(Unauthorized):
        await connector(fake, env={"VMESTE_VK_TOKEN": "stolen"}).fetch(GROUP, "")
    assert len(fake.called("wall.get")) == 1
    assert fake.clock.sleeps == []


@pytest.mark.parametrize(("token_kind", "per_second"), [("group", 20), ("user", 3)])
async def test_requests_keep_to_the_tokens_rate(fake: VkFake, token_kind: str,
                                                per_second: int) -> None:
    vk = connector(fake, token_kind=token_kind)
    for _ in range(2 * per_second + 1):
        await vk.fetch(GROUP, "")
    times = fake.called("wall.get")
    windows = zip(times, times[per_second:], strict=False)
    assert all(later - earlier >= 1.0 for earlier, later in windows)
    assert times[-1] - times[0] == pytest.approx(2.0), "no slower than the rate allows"


async def test_a_reply_is_published_once_through_lost_answers(fake: VkFake) -> None:
    fake.post(GROUP, "Когда уберут снег?", 1_700_000_000)
    fake.inject("wall.createComment", "drop", "500")
    reply = Reply(page_id=GROUP, parent_id="1", text="Уберём до пятницы.",
                  idempotency_key="reply-42")
    published = await connector(fake).publish(reply)
    assert published.comment_id == "1"
    assert fake.comments == [{"post_id": 1, "text": "Уберём до пятницы.", "from_group": GROUP}]
    assert len(fake.called("wall.createComment")) == 3
    again = await connector(fake).publish(reply)
    assert again.comment_id == "1" and len(fake.comments) == 1


def callback(body: dict[str, Any]) -> WebhookRequest:
    return WebhookRequest(headers={"content-type": "application/json"},
                          body=json.dumps(body).encode())


def test_the_callback_api_confirms_checks_its_secret_and_reads_comments(fake: VkFake) -> None:
    vk = connector(fake)
    assert vk.parse_webhook(callback({"type": "confirmation", "group_id": 123})).answer == "a1b2c3"
    comment = {"id": 7, "from_id": 55, "date": 1_700_000_500, "text": "Спасибо",
               "post_id": 1, "owner_id": -123}
    event = {"type": "wall_reply_new", "group_id": 123, "object": comment}
    with pytest.raises(Unauthorized):
        vk.parse_webhook(callback({**event, "secret": "guess"}))
    with pytest.raises(Unauthorized):
        vk.parse_webhook(callback(event))
    result = vk.parse_webhook(callback({**event, "secret": "callback-secret"}))
    (post,) = result.posts
    assert (post.post_id, post.parent_id, post.author_id, post.is_comment) == ("7", "1", "55",
                                                                               True)
    assert result.answer == "ok"
    # A reply to a comment (the official answer) answers that comment, in the post's thread.
    reply = {**comment, "id": 8, "text": "5", "reply_to_comment": 900}
    (scored,) = vk.parse_webhook(callback({**event, "object": reply,
                                           "secret": "callback-secret"})).posts
    assert (scored.parent_id, scored.url) == ("900", "https://vk.com/wall-123_1?reply=8")
    unconfigured = connector(fake, env={"VMESTE_VK_TOKEN": VK_TOKEN})
    with pytest.raises(Unauthorized):
        unconfigured.parse_webhook(callback({"type": "confirmation", "group_id": 123}))
    with pytest.raises(Unauthorized):
        unconfigured.parse_webhook(callback({**event, "secret": ""}))


async def test_the_profile_is_normalised(fake: VkFake) -> None:
    fake.groups[GROUP] = {
        "id": 123, "name": "Администрация города Кирова", "verified": 1,
        "description": "Официальная страница", "site": "https://admkirov.ru",
        "contacts": [{"user_id": 1, "desc": "Приёмная", "phone": "+7 8332 64-00-00",
                      "email": "adm@admkirov.ru"}, {"user_id": 2, "desc": "Пресс-служба"}],
        "links": [{"url": "https://gosuslugi.ru", "name": "Госуслуги"}], "has_photo": 1,
        "cover": {"enabled": 1, "images": [{"url": "https://vk.com/c.jpg"}]},
        "members_count": 41_000}
    fake.addresses[GROUP] = ["Киров, ул. Воровского, 39"]
    for day in range(3):
        fake.post(GROUP, "новости", 1_700_000_000 + day * 86_400)
    profile = await connector(fake).profile(GROUP)
    assert profile.verified and profile.has_avatar and profile.has_cover
    assert profile.name == "Администрация города Кирова"
    assert (profile.phones, profile.emails) == (("+7 8332 64-00-00",), ("adm@admkirov.ru",))
    assert profile.addresses == ("Киров, ул. Воровского, 39",)
    assert (profile.site, profile.links, profile.members) == (
        "https://admkirov.ru", ("https://gosuslugi.ru",), 41_000)
    assert profile.last_post_dates == tuple(
        datetime.fromtimestamp(1_700_000_000 + day * 86_400, UTC) for day in (2, 1, 0))
    fake.groups[GROUP] = {"id": 123, "name": "Без обложки", "cover": {"enabled": 0}}
    bare = await connector(fake).profile(GROUP)
    assert not (bare.verified or bare.has_avatar or bare.has_cover)
    assert bare.members is None and bare.phones == ()
