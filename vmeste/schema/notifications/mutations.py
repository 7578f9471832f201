"""Marking the inbox read, choosing channels, wording templates, managing webhooks."""

from __future__ import annotations

import strawberry
from strawberry import relay

from vmeste.platform.notifications import services
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.notifications.queries import notification_pk
from vmeste.schema.notifications.types import (
    CHANNEL_DESCRIPTION,
    NotificationPreference,
    NotificationTemplate,
    WebhookSubscription,
)


@strawberry.type
class MarkNotificationsReadPayload:
    updated: int
    user_errors: list[UserError]


@strawberry.input
class NotificationPreferenceInput:
    event: str = strawberry.field(description="An event, or * for all events.")
    channel: str = strawberry.field(description=CHANNEL_DESCRIPTION)
    enabled: bool


@strawberry.type
class NotificationPreferencePayload:
    preference: NotificationPreference | None
    user_errors: list[UserError]


@strawberry.input
class NotificationTemplateInput:
    territory_code: str
    event: str
    channel: str = strawberry.field(description=CHANNEL_DESCRIPTION)
    subject: str = strawberry.field(description="Jinja2; the variables are listed in "
                                                "docs/plugins.md.")
    body: str


@strawberry.type
class NotificationTemplatePayload:
    template: NotificationTemplate | None
    user_errors: list[UserError]


@strawberry.input
class WebhookSubscriptionInput:
    organization_ogrn: str
    url: str
    events: list[str] = strawberry.field(default_factory=list,
                                         description="An empty list means all events.")


@strawberry.type
class WebhookSubscriptionPayload:
    webhook_subscription: WebhookSubscription | None
    secret: str | None = strawberry.field(
        description="The HMAC-SHA256 signing key; shown only this once.")
    user_errors: list[UserError]


@strawberry.type
class DeletePayload:
    deleted_id: int | None
    user_errors: list[UserError]


@strawberry.type
class NotificationsMutation:
    @strawberry.mutation(description="Mark your own notifications as read.")
    async def mark_notifications_read(self, info: strawberry.Info, ids: list[relay.GlobalID]
                                      ) -> MarkNotificationsReadPayload:
        async def call() -> int:
            return await services.mark_read(info.context.principal,
                                            [notification_pk(i) for i in ids])

        updated, errors = await run_mutation(call())
        return MarkNotificationsReadPayload(updated=updated or 0, user_errors=errors)

    @strawberry.mutation(description="Switch a channel on or off for an event (* for all).")
    async def set_notification_preference(self, info: strawberry.Info,
                                          input: NotificationPreferenceInput
                                          ) -> NotificationPreferencePayload:
        runtime = info.context.runtime
        value, errors = await run_mutation(services.set_preference(
            info.context.principal, runtime.notifications, runtime.channels, input.event,
            input.channel, input.enabled))
        return NotificationPreferencePayload(
            preference=NotificationPreference.from_preference(value) if value else None,
            user_errors=errors)

    @strawberry.mutation(description="Set a notification's wording for a territory.")
    async def set_notification_template(self, info: strawberry.Info,
                                        input: NotificationTemplateInput
                                        ) -> NotificationTemplatePayload:
        runtime = info.context.runtime
        row, errors = await run_mutation(services.set_template(
            info.context.principal, runtime.notifications, runtime.channels,
            services.TemplateInput(
                territory_code=input.territory_code, event=input.event, channel=input.channel,
                subject=input.subject, body=input.body, locale=runtime.settings.locale)))
        return NotificationTemplatePayload(
            template=NotificationTemplate.from_model(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Delete a template: the territory gets the wording of "
                                     "the territory above, or the default, again.")
    async def delete_notification_template(self, info: strawberry.Info, id: int
                                           ) -> DeletePayload:
        deleted, errors = await run_mutation(services.delete_template(info.context.principal,
                                                                      id))
        return DeletePayload(deleted_id=deleted, user_errors=errors)

    @strawberry.mutation(description="Subscribe a body's information system to the events "
                                     "of its appeals.")
    async def create_webhook_subscription(self, info: strawberry.Info,
                                          input: WebhookSubscriptionInput
                                          ) -> WebhookSubscriptionPayload:
        created, errors = await run_mutation(services.create_webhook(
            info.context.principal, info.context.runtime.notifications, services.WebhookInput(
                organization_ogrn=input.organization_ogrn, url=input.url,
                events=list(input.events)),
            allow_private=info.context.settings.webhook_allow_private))
        if created is None:
            return WebhookSubscriptionPayload(webhook_subscription=None, secret=None,
                                              user_errors=errors)
        row, secret = created
        return WebhookSubscriptionPayload(webhook_subscription=WebhookSubscription.from_model(row),
                                          secret=secret, user_errors=[])

    @strawberry.mutation
    async def delete_webhook_subscription(self, info: strawberry.Info, id: int
                                          ) -> DeletePayload:
        deleted, errors = await run_mutation(services.delete_webhook(info.context.principal,
                                                                     id))
        return DeletePayload(deleted_id=deleted, user_errors=errors)
