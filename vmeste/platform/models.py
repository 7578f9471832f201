"""Every Tortoise model of the platform, as one app named ``vmeste``."""

from vmeste.platform.appeals.models import Appeal, AppealCopy, AppealEvent, CompetenceRule
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.deadlines.models import AppealExtension, AppealPause, StoredCalendar
from vmeste.platform.identity.models import RoleAssignment, User
from vmeste.platform.notifications.models import (
    DeliveryAttempt,
    Notification,
    NotificationPreference,
    NotificationTemplate,
    WebhookSubscription,
)
from vmeste.platform.outbox.models import DeadLetter, OutboxMessage
from vmeste.platform.policies.models import ConfigVersion, RegionPolicy
from vmeste.platform.reference.models import Category, Organization, Territory

__all__ = [
    "Appeal",
    "AppealCopy",
    "AppealEvent",
    "AppealExtension",
    "AppealPause",
    "AuditEvent",
    "Category",
    "CompetenceRule",
    "ConfigVersion",
    "DeadLetter",
    "DeliveryAttempt",
    "Notification",
    "NotificationPreference",
    "NotificationTemplate",
    "Organization",
    "OutboxMessage",
    "RegionPolicy",
    "RoleAssignment",
    "StoredCalendar",
    "Territory",
    "User",
    "WebhookSubscription",
]
