"""Users' choices of channels: one event or all events (``*``) per channel.

A choice for the event beats a choice for all events, which beats the channel's
default (inbox and e-mail on, SMS and push off).
"""

from __future__ import annotations

from collections.abc import Iterable

from vmeste.platform.notifications.models import NotificationPreference
from vmeste.platform.notifications.subjects import ALL_EVENTS

Choices = dict[tuple[str, str], bool]


async def choices_of(user_ids: Iterable[int]) -> dict[int, Choices]:
    """Every stored choice of the users, by user: (event, channel) → enabled."""
    found: dict[int, Choices] = {}
    rows = await NotificationPreference.filter(user_id__in=sorted(set(user_ids))).values_list(
        "user_id", "event", "channel", "enabled")
    for user_id, event, channel, enabled in rows:
        found.setdefault(user_id, {})[(event, str(channel))] = enabled
    return found


def decide(choices: Choices, event: str, channel: str, default_on: bool) -> bool | None:
    """Whether the user wants ``event`` on ``channel``; None when they never chose and
    the channel is off by default (nothing is recorded then)."""
    for key in ((event, channel), (ALL_EVENTS, channel)):
        if key in choices:
            return choices[key]
    return True if default_on else None
