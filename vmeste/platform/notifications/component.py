"""Notifications: channels, templates, preferences and the delivery log, for every
component's events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.notifications.channels import NOTIFICATION_KIND, DeliveryError
from vmeste.platform.notifications.delivery import deliver, reset_for_redrive
from vmeste.platform.notifications.fanout import NOTIFICATION_DELIVER
from vmeste.platform.notifications.models import Notification
from vmeste.platform.notifications.personal_data import NOTIFICATIONS_DATA
from vmeste.platform.outbox.topics import Topic, scope_of
from vmeste.platform.strategies import StrategyKind

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


async def _deliver(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> None:
    await deliver(runtime, int(payload["notification_id"]), last_attempt=last_attempt)


async def _reset(payload: dict[str, Any]) -> None:
    await reset_for_redrive(int(payload["notification_id"]))


@hookimpl
def vmeste_component() -> Component:
    return Component(
        name="notifications", models=("vmeste.platform.notifications.models",),
        topics=(Topic(NOTIFICATION_DELIVER, "vmeste.deliver", "deliveries", _deliver,
                      scope_of(Notification, "notification_id"),
                      reset=_reset, safe_errors=(DeliveryError,)),),
        personal_data=(NOTIFICATIONS_DATA,))


@hookimpl
def vmeste_strategy_kinds() -> list[StrategyKind]:
    return [NOTIFICATION_KIND]
