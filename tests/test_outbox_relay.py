"""The outbox relay: due rows go to the broker in id order and are stamped; a broker
that refuses leaves them for the next sweep."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from vmeste.platform.notifications.fanout import NOTIFICATION_DELIVER
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.outbox.relay import (
    backlog,
    mark_done,
    purge_done,
    redeliver_stale,
    relay_batch,
    relay_pending,
    unrelay_unfinished,
)
from vmeste.platform.outbox.services import emit
from vmeste.platform.runtime import build_runtime
from vmeste.workers.broker import build_broker
from vmeste.workers.jobs import declare_actors
from vmeste.workers.scheduler import Scheduler


async def _emit(topic: str, payload: dict, key: str, **kwargs) -> None:
    async with in_transaction() as conn:
        await emit(conn, topic, payload, key, **kwargs)


async def test_due_rows_go_in_id_order_and_are_stamped(db):
    for n in range(5):
        await _emit("t", {"n": n}, f"k{n}")
    sent: list[int] = []
    result = await relay_batch(lambda row: sent.append(row.payload["n"]), ["t"], limit=3)
    assert (result.sent, result.failed) == (3, False)
    assert sent == [0, 1, 2]
    rest = await relay_pending(lambda row: sent.append(row.payload["n"]), ["t"], batch_size=2)
    assert rest.sent == 2 and sent == [0, 1, 2, 3, 4]
    assert not await OutboxMessage.filter(relayed_at__isnull=True).exists()
    assert (await relay_batch(sent.append, ["t"], limit=10)).sent == 0


async def test_emitting_a_dedupe_key_twice_stores_it_once(db):
    await _emit("t", {"n": 1}, "same")
    await _emit("t", {"n": 2}, "same")
    assert await OutboxMessage.filter(dedupe_key="same").values_list("payload", flat=True) == [
        {"n": 1}]


async def test_delayed_rows_and_unknown_topics_wait(db):
    now = datetime.now(UTC)
    await _emit("t", {}, "later", available_at=now + timedelta(hours=1))
    await _emit("t", {}, "due", available_at=now - timedelta(seconds=1))
    await _emit("other", {}, "unknown")
    sent: list[str] = []
    await relay_pending(lambda row: sent.append(row.dedupe_key), ["t"], batch_size=10)
    assert sent == ["due"]
    await relay_pending(lambda row: sent.append(row.dedupe_key), ["t"], batch_size=10,
                        now=now + timedelta(hours=2))
    assert sent == ["due", "later"]
    state = await backlog()
    assert state.unrelayed == 1 and state.oldest_created_at is not None


async def test_a_refusing_broker_stops_the_batch_and_counts_the_attempt(db):
    for n in range(3):
        await _emit("t", {"n": n}, f"k{n}")
    calls: list[int] = []

    def flaky(row: OutboxMessage) -> None:
        calls.append(row.payload["n"])
        if row.payload["n"] == 1:
            raise ConnectionError("broker at amqp://guest:secret@host is down")

    result = await relay_pending(flaky, ["t"], batch_size=10)
    assert (result.sent, result.failed) == (1, True)
    assert calls == [0, 1]
    rows = {r.dedupe_key: r for r in await OutboxMessage.all()}
    assert rows["k0"].relayed_at is not None
    assert rows["k1"].relayed_at is None and rows["k1"].relay_attempts == 1
    assert rows["k1"].last_error == "ConnectionError"  # never the text with its credentials
    assert rows["k2"].relayed_at is None and rows["k2"].relay_attempts == 0


async def test_an_unreachable_rabbitmq_leaves_the_outbox_intact(db):
    settings = replace(db, broker_url="amqp://guest:guest@127.0.0.1:1/")
    runtime = build_runtime(settings)
    broker = build_broker(settings)
    topics = runtime.topics
    declare_actors(broker, runtime, topics)
    await _emit(NOTIFICATION_DELIVER, {"notification_id": 1}, "n1")
    scheduler = Scheduler(runtime, broker, topics)
    result = await asyncio.wait_for(scheduler.sweep_outbox(), timeout=60)
    assert result.failed and result.sent == 0
    row = await OutboxMessage.get(dedupe_key="n1")
    assert row.relayed_at is None and row.relay_attempts == 1


@pytest.mark.postgres_only
async def test_concurrent_relays_never_send_a_row_twice(db):
    if db.is_sqlite:
        pytest.skip("row locks (SKIP LOCKED) are PostgreSQL's")
    for n in range(200):
        await _emit("t", {"n": n}, f"k{n}")
    sent: list[int] = []

    async def relay() -> None:
        def send(row: OutboxMessage) -> None:
            sent.append(row.payload["n"])

        # Each batch is its own transaction, so the four relays interleave.
        while (await relay_batch(send, ["t"], limit=7)).sent:
            pass

    await asyncio.gather(*(relay() for _ in range(4)))
    assert sorted(sent) == list(range(200))


async def test_rows_a_broker_lost_are_relayed_again_and_done_ones_never(db):
    for key in ("done", "lost", "other", "old"):
        await _emit("t" if key != "other" else "u", {"k": key}, key)
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    await relay_pending(lambda row: None, ["t", "u"], batch_size=10, now=long_ago)
    await mark_done((await OutboxMessage.get(dedupe_key="done")).id)
    await OutboxMessage.filter(dedupe_key="lost").update(relayed_at=datetime.now(UTC))
    # The scheduler: only rows relayed longer ago than the setting, of its own topics.
    assert await redeliver_stale(["t"], timedelta(hours=1)) == 1
    waiting = await OutboxMessage.filter(relayed_at__isnull=True).values_list(
        "dedupe_key", flat=True)
    assert waiting == ["old"]
    # The embedded worker's start: every unfinished row of its topics.
    assert await unrelay_unfinished(["t", "u"]) == 2
    sent: list[str] = []
    await relay_pending(lambda row: sent.append(row.dedupe_key), ["t", "u"], batch_size=10)
    assert sent == ["lost", "other", "old"]
    assert await redeliver_stale(["t", "u"], timedelta(hours=1)) == 0


async def test_the_scheduler_sweep_redelivers_after_the_configured_time(db):
    settings = replace(db, outbox_redeliver_seconds=60)
    broker = build_broker(settings)
    runtime = build_runtime(settings)
    declare_actors(broker, runtime, runtime.topics)
    scheduler = Scheduler(runtime, broker, runtime.topics)
    await _emit(NOTIFICATION_DELIVER, {"notification_id": 1}, "n1")
    assert (await scheduler.sweep_outbox()).sent == 1
    assert (await scheduler.sweep_outbox()).sent == 0
    await OutboxMessage.filter(dedupe_key="n1").update(
        relayed_at=datetime.now(UTC) - timedelta(seconds=61))
    assert (await scheduler.sweep_outbox()).sent == 1
    broker.close()


async def test_finished_rows_are_purged_after_the_retention_in_bounded_batches(db):
    for key in ("old-1", "old-2", "old-3", "recent", "unfinished"):
        await _emit("t", {"k": key}, key)
    await relay_pending(lambda row: None, ["t"], batch_size=10)
    now = datetime.now(UTC)
    await OutboxMessage.filter(dedupe_key__startswith="old").update(
        done_at=now - timedelta(days=8))
    await OutboxMessage.filter(dedupe_key="recent").update(done_at=now - timedelta(days=6))
    assert await purge_done(timedelta(days=7), limit=2) == 2
    assert await purge_done(timedelta(days=7), limit=2) == 1
    assert await purge_done(timedelta(days=7), limit=2) == 0
    left = await OutboxMessage.all().order_by("id").values_list("dedupe_key", flat=True)
    assert left == ["recent", "unfinished"]
