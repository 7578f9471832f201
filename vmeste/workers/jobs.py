"""The job wrapper every topic's actor runs in: the ORM context, ``last_attempt`` from
dramatiq's retry count, and a dead letter in the database when the last retry fails.

Retries back off exponentially (dramatiq's Retries middleware, configured from
``VMESTE_JOB_MAX_RETRIES``, ``VMESTE_JOB_MIN_BACKOFF_MS`` and
``VMESTE_JOB_MAX_BACKOFF_MS``). The exception is re-raised after the dead letter is
written, so the broker's own dead-letter handling still sees a failed message.

A finished job (done, or dead-lettered) stamps its outbox row's ``done_at``; a row
relayed and never done was lost by a broker and is relayed again
(:mod:`vmeste.platform.outbox.relay`).

The row's request id and trace context travel in the message's options and are current
while the job runs, so its log lines, its span and the rows it writes belong to the
request that caused it; each run ends with one INFO line (actor, outbox id, the
payload's subject ids, duration, outcome), never the payload's other values.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from vmeste.platform.observability import tracing
from vmeste.platform.observability.metrics import dead_letter_written
from vmeste.platform.outbox.models import DeadLetter, OutboxMessage
from vmeste.platform.outbox.relay import mark_done
from vmeste.platform.outbox.services import RetryLater
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.runtime import Runtime
from vmeste.platform.settings import Settings
from vmeste.platform.work_context import carried
from vmeste.workers.broker import AsyncDatabase, database_of

log = logging.getLogger("vmeste.workers")
_MESSAGE_IDS = uuid.UUID("5d0c4a53-3f43-4d8e-9c55-7a6b7f0d2f11")


def queue_name(settings: Settings, topic: Topic) -> str:
    return f"{settings.queue_prefix}.{topic.queue}"


def message_for(settings: Settings, topic: Topic, row: OutboxMessage) -> dramatiq.Message[Any]:
    """The broker message for an outbox row. Its id derives from the row's dedupe key,
    so a row relayed twice (a crash between send and stamp) arrives twice with the
    same id, which is what the logs and dead letters show."""
    return dramatiq.Message(
        queue_name=queue_name(settings, topic), actor_name=topic.actor, args=(),
        kwargs=dict(row.payload),
        options={"outbox_id": row.id, "request_id": row.request_id,
                 "traceparent": row.traceparent},
        message_id=str(uuid.uuid5(_MESSAGE_IDS, row.dedupe_key)),
    )


def safe_error(topic: Topic, error: BaseException) -> str:
    """What a dead letter keeps of a failure: the message only of exceptions known to
    carry no personal data or secrets, the type name of anything else."""
    name = type(error).__name__
    if isinstance(error, topic.safe_errors):
        return f"{name}: {error}"[:2000]
    return name


class Job:
    """One topic's actor function."""

    def __init__(self, topic: Topic, runtime: Runtime, database: AsyncDatabase) -> None:
        self.topic = topic
        self.runtime = runtime
        self.database = database

    async def perform(self, **payload: Any) -> None:
        """The actor function (a bound coroutine method, so dramatiq runs it on its
        event-loop thread)."""
        await self.database.run(self.observed(payload))

    def attempts(self, message: dramatiq.Message[Any] | None) -> tuple[int, int]:
        """(retries so far, the most allowed)."""
        retries = int(message.options.get("retries", 0)) if message else 0
        limit = self.runtime.settings.job_max_retries
        if message is not None:
            limit = int(message.options.get("max_retries", limit))
        return retries, limit

    async def observed(self, payload: dict[str, Any]) -> None:
        """:meth:`run` as part of the request that wrote the outbox row: its request id
        and trace context current, a span when tracing is on, and one line at the end."""
        message = CurrentMessage.get_current_message()
        fields: dict[str, Any] = {"actor": self.topic.actor, "topic": self.topic.name,
                                  **subject_ids(payload)}
        options: dict[str, Any] = {}
        if message is not None:
            options = message.options
            fields.update(outbox_id=options.get("outbox_id"), message_id=message.message_id)
        traceparent = str(options.get("traceparent") or "")
        queue = message.queue_name if message else queue_name(self.runtime.settings,
                                                               self.topic)
        started = time.perf_counter()
        outcome = "failed"
        with carried(str(options.get("request_id") or ""), traceparent):
            try:
                with tracing.job_span(queue, traceparent, fields,
                                      not_failures=(dramatiq.Retry,)):
                    await self.run(payload)
                outcome = "done"
            except dramatiq.Retry:
                outcome = "later"
                raise
            except (Exception, asyncio.CancelledError):
                retries, limit = self.attempts(message)
                outcome = "dead-lettered" if retries >= limit else "failed"
                raise
            finally:
                fields.update(outcome=outcome,
                              duration_ms=round((time.perf_counter() - started) * 1000, 1))
                log.info("job %s %s", self.topic.actor, outcome, extra=fields)

    async def run(self, payload: dict[str, Any]) -> None:
        message = CurrentMessage.get_current_message()
        retries, limit = self.attempts(message)
        last_attempt = retries >= limit
        try:
            await self.topic.handle(self.runtime, payload, last_attempt)
        except RetryLater as later:
            if message is None:
                raise
            # Not a failure: dramatiq's Retries middleware counts every retry, so this
            # one is given back before it is counted.
            message.options["retries"] = retries - 1
            raise dramatiq.Retry(str(later), delay=max(1, round(later.delay_seconds * 1000))
                                 ) from None
        except (Exception, asyncio.CancelledError) as error:
            # CancelledError is how dramatiq's time limit stops an async job: on the last
            # attempt it is a failure like any other, or the job would vanish unrecorded.
            log.warning("job %s failed (attempt %d of %d): %s", self.topic.actor, retries + 1,
                        limit + 1, type(error).__name__)
            if last_attempt:
                await self.dead_letter(message, payload, error, retries + 1)
                await self.done(message)
            raise
        await self.done(message)

    @staticmethod
    async def done(message: dramatiq.Message[Any] | None) -> None:
        outbox_id = message.options.get("outbox_id") if message is not None else None
        if outbox_id is not None:
            await mark_done(int(outbox_id))

    async def dead_letter(self, message: dramatiq.Message[Any] | None, payload: dict[str, Any],
                          error: BaseException, attempts: int) -> None:
        message_id = message.message_id if message else ""
        if message_id and await DeadLetter.filter(message_id=message_id,
                                                  redriven_at__isnull=True).exists():
            return  # the final attempt was delivered twice; one dead letter is enough
        await DeadLetter.create(
            actor=self.topic.actor,
            queue=message.queue_name if message else queue_name(self.runtime.settings,
                                                                 self.topic),
            message_id=message_id, args=list(message.args) if message else [],
            kwargs=payload, error=safe_error(self.topic, error), attempts=attempts,
            scope_path=await self.topic.scope(payload))
        dead_letter_written()


def subject_ids(payload: Mapping[str, Any]) -> dict[str, int]:
    """The ids a payload names its subjects by (``appeal_id``, ``notification_id``, a
    domain event's subject): what a job's log line may show of its payload."""
    ids = {key: value for key, value in payload.items()
           if key.endswith("_id") and type(value) is int}
    event = payload.get("event")
    if isinstance(event, Mapping) and type(event.get("subject_id")) is int and \
            str(event.get("subject_type", "")).isidentifier():
        ids.setdefault(f"{event['subject_type']}_id", event["subject_id"])
    return ids


def declare_actors(broker: dramatiq.Broker, runtime: Runtime,
                   topics: Mapping[str, Topic]) -> dict[str, dramatiq.Actor[Any, Any]]:
    """Declare one actor per topic on ``broker``; returns them by topic name."""
    database = database_of(broker)
    return {
        name: dramatiq.Actor(Job(topic, runtime, database).perform, broker=broker,
                             actor_name=topic.actor,
                             queue_name=queue_name(runtime.settings, topic), priority=0,
                             options={})
        for name, topic in topics.items()
    }
