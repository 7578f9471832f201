"""The OK connector against a local fake that checks every call's signature: topics by
anchor, a reply published once through a lost answer (found by looking before sending
again), no pushes, and the group's profile."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.social_fakes import OK_ENV, FakeClock, OkFake, context
from vmeste.platform.publics.connectors import (
    Reply,
    Unauthorized,
    Unsupported,
    WebhookRequest,
)
from vmeste.plugins.connectors_ok import OkConnector, signature

GROUP = "5566"
SETTINGS = {"max_attempts": 5, "max_retry_after_seconds": 300, "requests_per_second": 5}


@pytest.fixture
def fake() -> OkFake:
    return OkFake(clock=FakeClock())


def connector(fake: OkFake, env: dict[str, str] = OK_ENV) -> OkConnector:
    return OkConnector(context(fake, fake.app(), env), SETTINGS)


def test_the_signature_is_md5_over_sorted_parameters_and_the_session_secret() -> None:
    params = {"method": "group.getInfo", "application_key": "CBA", "uids": "1",
              "format": "json", "access_token": "never-signed"}
    # md5("application_key=CBAformat=jsonmethod=group.getInfouids=1" + "secret")
    assert signature(params, "secret") == "5f15032c49095df702e82f49ef52cea7"
    assert signature({**params, "access_token": "other"}, "secret") == signature(params,
                                                                                 "secret")
    assert signature({**params, "uids": "2"}, "secret") != signature(params, "secret")


async def test_topics_are_read_by_anchor_and_every_call_is_signed(fake: OkFake) -> None:
    for number in range(230):
        fake.topic(GROUP, f"тема {number}", 1_700_000_000_000 + number * 1000)
    ok = connector(fake)
    page, seen = await ok.fetch(GROUP, ""), []
    seen += page.posts
    while page.more:
        page = await ok.fetch(GROUP, page.cursor)
        seen += page.posts
    assert len(fake.called("mediatopic.getTopics")) == 3
    assert [p.text for p in seen] == [f"тема {n}" for n in range(230)]
    assert seen[0].created_at == datetime.fromtimestamp(1_700_000_000, UTC)
    assert fake.signatures_checked == 3
    fake.topic(GROUP, "новая", 1_800_000_000_000)
    latest = await ok.fetch(GROUP, page.cursor)
    assert [p.text for p in latest.posts] == ["новая"]


async def test_a_wrong_secret_fails_the_signature(fake: OkFake) -> None:
    with pytest.raises(Unauthorized):
        await connector(fake, {**OK_ENV, "VMESTE_OK_APPLICATION_SECRET": "wrong"}).fetch(GROUP,
                                                                                        "")
    assert fake.signatures_checked == 0 and fake.clock.sleeps == []


async def test_service_errors_back_off(fake: OkFake) -> None:
    fake.topic(GROUP, "тема", 1_700_000_000_000)
    fake.inject("mediatopic.getTopics", 2, 9999)
    page = await connector(fake).fetch(GROUP, "")
    assert [p.text for p in page.posts] == ["тема"]
    assert fake.clock.sleeps == [1.0, 2.0]


@pytest.mark.parametrize("lost", ["drop", "500"])
async def test_a_reply_is_published_once_through_a_lost_answer(fake: OkFake, lost: str
                                                               ) -> None:
    fake.comments["9000"].append({"id": "c1", "text": "Ответ", "author_type": "USER"})
    fake.inject("discussions.comment", lost)
    reply = Reply(page_id=GROUP, parent_id="9000", text="Ответ", idempotency_key="r-1")
    published = await connector(fake).publish(reply)
    assert (published.comment_id, published.earlier) == ("c2", True)
    assert [c["author_type"] for c in fake.comments["9000"]] == ["USER", "GROUP"]
    assert len(fake.called("discussions.comment")) == 1


async def test_a_reply_lost_before_ok_carried_it_out_is_sent_again(fake: OkFake) -> None:
    fake.inject("discussions.comment", 2)  # a service error: OK did nothing
    reply = Reply(page_id=GROUP, parent_id="9000", text="Ответ", idempotency_key="r-1")
    published = await connector(fake).publish(reply)
    assert (published.comment_id, published.earlier) == ("c1", False)
    assert len(fake.comments["9000"]) == 1


def test_ok_pushes_nothing(fake: OkFake) -> None:
    with pytest.raises(Unsupported):
        connector(fake).parse_webhook(WebhookRequest(headers={}, body=b"{}"))


async def test_the_profile_is_normalised(fake: OkFake) -> None:
    fake.groups[GROUP] = {"uid": GROUP, "name": "Мэрия Кирова", "description": "Приём граждан",
                          "homepage_url": "https://admkirov.ru", "phone": "+78332640000",
                          "address": "Киров, ул. Воровского, 39", "members_count": 900,
                          "pic_avatar": "https://i.ok.ru/a.jpg"}
    fake.topic(GROUP, "старая", 1_700_000_000_000)
    fake.topic(GROUP, "новая", 1_700_086_400_000)
    profile = await connector(fake).profile(GROUP)
    assert (profile.name, profile.site, profile.phones, profile.emails) == (
        "Мэрия Кирова", "https://admkirov.ru", ("+78332640000",), ())
    assert profile.addresses == ("Киров, ул. Воровского, 39",)
    assert profile.has_avatar and not profile.has_cover and not profile.verified
    assert profile.members == 900
    assert profile.last_post_dates == (datetime.fromtimestamp(1_700_086_400, UTC),
                                       datetime.fromtimestamp(1_700_000_000, UTC))
