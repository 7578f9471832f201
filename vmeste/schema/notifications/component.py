"""Notifications' part of the schema."""

from __future__ import annotations

from vmeste.platform.notifications.models import DeliveryAttempt
from vmeste.schema.loaders import grouped
from vmeste.schema.notifications.mutations import NotificationsMutation
from vmeste.schema.notifications.queries import NotificationsQuery
from vmeste.schema.parts import SchemaPart

SCHEMA = SchemaPart(
    name="notifications", query=NotificationsQuery, mutation=NotificationsMutation,
    loaders={"delivery_attempts": lambda: grouped(DeliveryAttempt, "notification_id")})
