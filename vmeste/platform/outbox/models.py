"""Outgoing messages waiting for the broker, and jobs that failed for good."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class OutboxMessage(Model):
    """A message for the workers, committed with the state change that caused it.

    The relay sends unrelayed rows to the broker in id order and then stamps
    ``relayed_at``. A crash between the two sends a row twice, so every consumer
    deduplicates by ``dedupe_key`` (at least once in, exactly once in effect).
    """

    id = fields.BigIntField(primary_key=True)
    topic = fields.CharField(max_length=64)
    #: Unique: emitting the same fact twice (a retried step) stores it once.
    dedupe_key = fields.CharField(max_length=255, unique=True)
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    #: Not before this moment (a delayed job such as a retry or a reminder).
    available_at = fields.DatetimeField(null=True)
    relayed_at = fields.DatetimeField(null=True)
    #: Set when the job finished (done, or dead-lettered). A row relayed but never
    #: done was lost by the broker (the in-memory one at a restart, say) and is
    #: relayed again.
    done_at = fields.DatetimeField(null=True)
    relay_attempts = fields.IntField(default=0)
    last_error = fields.TextField(default="")
    #: The request id of the work that wrote the row, made current again in its job, so
    #: the job's log lines (and the rows it writes) carry it too.
    request_id = fields.CharField(max_length=64, default="", db_default="")
    #: The W3C trace context of the span that wrote the row: the job's span is its child.
    traceparent = fields.CharField(max_length=55, default="", db_default="")

    class Meta:
        table = "outbox_message"
        ordering = ["id"]
        indexes = (("relayed_at", "id"), ("done_at", "relayed_at"))


class DeadLetter(Model):
    """A job that kept failing after every retry, kept for an operator to re-drive.

    Stored in the database rather than only in the broker's dead-letter queue, so it
    can be listed and re-driven the same way on RabbitMQ, Redis and the embedded
    broker, and survives a broker that drops its queues.
    """

    id = fields.BigIntField(primary_key=True)
    actor = fields.CharField(max_length=100)
    queue = fields.CharField(max_length=100)
    message_id = fields.CharField(max_length=64, db_index=True)
    args = fields.JSONField(default=list)
    kwargs = fields.JSONField(default=dict)
    error = fields.TextField(default="")
    attempts = fields.IntField(default=0)
    #: Territory path the job concerned, so regional staff see their own failures.
    scope_path = fields.CharField(max_length=255, default="", db_index=True)
    failed_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    redriven_at = fields.DatetimeField(null=True)
    redriven_by = fields.CharField(max_length=300, default="")

    class Meta:
        table = "dead_letter"
        ordering = ["id"]
