"""Handing one notification to its channel, exactly once in effect.

A job may run twice (the broker delivers at least once, a worker dies mid-send). The
notification's status says whether it is done; a lease (``lease_until``) taken with a
conditional UPDATE says whether another worker is on it right now. Every try is
written to the delivery log. A receiver that still sees a message twice (a worker died
after sending, before recording) can tell by the dedupe key the channel passes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from vmeste.platform.errors import DomainError
from vmeste.platform.hookspecs import ChannelSpec
from vmeste.platform.i18n import N_, _, translate, use_locale
from vmeste.platform.notifications.channels import (
    POLICY_KIND,
    DeliveryError,
    LeaseHeld,
    OutgoingMessage,
    channel_secrets,
    channel_settings,
)
from vmeste.platform.notifications.models import (
    DeliveryAttempt,
    Notification,
    NotificationStatus,
    WebhookSubscription,
)
from vmeste.platform.observability.metrics import delivered
from vmeste.platform.reference.models import PATH_SEPARATOR

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

__all__ = ["DeliveryError", "LeaseHeld", "deliver", "reset_for_redrive"]

log = logging.getLogger(__name__)
S = NotificationStatus
ERROR_MAX = 500
#: Share of the lease a send may take: the rest is left for recording the outcome, so
#: no second worker can take the notification while the first is still sending.
SEND_SHARE = 0.75
#: Why a webhook notification is not sent (its subscription was deleted or disabled).
WEBHOOK_GONE = N_("the subscription is disabled")


async def deliver(runtime: Runtime, notification_id: int, *, last_attempt: bool) -> None:
    """Send the notification unless it is already sent, skipped or dead. Raises
    :class:`DeliveryError` when this attempt failed (the job should retry), and
    :class:`LeaseHeld` when another worker holds the lease. What the delivery log
    records is in the installation's locale."""
    with use_locale(runtime.settings.locale):
        await _deliver(runtime, notification_id, last_attempt=last_attempt)


async def _deliver(runtime: Runtime, notification_id: int, *, last_attempt: bool) -> None:
    now = datetime.now(UTC)
    lease_seconds = runtime.settings.delivery_lease_seconds
    lease = now + timedelta(seconds=lease_seconds)
    taken = await Notification.filter(
        Q(id=notification_id)
        & (Q(status__in=(S.PENDING, S.RETRYING))
           | Q(status=S.SENDING, lease_until__lt=now) | Q(status=S.SENDING, lease_until=None))
    ).update(status=S.SENDING, lease_until=lease, attempts=F("attempts") + 1)
    row = await Notification.get_or_none(id=notification_id)
    if row is None or row.status in (S.SENT, S.SKIPPED, S.DEAD):
        return
    if not taken:
        held_until = row.lease_until or now
        raise LeaseHeld(_("another worker is sending the notification"),
                        delay_seconds=max(1.0, (held_until - now).total_seconds() + 1))
    channel = runtime.channels.get(str(row.channel))
    message = await _message(runtime, row, channel)
    if message is None:
        await _skip(row, lease, translate(WEBHOOK_GONE))
        return
    started = time.perf_counter()
    error = ""
    if channel is None or channel.send is None:
        error = _("the channel {name} is not installed", name=row.channel)
    else:
        limit = lease_seconds * SEND_SHARE
        try:
            await asyncio.wait_for(channel.send(message), timeout=limit)
        except TimeoutError:
            error = _("sending took longer than {seconds} s", seconds=format(limit, "g"))
        except DeliveryError as failure:
            error = _scrub(str(failure) or type(failure).__name__, row, message)
        except Exception as failure:  # a plugin's bug must not leak what it holds
            error = type(failure).__name__
    elapsed = round((time.perf_counter() - started) * 1000)
    delivered(str(row.channel), await _record(row, lease, error, elapsed, last_attempt))
    log.info("notification %s via %s: %s", row.id, row.channel, error or "sent")
    if error:
        raise DeliveryError(error)


async def reset_for_redrive(notification_id: int) -> None:
    """A dead notification becomes pending again, so a re-driven job sends it."""
    await Notification.filter(id=notification_id, status=S.DEAD).update(
        status=S.PENDING, lease_until=None)


async def _message(runtime: Runtime, row: Notification, channel: ChannelSpec | None
                   ) -> OutgoingMessage | None:
    """What the channel is handed; None when there is nobody to send it to any more.
    Settings are resolved now, not at fan-out, so a retry sends with the policy in
    force when it runs."""
    secret = ""
    if row.webhook_id is not None:
        hook = await WebhookSubscription.get_or_none(id=row.webhook_id, active=True)
        if hook is None:
            return None
        secret = hook.secret
    settings: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    if channel is not None:
        settings = channel_settings(channel, await _layered(runtime, row))
        secrets = channel_secrets(channel)
    return OutgoingMessage(
        notification_id=row.id, dedupe_key=row.dedupe_key, event=row.event,
        channel=str(row.channel), address=row.address, subject=row.subject, body=row.body,
        data=row.data, secret=secret, territory_path=row.territory_path,
        settings=settings, secrets=secrets)


async def _layered(runtime: Runtime, row: Notification) -> Mapping[str, Any]:
    """The region policy's settings of the row's channel on its territory path
    (country → region → municipality); empty where no policy sets it, or where the
    territory is gone."""
    code = row.territory_path.split(PATH_SEPARATOR)[-1]
    if not code:
        return {}
    try:
        resolved = await runtime.resolver.resolve(code, POLICY_KIND)
    except DomainError:  # the territory was deleted since the fan-out
        return {}
    return next((s.settings for s in resolved if s.plugin == row.channel), {})


async def _skip(row: Notification, lease: datetime, reason: str) -> None:
    """Nothing to retry: the notification is skipped, not failed."""
    await Notification.filter(id=row.id, status=S.SENDING, lease_until=lease).update(
        status=S.SKIPPED, lease_until=None, last_error=reason)
    delivered(str(row.channel), S.SKIPPED)
    log.info("notification %s via %s: skipped (%s)", row.id, row.channel, reason)


def _scrub(text: str, row: Notification, message: OutgoingMessage) -> str:
    """Belt and braces: a channel's message should hold no address or secret anyway."""
    for private in (message.address, message.secret, *message.secrets.values()):
        if private:
            text = text.replace(private, "***")
    return text[:ERROR_MAX]


async def _record(row: Notification, lease: datetime, error: str, elapsed: int,
                  last_attempt: bool) -> NotificationStatus:
    """The attempt and the outcome, applied only while this worker still holds the
    lease (a worker that overran it must not overwrite a later one's result); returns
    the status the attempt left."""
    if not error:
        status = S.SENT
    elif last_attempt:
        status = S.DEAD
    else:
        status = S.RETRYING
    now = datetime.now(UTC)
    async with in_transaction() as conn:
        await DeliveryAttempt.create(notification_id=row.id, number=row.attempts, ok=not error,
                                     error=error, duration_ms=elapsed, using_db=conn)
        await Notification.filter(id=row.id, status=S.SENDING, lease_until=lease).using_db(
            conn).update(status=status, lease_until=None, last_error=error,
                         sent_at=now if status == S.SENT else None)
    return status
