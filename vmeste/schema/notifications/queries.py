"""Reading the inbox, preferences, the delivery log, templates and webhooks."""

from __future__ import annotations

import strawberry
from strawberry import relay
from tortoise.expressions import Q

from vmeste.platform.i18n import _
from vmeste.platform.notifications import models, services
from vmeste.platform.notifications.fanout import active_channels
from vmeste.platform.reference.models import subtree
from vmeste.schema.appeals.queries import appeal_pk
from vmeste.schema.errors import global_pk
from vmeste.schema.notifications.types import (
    CHANNEL_DESCRIPTION,
    Notification,
    NotificationChannelInfo,
    NotificationDelivery,
    NotificationPreference,
    NotificationStatus,
    NotificationTemplate,
    WebhookSubscription,
)
from vmeste.schema.pagination import CountedConnection, paginate


def notification_pk(value: relay.GlobalID) -> int:
    return global_pk(value, "Notification", field="ids",
                     message=_("This is not a notification's id"), max_id=2**63 - 1)


@strawberry.input
class DeliveryFilter:
    appeal_id: relay.GlobalID | None = None
    status: NotificationStatus | None = None  # type: ignore[valid-type]
    channel: str | None = strawberry.field(default=None, description=CHANNEL_DESCRIPTION)
    subject_type: str | None = strawberry.field(
        default=None, description="Only notifications about this subject type (appeal, …).")


@strawberry.type
class NotificationsQuery:
    @strawberry.field(description="The current user's inbox: oldest first or, with "
                                  "newestFirst, newest first.")
    async def my_notifications(
        self, info: strawberry.Info, unread_only: bool = False,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        newest_first: bool = False,
    ) -> CountedConnection[Notification]:
        query = models.Notification.filter(services.inbox_of(info.context.principal),
                                           status=models.NotificationStatus.SENT)
        if unread_only:
            query = query.filter(read_at__isnull=True)
        return await paginate(query, info=info, convert=Notification.from_model, first=first,
                              after=after, last=last, before=before, descending=newest_first)

    @strawberry.field(description="The channels the user chose, and the defaults.")
    async def my_notification_preferences(self, info: strawberry.Info
                                          ) -> list[NotificationPreference]:
        found = await services.preferences(info.context.principal,
                                           info.context.runtime.channels)
        return [NotificationPreference.from_preference(p) for p in found]

    @strawberry.field(description="Installed notification channels; with territoryCode, "
                                  "whether the region policies switch each on there.")
    async def notification_channels(self, info: strawberry.Info,
                                    territory_code: str | None = None
                                    ) -> list[NotificationChannelInfo]:
        runtime = info.context.runtime
        active = (None if territory_code is None
                  else set(await active_channels(runtime, territory_code)))
        return [NotificationChannelInfo(
            name=name, description=spec.description, default_on=spec.default_on,
            personal=services.personal(spec), default=spec.default,
            active=None if active is None else name in active)
            for name, spec in sorted(runtime.channels.items())]

    @strawberry.field(description="The notification delivery log with its attempts: staff "
                                  "see their organization's subjects, administrators and "
                                  "auditors their territory's.")
    async def notification_deliveries(
        self, info: strawberry.Info, filter: DeliveryFilter | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[NotificationDelivery]:
        query = models.Notification.filter(await services.visible_deliveries(
            info.context.principal, info.context.runtime.notifications))
        if filter is not None:
            if filter.appeal_id is not None:
                query = query.filter(subject_type="appeal",
                                     subject_id=appeal_pk(filter.appeal_id))
            if filter.subject_type is not None:
                query = query.filter(subject_type=filter.subject_type)
            if filter.status is not None:
                query = query.filter(status=filter.status)
            if filter.channel is not None:
                query = query.filter(channel=filter.channel.strip().lower())
        return await paginate(query, info=info, convert=NotificationDelivery.from_model,
                              first=first, after=after, last=last, before=before)

    @strawberry.field(description="Notification templates within the caller's authority.")
    async def notification_templates(
        self, info: strawberry.Info, territory_code: str | None = None,
        event: str | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[NotificationTemplate]:
        visible = Q(id=-1)
        for root in services.template_scopes(info.context.principal):
            visible |= subtree(root, "territory__path")
        query = models.NotificationTemplate.filter(visible)
        if territory_code is not None:
            query = query.filter(territory__code=territory_code)
        if event is not None:
            query = query.filter(event=event)
        return await paginate(query, info=info, convert=NotificationTemplate.from_model,
                              first=first, after=after, last=last, before=before)

    @strawberry.field(description="Webhooks of the organizations the caller administers.")
    async def webhook_subscriptions(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[WebhookSubscription]:
        organizations = services.webhook_organizations(info.context.principal)
        query = models.WebhookSubscription.filter(organization_id__in=sorted(organizations))
        return await paginate(query, info=info, convert=WebhookSubscription.from_model,
                              first=first, after=after, last=last, before=before)
