"""SMS and push for development: messages are appended to
``$VMESTE_DATA_DIR/dev-notifications.jsonl`` instead of leaving the machine.

Only in dev mode. A real gateway is a plugin that returns a ``ChannelSpec`` named
``sms`` or ``push`` from ``vmeste_notification_channels`` (see docs/plugins.md); it
replaces this sink, and stays off until a region policy switches it on unless it
says ``default=True``. The log line names the notification, never its address or text.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from vmeste.platform.hookspecs import ChannelSpec, hookimpl
from vmeste.platform.i18n import N_
from vmeste.platform.identity.models import User
from vmeste.platform.notifications.channels import OutgoingMessage
from vmeste.platform.settings import Settings

SINK_FILE = "dev-notifications.jsonl"
log = logging.getLogger(__name__)


def _phone(user: User) -> str:
    return user.phone.strip()


def _device_owner(user: User) -> str:
    """Push reaches a user's devices; a push gateway maps the user to them."""
    return f"{user.issuer}:{user.subject}"


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as sink:
        sink.write(line + "\n")


def sink_channels(path: Path) -> list[ChannelSpec]:
    async def send(message: OutgoingMessage) -> None:
        record = {"at": datetime.now(UTC).isoformat(), "channel": message.channel,
                  "event": message.event, "notification_id": message.notification_id,
                  "dedupe_key": message.dedupe_key, "to": message.address,
                  "subject": message.subject, "body": message.body}
        await asyncio.to_thread(_append, path, json.dumps(record, ensure_ascii=False))
        log.info("dev sink: %s notification %s (%s)", message.channel,
                 message.notification_id, message.event)

    # On wherever no policy decides: the sink exists only in dev mode, to be seen.
    return [ChannelSpec(name="sms", description=N_("SMS (development: written to a file)"),
                        send=send, address=_phone, default=True),
            ChannelSpec(name="push", description=N_("Push (development: written to a file)"),
                        send=send, address=_device_owner, default=True)]


@hookimpl
def vmeste_notification_channels(settings: Settings) -> list[ChannelSpec]:
    if not settings.dev_mode:
        return []
    return sink_channels(settings.data_dir / SINK_FILE)

