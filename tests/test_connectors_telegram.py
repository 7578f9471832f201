"""The Telegram connector against a local fake of the Bot API: updates confirmed by
offset, 429 waited for exactly its ``retry_after``, the webhook's secret token, and a
reply that is never sent twice, even when its answer is lost."""

from __future__ import annotations

import json

import pytest

from tests.social_fakes import TELEGRAM_TOKEN, FakeClock, TelegramFake, context
from vmeste.platform.publics.connectors import (
    UNKNOWN,
    AmbiguousDelivery,
    RateLimited,
    Reply,
    Unauthorized,
    WebhookRequest,
)
from vmeste.plugins.connectors_telegram import SECRET_HEADER, TelegramConnector, resolve

CHAT = -100500
ENV = {"VMESTE_TELEGRAM_TOKEN": TELEGRAM_TOKEN, "VMESTE_TELEGRAM_WEBHOOK_SECRET": "s3cr3t"}
SETTINGS = {"max_attempts": 5, "max_retry_after_seconds": 300}


@pytest.fixture
def fake() -> TelegramFake:
    return TelegramFake(clock=FakeClock())


def connector(fake: TelegramFake, env: dict[str, str] = ENV,
              ledger: dict[str, str] | None = None, **settings: int) -> TelegramConnector:
    ctx = context(fake, fake.app(), env, ledger={} if ledger is None else ledger)
    return TelegramConnector(ctx, {**SETTINGS, **settings})


async def test_updates_are_read_by_offset_a_hundred_at_a_time(fake: TelegramFake) -> None:
    for number in range(130):
        fake.message(CHAT if number % 2 == 0 else 42, f"сообщение {number}", 1_700_000_000)
    fake.message(CHAT, "пост канала", 1_700_000_100, kind="channel_post")
    bot = connector(fake)
    first = await bot.fetch(str(CHAT), "")
    assert (len(first.posts), first.cursor, first.more) == (50, "600", True)
    assert {p.page_id for p in first.posts} == {str(CHAT)}
    second = await bot.fetch("", first.cursor)
    assert (len(second.posts), second.cursor, second.more) == (31, "631", False)
    assert second.posts[-1].text == "пост канала"
    assert fake.confirmed == 600, "the second call confirmed the first page"
    empty = await bot.fetch("", second.cursor)
    assert (empty.posts, empty.cursor) == ((), "631")


async def test_429_waits_exactly_retry_after(fake: TelegramFake) -> None:
    fake.message(CHAT, "яма", 1_700_000_000)
    fake.inject("getUpdates", 3, 17)
    page = await connector(fake).fetch("", "")
    assert [p.text for p in page.posts] == ["яма"]
    assert fake.clock.sleeps == [3.0, 17.0]
    fake.inject("getUpdates", 3600)
    with pytest.raises(RateLimited) as refused:
        await connector(fake).fetch("", "")
    assert refused.value.retry_after == 3600


async def test_a_wrong_token_is_refused_and_never_shown(fake: TelegramFake) -> None:
    with pytest.raises(Unauthorized) as refused:
        await connector(fake, env={"VMESTE_TELEGRAM_TOKEN": "999:leaked"}).fetch("", "")
    assert "leaked" not in str(refused.value)
    assert len(fake.called("getUpdates")) == 0, "the fake saw no valid token"


async def test_a_reply_is_sent_once_through_429_and_a_refused_connection(
        fake: TelegramFake) -> None:
    ledger: dict[str, str] = {}
    bot = connector(fake, ledger=ledger)
    fake.inject("sendMessage", 2)
    reply = Reply(page_id=str(CHAT), parent_id="10", text="Бригада выехала.",
                  idempotency_key="reply-7")
    published = await bot.publish(reply)
    assert fake.clock.sleeps == [2.0]
    assert [m["text"] for m in fake.sent] == ["Бригада выехала."]
    assert fake.sent[0]["reply_parameters"]["message_id"] == 10
    again = await connector(fake, ledger=ledger).publish(reply)
    assert (again.comment_id, again.earlier) == (published.comment_id, True)
    assert len(fake.sent) == 1


@pytest.mark.parametrize("lost", ["drop", "500"])
async def test_a_lost_answer_is_never_sent_again_until_a_person_resolves_it(
        fake: TelegramFake, lost: str) -> None:
    ledger: dict[str, str] = {}
    fake.inject("sendMessage", lost)
    reply = Reply(page_id=str(CHAT), parent_id="10", text="Ответ", idempotency_key="r-1")
    with pytest.raises(AmbiguousDelivery):
        await connector(fake, ledger=ledger).publish(reply)
    with pytest.raises(AmbiguousDelivery):
        await connector(fake, ledger=ledger).publish(reply)
    assert len(fake.sent) == 1 and len(fake.called("sendMessage")) == 1
    assert set(ledger.values()) == {UNKNOWN}
    resolve(ledger, reply, str(fake.sent[0]["message_id"]))
    found = await connector(fake, ledger=ledger).publish(reply)
    assert (found.comment_id, found.earlier) == (str(fake.sent[0]["message_id"]), True)
    assert len(fake.sent) == 1
    other = Reply(page_id=str(CHAT), parent_id="10", text="Другой", idempotency_key="r-2")
    fake.inject("sendMessage", lost)
    with pytest.raises(AmbiguousDelivery):
        await connector(fake, ledger=ledger).publish(other)
    fake.sent.clear()  # the person looked: it never arrived
    resolve(ledger, other, None)
    sent = await connector(fake, ledger=ledger).publish(other)
    assert [m["text"] for m in fake.sent] == ["Другой"] and not sent.earlier


def test_the_webhook_checks_the_secret_token(fake: TelegramFake) -> None:
    update = fake.message(CHAT, "Не горит фонарь", 1_700_000_000,
                          reply_to_message={"message_id": 3})
    body = json.dumps(update).encode()
    bot = connector(fake)
    for headers in ({}, {SECRET_HEADER: "wrong"}):
        with pytest.raises(Unauthorized):
            bot.parse_webhook(WebhookRequest(headers=headers, body=body))
    (post,) = bot.parse_webhook(WebhookRequest(headers={SECRET_HEADER: "s3cr3t"},
                                               body=body)).posts
    assert (post.page_id, post.text, post.parent_id, post.author_id) == (
        str(CHAT), "Не горит фонарь", "3", "77")
    assert post.url == f"https://t.me/kirov_city/{post.post_id}"
    unset = connector(fake, env={"VMESTE_TELEGRAM_TOKEN": TELEGRAM_TOKEN})
    with pytest.raises(Unauthorized):
        unset.parse_webhook(WebhookRequest(headers={SECRET_HEADER: ""}, body=body))
    other = bot.parse_webhook(WebhookRequest(headers={SECRET_HEADER: "s3cr3t"},
                                             body=b'{"update_id": 1, "poll": {}}'))
    assert other.posts == ()


async def test_the_profile_says_what_a_bot_can_see(fake: TelegramFake) -> None:
    fake.chats[str(CHAT)] = {"id": CHAT, "type": "channel", "title": "Киров сегодня",
                             "description": "Новости мэрии", "username": "kirov_city",
                             "photo": {"small_file_id": "x"}, "members": 1200}
    profile = await connector(fake).profile(str(CHAT))
    assert (profile.name, profile.description, profile.members) == (
        "Киров сегодня", "Новости мэрии", 1200)
    assert profile.has_avatar and not profile.verified
    assert profile.links == ("https://t.me/kirov_city",)
