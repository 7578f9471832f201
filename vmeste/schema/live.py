"""The live feeds' poller: a subject's history read as it commits, for the
subscriptions that follow it (``appealQueue``, ``incidentUpdates``).

Like the other live feeds it polls the database instead of a pub/sub bus, so it works
across every API process and follows the committed history the outbox announces: each
interval one indexed range of event ids joined to the caller's view of the subject
table, at most a page of events at a time. A subscriber starts from now. Two things
keep it exact over a connection that lives for hours:

* Event ids are handed out at insert and become visible at commit, so an event with a
  lower id can appear after a higher one was read. Each round reads past a floor that
  trails the newest id by ``GRACE``, leaving out the ids already sent: a step is sent
  once, however late its transaction commits within the grace.
* A subscription's context is its WebSocket connection's, and so would be its
  DataLoaders' caches: each round starts them afresh, so an update shows what is true
  when it is sent, and nothing piles up for the connection's lifetime.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

import strawberry
from tortoise.expressions import Q
from tortoise.models import Model

POLL_SECONDS = 1.0
#: The most events one interval sends (the rest follow on the next).
PAGE = 100
#: How long after an id is the newest seen its event's transaction may still commit
#: (longer than any step's transaction takes).
GRACE_SECONDS = 30.0


@dataclass(frozen=True)
class History:
    """Where a subject's steps are kept."""

    event: type[Model]
    subject: type[Model]
    #: The event's column naming its subject (``appeal_id``).
    column: str
    #: The event's columns an update shows.
    fields: tuple[str, ...]


async def follow(info: strawberry.Info, history: History, condition: Q
                 ) -> AsyncGenerator[tuple[dict[str, Any], Any], None]:
    """Each event ``condition`` (over the event table) lets through, from now on, once,
    with its subject as read in the same round."""
    floor = await _newest(history)
    #: (when, the newest id then): once GRACE old, every id up to it has committed.
    seen: deque[tuple[float, int]] = deque()
    sent: set[int] = set()  # ids above the floor already sent
    while True:
        await asyncio.sleep(POLL_SECONDS)
        now = time.monotonic()
        seen.append((now, await _newest(history)))
        while seen and seen[0][0] <= now - GRACE_SECONDS:
            floor = max(floor, seen.popleft()[1])
        sent = {pk for pk in sent if pk > floor}
        query = history.event.filter(condition, id__gt=floor)
        if sent:
            query = query.exclude(id__in=sorted(sent))
        events = await query.order_by("id").limit(PAGE).values(
            "id", history.column, *history.fields)
        if not events:
            continue
        info.context.loaders.reset()
        rows = {row.pk: row for row in await history.subject.filter(
            id__in=sorted({event[history.column] for event in events}))}
        for event in events:
            sent.add(event["id"])
            row = rows.get(event[history.column])
            if row is not None:
                yield event, row


async def _newest(history: History) -> int:
    latest = await history.event.all().order_by("-id").first().values_list("id", flat=True)
    return int(latest or 0)
