"""Webhooks: a body's own systems get every event of its appeals as signed JSON.

The signature is ``hex(HMAC-SHA256(secret, f"{timestamp}.{body}"))``, sent with the
timestamp, so a receiver can check both who sent it and that it is fresh (see
docs/plugins.md). The body holds identifiers and statuses only, no personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from vmeste.platform.hookspecs import ChannelSpec, StrategySpec, hookimpl
from vmeste.platform.notifications.channels import DeliveryError, OutgoingMessage
from vmeste.platform.settings import Settings

KIND = "notification"


def sign(secret: str, timestamp: str, body: str) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


def payload(message: OutgoingMessage) -> str:
    return json.dumps({"id": message.dedupe_key, "event": message.event, "data": message.data},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def webhook_channel(timeout: float) -> ChannelSpec:
    async def send(message: OutgoingMessage) -> None:
        body = payload(message)
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "vmeste-webhooks",
                   "X-Vmeste-Event": message.event, "X-Vmeste-Delivery": message.dedupe_key,
                   "X-Vmeste-Timestamp": timestamp,
                   "X-Vmeste-Signature": sign(message.secret, timestamp, body)}
        try:
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
                response = await client.post(message.address, content=body.encode(),
                                             headers=headers)
        except httpx.TimeoutException:
            raise DeliveryError(f"webhook: нет ответа за {timeout:g} с") from None
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook: {type(error).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"webhook: HTTP {response.status_code}")

    return ChannelSpec(name="webhook", description="Вебхуки информационных систем органов",
                       send=send)


@hookimpl
def vmeste_notification_channels(settings: Settings) -> list[ChannelSpec]:
    return [webhook_channel(settings.notify_timeout_seconds)]


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [StrategySpec(kind=KIND, name="webhook",
                         description="Вебхуки информационных систем органов", default=True)]
