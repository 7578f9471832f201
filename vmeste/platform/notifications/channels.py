"""What a channel is handed, how it reports failure, and which channels are installed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pluggy

from vmeste.platform.hookspecs import ChannelSpec
from vmeste.platform.outbox.services import RetryLater
from vmeste.platform.settings import Settings
from vmeste.platform.strategies import Mode, StrategyKind

#: Region-policy kind that switches channels per territory; each channel is a strategy.
POLICY_KIND = "notification"
NOTIFICATION_KIND = StrategyKind(
    name=POLICY_KIND,
    description="Notification channels active in a territory: one strategy per channel "
                "name, each a switch; delivery itself is the channel's ChannelSpec.",
    handler=None, mode=Mode.SWITCHES)


class DeliveryError(Exception):
    """A failed attempt that may succeed later. Its message goes into the delivery log,
    so it never contains addresses, secrets or message text."""


class LeaseHeld(DeliveryError, RetryLater):
    """Another worker is sending the notification right now: try again once its lease
    has run out, without counting a failed attempt."""


@dataclass(frozen=True)
class OutgoingMessage:
    """One notification as a channel sends it."""

    notification_id: int
    #: Unique per event × channel × recipient: receivers deduplicate by it.
    dedupe_key: str
    event: str
    channel: str
    #: E-mail, phone, device owner or URL. Personal data: never log it.
    address: str = field(repr=False)
    subject: str
    body: str
    #: Identifiers and statuses only (the webhook payload); no personal data.
    data: dict[str, Any]
    #: The webhook subscription's HMAC key; empty for other channels.
    secret: str = field(default="", repr=False)


def channel_registry(pm: pluggy.PluginManager, settings: Settings) -> dict[str, ChannelSpec]:
    """Installed channels by name. pluggy calls the latest registered plugin first, so
    a third-party channel replaces a built-in one of the same name (a real SMS gateway
    replaces the dev sink)."""
    registry: dict[str, ChannelSpec] = {}
    for specs in pm.hook.vmeste_notification_channels(settings=settings):
        for spec in specs:
            registry.setdefault(spec.name, spec)
    return registry
