"""What a channel is handed, how it reports failure, and which channels are installed.

Every installed channel is also a strategy of kind ``notification`` (derived from its
``ChannelSpec`` by :class:`ChannelStrategies`), so region policies switch it on and
off per territory and carry its settings; its secrets come from the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pluggy

from vmeste.platform.hookspecs import ChannelSpec, StrategySpec, hookimpl
from vmeste.platform.i18n import _
from vmeste.platform.outbox.services import RetryLater
from vmeste.platform.settings import Settings
from vmeste.platform.strategies import Mode, StrategyKind

#: Region-policy kind that switches channels per territory; each channel is a strategy.
POLICY_KIND = "notification"
#: What a channel may be called (it is stored in 32 characters): lowercase letters,
#: digits, ``_`` and ``-``, starting with a letter.
CHANNEL_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")

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
    #: Territory path of what the notification is about (root first).
    territory_path: str = ""
    #: The channel's defaults, then the region policy's settings of this channel on the
    #: territory path (country → region → municipality).
    settings: Mapping[str, Any] = field(default_factory=dict)
    #: The channel's secrets, read from the environment (``ChannelSettings.secrets``);
    #: "" where the variable is unset.
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)


def channel_registry(pm: pluggy.PluginManager, settings: Settings) -> dict[str, ChannelSpec]:
    """Installed channels by name. pluggy calls the latest registered plugin first, so
    a third-party channel replaces a built-in one of the same name (a real SMS gateway
    replaces the dev sink). A name outside :data:`CHANNEL_NAME` stops the process."""
    registry: dict[str, ChannelSpec] = {}
    for specs in pm.hook.vmeste_notification_channels(settings=settings):
        for spec in specs:
            if not CHANNEL_NAME.match(spec.name):
                raise RuntimeError(f"notification channel name {spec.name!r} does not match "
                                   f"{CHANNEL_NAME.pattern}")
            registry.setdefault(spec.name, spec)
    return registry


def channel_strategy(spec: ChannelSpec) -> StrategySpec:
    """The channel as a strategy of kind ``notification``: its defaults, its
    ``default``, and a validator that also refuses settings naming a secret."""

    def validate(settings: Mapping[str, Any]) -> list[str]:
        problems = [_("«{key}» is a secret of the channel {channel}: it is set by the "
                      "environment variable {variable}, not by a policy", key=key,
                      channel=spec.name, variable=variable)
                    for key, variable in sorted(spec.settings.secrets.items())
                    if key in settings]
        if spec.settings.validate is not None:
            problems += spec.settings.validate(settings)
        return problems

    return StrategySpec(kind=POLICY_KIND, name=spec.name, description=spec.description,
                        defaults=dict(spec.settings.defaults), validate=validate,
                        default=spec.default)


class ChannelStrategies:
    """The plugin that offers every installed channel as a ``notification``
    strategy. It answers last, so a channel's own spec wins over a strategy of the
    same name that another plugin declares by hand."""

    def __init__(self, pm: pluggy.PluginManager, settings: Settings) -> None:
        self.pm = pm
        self.settings = settings

    @hookimpl(trylast=True)
    def vmeste_strategies(self) -> list[StrategySpec]:
        return [channel_strategy(spec)
                for spec in channel_registry(self.pm, self.settings).values()]


def channel_settings(spec: ChannelSpec, layered: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults, then a policy's layered settings; a secret never comes from a policy
    (one stored before the channel declared it is dropped)."""
    merged = {**spec.settings.defaults, **layered}
    for key in spec.settings.secrets:
        merged.pop(key, None)
    return merged


def channel_secrets(spec: ChannelSpec, environ: Mapping[str, str] = os.environ
                    ) -> dict[str, str]:
    return {key: environ.get(variable, "") for key, variable in spec.settings.secrets.items()}
