"""Notifications' share of a citizen's data rights: the copies of what they were told,
the addresses it went to, and their channel choices. Nothing here is a body's record
(the appeal's own history is), so an erasure removes it all, and a copy is deleted
``VMESTE_RETENTION_NOTIFICATIONS_DAYS`` after it was made."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.notifications.models import (
    Notification,
    NotificationPreference,
    NotificationStatus,
)
from vmeste.platform.personal_data import Erasure, Outcome, PersonalData, batched, records

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

COLUMNS = ("id", "event", "channel", "address", "subject_type", "subject_id", "subject",
           "body", "status", "created_at", "sent_at", "read_at")
#: Settled notifications: no delivery is under way for them.
SETTLED = (NotificationStatus.SENT, NotificationStatus.SKIPPED, NotificationStatus.DEAD)
BATCH = 1000


async def _export(runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
    found = records(await Notification.filter(recipient_id=user_id).values(*COLUMNS))
    choices = records(await NotificationPreference.filter(user_id=user_id).values(
        "event", "channel", "enabled", "updated_at"))
    return [*({"kind": "notification", **row} for row in found),
            *({"kind": "preference", **row} for row in choices)]


async def _erase(erasure: Erasure) -> Outcome:
    conn = erasure.conn
    removed = await Notification.filter(recipient_id=erasure.user_id).using_db(conn).delete()
    removed += await NotificationPreference.filter(user_id=erasure.user_id).using_db(
        conn).delete()
    return Outcome(removed=removed)


async def _retention(runtime: Runtime, now: datetime) -> Outcome:
    cutoff = now - timedelta(days=runtime.settings.retention_notifications_days)

    async def step(conn: BaseDBAsyncClient) -> int:
        ids = list(await Notification.filter(created_at__lt=cutoff, status__in=SETTLED)
                   .using_db(conn).order_by("id").limit(BATCH).values_list("id", flat=True))
        if ids:
            await Notification.filter(id__in=ids).using_db(conn).delete()
        return len(ids)

    return Outcome(removed=await batched(step, BATCH))


NOTIFICATIONS_DATA = PersonalData(
    section="notifications", describes="What the platform told you, on which channel and "
    "address, and your notification choices.", export=_export, erase=_erase,
    retention=_retention)
