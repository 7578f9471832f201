"""Notifications, their delivery log, templates, preferences and webhook subscriptions.

Channels are stored by name: any installed channel (``ChannelSpec.name``, at most
:data:`CHANNEL_MAX` characters), not a closed list.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

CHANNEL_MAX = 32


class NotificationStatus(StrEnum):
    PENDING = "pending"
    #: A worker holds a lease on it and is talking to the channel right now.
    SENDING = "sending"
    SENT = "sent"
    #: The last attempt failed; another is scheduled.
    RETRYING = "retrying"
    #: Every attempt failed; listed among dead letters until re-driven.
    DEAD = "dead"
    #: Not sent on purpose: the recipient opted out or has no address on the channel.
    SKIPPED = "skipped"


class Notification(Model):
    """One message to one recipient on one channel.

    ``dedupe_key`` is unique, so a redelivered event fans out once; ``status`` and
    ``lease_until`` make delivery idempotent, so a redelivered job sends once.
    """

    id = fields.BigIntField(primary_key=True)
    dedupe_key = fields.CharField(max_length=255, unique=True)
    event = fields.CharField(max_length=64, db_index=True)
    channel = fields.CharField(max_length=CHANNEL_MAX)
    recipient: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    webhook: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.WebhookSubscription", related_name="notifications", null=True,
        on_delete=fields.CASCADE,
    )
    #: E-mail, phone or URL at fan-out time. Personal data: never logged.
    address = fields.CharField(max_length=2000, default="")
    #: What the notification is about: a component's subject type (``appeal``,
    #: ``poll``, …) and the id of its row there.
    subject_type = fields.CharField(max_length=32, db_default="")
    subject_id = fields.BigIntField(db_default=0)
    #: Territory path of the subject, so regional staff see their region's delivery log.
    territory_path = fields.CharField(max_length=255, default="", db_index=True)
    subject = fields.CharField(max_length=500, default="")
    body = fields.TextField(default="")
    data = fields.JSONField(default=dict)
    status = fields.CharEnumField(NotificationStatus, max_length=16,
                                  default=NotificationStatus.PENDING)
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(default="")
    lease_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    read_at = fields.DatetimeField(null=True)

    recipient_id: int | None
    webhook_id: int | None

    class Meta:
        table = "notification"
        ordering = ["id"]
        indexes = (("recipient_id", "channel", "id"), ("status", "id"),
                   ("subject_type", "subject_id"))


class DeliveryAttempt(Model):
    """One try at handing a notification to its channel, kept as the delivery log."""

    id = fields.BigIntField(primary_key=True)
    notification: fields.ForeignKeyRelation[Notification] = fields.ForeignKeyField(
        "vmeste.Notification", related_name="attempt_log", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    at = fields.DatetimeField(auto_now_add=True)
    ok = fields.BooleanField()
    #: The channel's error, with addresses and secrets left out.
    error = fields.TextField(default="")
    duration_ms = fields.IntField(default=0)

    notification_id: int

    class Meta:
        table = "delivery_attempt"
        ordering = ["id"]
        indexes = (("notification_id", "number"),)


class NotificationPreference(Model):
    """A user's choice for one event (or ``*`` for all) on one channel."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="notification_preferences", on_delete=fields.CASCADE
    )
    event = fields.CharField(max_length=64)
    channel = fields.CharField(max_length=CHANNEL_MAX)
    enabled = fields.BooleanField()
    updated_at = fields.DatetimeField(auto_now=True)

    user_id: int

    class Meta:
        table = "notification_preference"
        unique_together = (("user", "event", "channel"),)


class NotificationTemplate(Model):
    """A region's wording of one event on one channel (Jinja2), overriding the
    packaged default; looked up from the subject's territory upwards."""

    id = fields.IntField(primary_key=True)
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="notification_templates", on_delete=fields.CASCADE
    )
    event = fields.CharField(max_length=64)
    channel = fields.CharField(max_length=CHANNEL_MAX)
    locale = fields.CharField(max_length=8, default="ru")
    subject = fields.CharField(max_length=500, default="")
    body = fields.TextField()
    author = fields.CharField(max_length=300, default="")
    updated_at = fields.DatetimeField(auto_now=True)

    territory_id: int

    class Meta:
        table = "notification_template"
        unique_together = (("territory", "event", "channel", "locale"),)


class WebhookSubscription(Model):
    """A body's system (its document flow, a CRM) told about its appeals' events.

    Every subject whose ``organization_id`` is the body is heard the same way."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Organization", related_name="webhooks", on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=2000)
    #: HMAC-SHA256 key. Shown once on creation, never again, never logged.
    secret = fields.CharField(max_length=128)
    #: Event names, or an empty list for every event.
    events = fields.JSONField(default=list)
    active = fields.BooleanField(default=True)
    author = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    organization_id: int

    class Meta:
        table = "webhook_subscription"
        ordering = ["id"]
