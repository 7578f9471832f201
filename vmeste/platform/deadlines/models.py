"""Stored production calendars, and the pauses and extensions of any subject's deadline."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class StoredCalendar(Model):
    """One imported version of a production calendar (federal or regional).

    The packaged calendars seed version rows on first use; an import adds a row and
    makes it current, keeping the old ones as history. ``data`` is the JSON document
    ``ProductionCalendar.from_dict`` reads.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, db_index=True)
    version = fields.CharField(max_length=64)
    #: Territory code the calendar binds to (the country code for the federal one).
    territory_code = fields.CharField(max_length=16, db_index=True)
    base = fields.CharField(max_length=64, null=True)
    data = fields.JSONField()
    checksum = fields.CharField(max_length=64)
    current = fields.BooleanField(default=True)
    author = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "stored_calendar"
        ordering = ["id"]
        unique_together = (("name", "version"),)


class DeadlinePause(Model):
    """A stretch during which a subject's deadline clock stood still (an appeal's
    clarification request, a hearing suspended by a court).

    Kept as rows, not folded into the due date, so the paused time survives a change
    of policy or calendar: the deadline is always recomputed from the registration
    moment and every pause. The subject is named by type and id rather than a foreign
    key, so every component's clocks share one table and one computation.
    """

    id = fields.IntField(primary_key=True)
    #: What the clock belongs to: "appeal", "hearing", …
    subject_type = fields.CharField(max_length=32)
    subject_id = fields.BigIntField()
    started_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    reason = fields.CharField(max_length=64)
    #: When the other side's silence ends the pause (its own timeout).
    timeout_at = fields.DatetimeField(null=True, db_index=True)
    reminders_sent = fields.JSONField(default=list)

    class Meta:
        table = "deadline_pause"
        ordering = ["id"]
        indexes = (("subject_type", "subject_id"),)


class DeadlineExtension(Model):
    """A term extended in units of the deadline policy (59-ФЗ: once, up to 30 days)."""

    id = fields.IntField(primary_key=True)
    subject_type = fields.CharField(max_length=32)
    subject_id = fields.BigIntField()
    units = fields.IntField()
    reason = fields.TextField()
    actor = fields.CharField(max_length=300)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "deadline_extension"
        ordering = ["id"]
        indexes = (("subject_type", "subject_id"),)
