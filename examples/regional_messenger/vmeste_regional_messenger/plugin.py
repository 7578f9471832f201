"""The plugin's hooks: the ``messenger`` channel, its startup check, and the
``urgent-categories`` deadline strategy. Nothing is active until a region policy
switches it on (see the package's README)."""

from __future__ import annotations

from vmeste.platform.hookspecs import ChannelSpec, StrategySpec, hookimpl
from vmeste.platform.settings import Settings
from vmeste_regional_messenger.channel import messenger_channel, startup_problems
from vmeste_regional_messenger.deadline import STRATEGY


@hookimpl
def vmeste_notification_channels(settings: Settings) -> list[ChannelSpec]:
    return [messenger_channel(settings.notify_timeout_seconds)]


@hookimpl
def vmeste_startup_checks(settings: Settings) -> list[str]:
    return startup_problems(settings.dev_mode)


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [STRATEGY]
