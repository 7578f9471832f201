"""The in-app inbox: a notification is delivered the moment it is stored, and read
through ``myNotifications``."""

from __future__ import annotations

from vmeste.platform.hookspecs import ChannelSpec, hookimpl
from vmeste.platform.i18n import N_
from vmeste.platform.identity.models import User
from vmeste.platform.settings import Settings


def _address(user: User) -> str:
    return ""  # the recipient's inbox is the user row itself


@hookimpl
def vmeste_notification_channels(settings: Settings) -> list[ChannelSpec]:
    return [ChannelSpec(name="inbox", description=N_("Notifications in the personal account"),
                        address=_address, default_on=True, default=True)]

