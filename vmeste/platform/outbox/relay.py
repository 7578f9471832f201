"""Moving committed outbox rows to the broker.

Rows go in id order, a batch at a time. On PostgreSQL each batch is claimed with
``SELECT … FOR UPDATE SKIP LOCKED``, so several relays (scheduler replicas) share the
backlog without sending a row twice; the claim lasts until the sent rows are stamped.
A crash after a send and before the stamp sends that row again on the next sweep:
delivery is at least once, and consumers deduplicate.

On a broker error the batch stops: the failing row and the rest stay unrelayed, the
failing row counts the attempt and keeps the error's type (never its text, which can
hold a host or a credential), and the next sweep tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from vmeste.platform.outbox.models import OutboxMessage

log = logging.getLogger("vmeste.outbox")

#: Hands one row to the broker; raises when the broker does not take it.
Send = Callable[[OutboxMessage], object]


@dataclass(frozen=True)
class RelayResult:
    sent: int
    #: The batch stopped on a broker error.
    failed: bool


async def relay_batch(send: Send, topics: Collection[str], *, limit: int,
                      now: datetime | None = None) -> RelayResult:
    """Relay up to ``limit`` due rows of ``topics`` (rows of unknown topics wait for a
    process that knows them, without holding up the rest)."""
    now = now or datetime.now(UTC)
    async with in_transaction() as conn:
        rows = await (OutboxMessage.filter(relayed_at__isnull=True, topic__in=list(topics))
                      .filter(Q(available_at__isnull=True) | Q(available_at__lte=now))
                      .order_by("id").limit(limit)
                      .select_for_update(skip_locked=True).using_db(conn))
        sent: list[int] = []
        failed = False
        for row in rows:
            try:
                send(row)
            except Exception as error:  # any broker failure: keep the row for the next sweep
                failed = True
                log.warning("outbox relay stopped at message %d: %s", row.id,
                            type(error).__name__)
                await OutboxMessage.filter(id=row.id).using_db(conn).update(
                    relay_attempts=F("relay_attempts") + 1, last_error=type(error).__name__)
                break
            sent.append(row.id)
        if sent:
            await OutboxMessage.filter(id__in=sent).using_db(conn).update(relayed_at=now)
    return RelayResult(sent=len(sent), failed=failed)


async def relay_pending(send: Send, topics: Collection[str], *, batch_size: int,
                        now: datetime | None = None) -> RelayResult:
    """Relay batches until the due backlog is empty or the broker fails."""
    total = 0
    while True:
        result = await relay_batch(send, topics, limit=batch_size, now=now)
        total += result.sent
        if result.failed or result.sent < batch_size:
            return RelayResult(sent=total, failed=result.failed)


async def mark_done(outbox_id: int) -> None:
    """The row's job finished (done, or dead-lettered): no broker will be asked for it
    again."""
    await OutboxMessage.filter(id=outbox_id, done_at__isnull=True).update(
        done_at=datetime.now(UTC))


async def unrelay_unfinished(topics: Collection[str]) -> int:
    """Rows relayed but never done go back to the relay: at a start of the in-process
    broker, whatever it held (queued, or waiting for a retry's backoff) died with the
    process that held it."""
    return await OutboxMessage.filter(relayed_at__isnull=False, done_at__isnull=True,
                                      topic__in=list(topics)).update(relayed_at=None)


async def redeliver_stale(topics: Collection[str], older_than: timedelta,
                          now: datetime | None = None) -> int:
    """Rows relayed more than ``older_than`` ago whose job never finished go back to the
    relay (a broker that lost its queues: Redis without persistence, a recreated
    RabbitMQ). A job still in the broker then runs twice; consumers deduplicate."""
    now = now or datetime.now(UTC)
    stale = await OutboxMessage.filter(relayed_at__lt=now - older_than, done_at__isnull=True,
                                       topic__in=list(topics)).update(relayed_at=None)
    if stale:
        log.warning("outbox: %d relayed message(s) never finished; relaying them again", stale)
    return stale


async def purge_done(older_than: timedelta, *, limit: int = 10_000,
                     now: datetime | None = None) -> int:
    """Delete up to ``limit`` rows whose job finished more than ``older_than`` ago.

    Done rows are needed only to deduplicate a late redelivery and to answer "what
    happened" for a while; at national scale (millions of appeal events a year) keeping
    them for ever would make every relay and backlog query slower. Bounded batches keep
    each delete short, so a large first purge does not lock the table for long.
    """
    now = now or datetime.now(UTC)
    ids = await (OutboxMessage.filter(done_at__lt=now - older_than).order_by("id")
                 .limit(limit).values_list("id", flat=True))
    if not ids:
        return 0
    return await OutboxMessage.filter(id__in=list(ids)).delete()


@dataclass(frozen=True)
class Backlog:
    unrelayed: int
    oldest_created_at: datetime | None


async def backlog() -> Backlog:
    """Rows not yet relayed (due or delayed), and when the oldest was written."""
    query = OutboxMessage.filter(relayed_at__isnull=True)
    oldest = await query.order_by("id").first().values_list("created_at", flat=True)
    return Backlog(unrelayed=await query.count(), oldest_created_at=oldest)
