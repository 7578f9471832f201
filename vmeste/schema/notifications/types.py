"""GraphQL types of notifications, their delivery log, wording and subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from vmeste.platform.notifications import models
from vmeste.platform.notifications.services import Preference
from vmeste.schema.reference.types import Organization, Territory

CHANNEL_DESCRIPTION = "An installed channel's name (see notificationChannels)."
NotificationStatus = strawberry.enum(models.NotificationStatus, name="NotificationStatus")


def _appeal_id(row: models.Notification) -> relay.GlobalID | None:
    if row.subject_type != "appeal":
        return None
    return relay.GlobalID("Appeal", str(row.subject_id))


@strawberry.type(description="A notification in a user's inbox.")
class Notification:
    id: relay.GlobalID
    event: str
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None
    appeal_id: relay.GlobalID | None = strawberry.field(
        description="The appeal it is about; null when it is about another subject.")
    subject_type: str = strawberry.field(
        description="What it is about: appeal, poll, … (a component's subject type).")
    subject_id: str = strawberry.field(description="The subject's id within its type.")

    @classmethod
    def from_model(cls, row: models.Notification) -> Self:
        return cls(id=relay.GlobalID("Notification", str(row.id)), event=row.event,
                   subject=row.subject, body=row.body, created_at=row.created_at,
                   read_at=row.read_at, appeal_id=_appeal_id(row),
                   subject_type=row.subject_type, subject_id=str(row.subject_id))


@strawberry.type(description="One delivery attempt.")
class DeliveryAttempt:
    number: int
    at: datetime
    ok: bool
    error: str = strawberry.field(description="The channel's error, without addresses or secrets.")
    duration_ms: int

    @classmethod
    def from_model(cls, row: models.DeliveryAttempt) -> Self:
        return cls(number=row.number, at=row.at, ok=row.ok, error=row.error,
                   duration_ms=row.duration_ms)


@strawberry.type(description="A notification in the delivery log: channel, status and "
                             "attempts. The recipient's address is not shown.")
class NotificationDelivery:
    id: relay.GlobalID
    event: str
    channel: str = strawberry.field(description=CHANNEL_DESCRIPTION)
    status: NotificationStatus  # type: ignore[valid-type]
    subject: str
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    appeal_id: relay.GlobalID | None
    subject_type: str
    subject_id: str
    recipient: str = strawberry.field(
        description="user: a person (not saying who), webhook: a body's subscription.")
    template: str = strawberry.field(
        description="Where the wording came from: default, or the code of the territory whose "
                    "template applied.")
    template_error: str | None
    pk: strawberry.Private[int] = 0

    @strawberry.field
    async def attempt_log(self, info: strawberry.Info) -> list[DeliveryAttempt]:
        return [DeliveryAttempt.from_model(row)
                for row in await info.context.loaders.delivery_attempts.load(self.pk)]

    @classmethod
    def from_model(cls, row: models.Notification) -> Self:
        data = row.data or {}
        return cls(id=relay.GlobalID("Notification", str(row.id)), event=row.event,
                   channel=row.channel, status=row.status, subject=row.subject,
                   attempts=row.attempts, last_error=row.last_error, created_at=row.created_at,
                   sent_at=row.sent_at, appeal_id=_appeal_id(row),
                   subject_type=row.subject_type, subject_id=str(row.subject_id),
                   recipient="webhook" if row.webhook_id else "user",
                   template=str(data.get("template", "default")),
                   template_error=data.get("template_error"), pk=row.id)


@strawberry.type(description="A user's choice: event (or * for all) × channel.")
class NotificationPreference:
    event: str
    channel: str = strawberry.field(description=CHANNEL_DESCRIPTION)
    enabled: bool
    chosen: bool = strawberry.field(description="false: the default applies.")

    @classmethod
    def from_preference(cls, value: Preference) -> Self:
        return cls(event=value.event, channel=value.channel, enabled=value.enabled,
                   chosen=value.chosen)


@strawberry.type(description="A notification's wording for a territory (Jinja2), "
                             "replacing the default there and on the territories inside it.")
class NotificationTemplate:
    id: int
    event: str
    channel: str = strawberry.field(description=CHANNEL_DESCRIPTION)
    locale: str
    subject: str
    body: str
    author: str
    updated_at: datetime
    territory_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.NotificationTemplate) -> Self:
        return cls(id=row.id, event=row.event, channel=row.channel, locale=row.locale,
                   subject=row.subject, body=row.body, author=row.author,
                   updated_at=row.updated_at, territory_id=row.territory_id)

    @strawberry.field
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.territory_id)


@strawberry.type(description="A webhook of a body's information system. The secret is not shown.")
class WebhookSubscription:
    id: int
    url: str
    events: list[str] = strawberry.field(description="An empty list means all events.")
    active: bool
    created_at: datetime
    organization_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.WebhookSubscription) -> Self:
        return cls(id=row.id, url=row.url, events=list(row.events), active=row.active,
                   created_at=row.created_at, organization_id=row.organization_id)

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> Organization:
        return await info.context.loaders.organization.load(self.organization_id)


@strawberry.type(description="An installed notification channel.")
class NotificationChannelInfo:
    name: str
    description: str
    default_on: bool = strawberry.field(
        description="Whether users who never chose get this channel.")
    personal: bool = strawberry.field(
        description="Whether users choose it for themselves (webhooks belong to bodies).")
    default: bool = strawberry.field(
        description="Active where no region policy of kind notification decides.")
    active: bool | None = strawberry.field(
        description="Whether the region policies switch it on in the given territory; "
                    "null without territoryCode.")
