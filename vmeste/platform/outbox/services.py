"""Writing to the outbox inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.work_context import current_request_id, current_traceparent

#: Topic of appeal history: payload ``{"appeal_id": int, "event_ids": [int, ...]}``.
APPEAL_EVENTS = "appeal.events"


class RetryLater(Exception):
    """A job that cannot run yet through no failure of its own (another worker holds
    its lease): the job wrapper runs it again after ``delay_seconds`` without spending
    one of its retries."""

    def __init__(self, message: str, delay_seconds: float) -> None:
        super().__init__(message)
        self.delay_seconds = delay_seconds


async def emit(conn: BaseDBAsyncClient, topic: str, payload: dict[str, Any], dedupe_key: str,
               *, available_at: datetime | None = None) -> None:
    """Queue a message for the workers; it commits or rolls back with ``conn``'s
    transaction. Emitting an already stored ``dedupe_key`` again is a no-op (``ON
    CONFLICT DO NOTHING``), so a retried step cannot queue its message twice and the
    transaction is never aborted by the duplicate.

    The row carries the current request id and trace context: its job makes them
    current again (a job's own rows inherit them the same way)."""
    await OutboxMessage.bulk_create(
        [OutboxMessage(topic=topic, payload=payload, dedupe_key=dedupe_key,
                       available_at=available_at, request_id=current_request_id(),
                       traceparent=current_traceparent())],
        ignore_conflicts=True, using_db=conn)
