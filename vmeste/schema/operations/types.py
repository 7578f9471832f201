"""GraphQL types of dead letters and the outbox backlog."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry.scalars import JSON

from vmeste.platform.outbox import models
from vmeste.platform.outbox.relay import Backlog


@strawberry.type(description="A background job not done after every retry.")
class DeadLetter:
    id: strawberry.ID
    actor: str = strawberry.field(description="The handler (a dramatiq actor).")
    queue: str
    message_id: str
    args: JSON
    kwargs: JSON = strawberry.field(description="The job's parameters (identifiers only).")
    error: str = strawberry.field(description="The last error, without personal data.")
    attempts: int
    failed_at: datetime
    redriven_at: datetime | None
    redriven_by: str

    @classmethod
    def from_model(cls, row: models.DeadLetter) -> Self:
        return cls(id=strawberry.ID(str(row.id)), actor=row.actor, queue=row.queue,
                   message_id=row.message_id, args=row.args, kwargs=row.kwargs, error=row.error,
                   attempts=row.attempts, failed_at=row.failed_at, redriven_at=row.redriven_at,
                   redriven_by=row.redriven_by)


@strawberry.input
class DeadLetterFilter:
    actor: str | None = None
    redriven: bool | None = strawberry.field(
        default=None, description="true: only those queued again; false: those waiting.")


@strawberry.type(description="Messages of the outgoing queue (outbox) not yet passed to the "
                             "broker.")
class OutboxBacklog:
    unrelayed: int
    oldest_created_at: datetime | None
    oldest_age_seconds: float | None = strawberry.field(
        description="Age of the oldest message not yet passed, in seconds.")

    @classmethod
    def from_backlog(cls, backlog: Backlog, now: datetime) -> Self:
        oldest = backlog.oldest_created_at
        return cls(unrelayed=backlog.unrelayed, oldest_created_at=oldest,
                   oldest_age_seconds=(now - oldest).total_seconds() if oldest else None)
