"""Posts into social_post: normalised from connectors and JSONL, deduplicated across and
within batches (COPY on PostgreSQL, INSERT OR IGNORE on SQLite), each batch queueing
the processing job."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from tests.incident_world import NOW, post
from vmeste.platform.incidents.ingest import (
    PROCESS_TOPIC,
    BadLine,
    BadReason,
    IncomingPost,
    parse_lines,
    store_posts,
)
from vmeste.platform.incidents.models import PostState, SocialPost
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.publics.connectors import Post
from vmeste.platform.settings import Settings


def line(**changes: object) -> str:
    data: dict[str, object] = {"network": "vk", "post_id": "1", "page_id": "-200",
                               "text": "Яма на улице Ленина", "created_at":
                               "2026-12-03T10:00:00+03:00"}
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not None}, ensure_ascii=False)


def test_jsonl_lines_are_posts_or_typed_reasons() -> None:
    lines = [
        line(),
        "",
        "{not json",
        "[1, 2]",
        line(post_id=None),
        line(created_at="2026-12-03T10:00:00"),
        line(created_at="вчера"),
        line(latitude=91.5),
        line(longitude="37.6"),
        line(text=5),
        line(url="https://vk.com/" + "x" * 500),
        line(post_id=77, parent_id="1", author_id=9, latitude=58.6, longitude=49.7,
             text="а\x00б"),
    ]
    found = list(parse_lines(lines))
    good = [p for p in found if isinstance(p, IncomingPost)]
    bad = [(b.line, b.field, b.reason) for b in found if isinstance(b, BadLine)]
    assert bad == [
        (3, "", BadReason.NOT_JSON), (4, "", BadReason.NOT_OBJECT),
        (5, "post_id", BadReason.MISSING), (6, "created_at", BadReason.NO_ZONE),
        (7, "created_at", BadReason.NOT_A_MOMENT), (8, "latitude", BadReason.OUT_OF_RANGE),
        (9, "longitude", BadReason.NOT_A_NUMBER), (10, "text", BadReason.NOT_TEXT),
        (11, "url", BadReason.TOO_LONG)]
    first, last = good
    assert first.posted_at == datetime(2026, 12, 3, 7, tzinfo=UTC)
    assert (last.post_ref, last.parent_ref, last.author_ref, last.text, last.latitude) == (
        "77", "1", "9", "аб", 58.6)
    assert found[-1] is last and BadLine(1, "", BadReason.NOT_JSON).message


async def test_duplicates_are_stored_once_across_and_within_batches(db: Settings) -> None:
    first = [post(str(n), f"Пост {n}", minutes=n) for n in range(7)]
    stored = await store_posts([*first, first[2], first[5]], NOW, batch_size=4)
    assert (stored.inserted, stored.duplicates) == (7, 2)
    again = await store_posts([*first[3:], post("7", "Новый")], NOW, batch_size=3)
    assert (again.inserted, again.duplicates) == (1, 4)
    rows = await SocialPost.all().order_by("id").values_list("post_ref", "state", "posted_at")
    assert [r[0] for r in rows] == ["0", "1", "2", "3", "4", "5", "6", "7"]
    assert {r[1] for r in rows} == {PostState.NEW}
    assert rows[1][2] == NOW - timedelta(minutes=59)
    # A batch that stored something queued the job; one of duplicates only did not.
    assert await OutboxMessage.filter(topic=PROCESS_TOPIC).count() == 3
    nothing = await store_posts(first[:3], NOW)
    assert (nothing.inserted, nothing.duplicates) == (0, 3)
    assert await OutboxMessage.filter(topic=PROCESS_TOPIC).count() == 3


async def test_a_connectors_post_and_another_network_are_their_own_keys(db: Settings) -> None:
    fetched = Post(network="ok", page_id="55", post_id="1", text="Снег не убран",
                   created_at=datetime(2026, 12, 3, 12, tzinfo=UTC), author_id="a1",
                   parent_id="", url="https://ok.ru/group/55/topic/1")
    stored = await store_posts([fetched, post("1", "Яма")], NOW, process=False)
    assert (stored.inserted, stored.duplicates) == (2, 0)
    row = await SocialPost.get(network="ok")
    assert (row.page_ref, row.author_ref, row.url, row.ingested_at) == (
        "55", "a1", "https://ok.ru/group/55/topic/1", NOW)
    assert not await OutboxMessage.filter(topic=PROCESS_TOPIC).exists()


async def test_two_ingesters_of_the_same_posts_in_other_orders_store_each_once(
        db: Settings) -> None:
    """On PostgreSQL each would wait for the other's uncommitted rows, were they not
    inserted in key order."""
    feed = [post(str(n), f"Пост {n}") for n in range(6000)]
    results = await asyncio.gather(*(store_posts(order, NOW, batch_size=3000) for order in (
        feed, feed[::-1], feed[3000:] + feed[:3000])))
    assert sum(r.inserted for r in results) == 6000
    assert sum(r.duplicates for r in results) == 12000
    assert await SocialPost.all().count() == 6000
