"""Webhooks: a body's own systems get every event of its appeals as signed JSON.

The signature is ``hex(HMAC-SHA256(secret, f"{timestamp}.{body}"))``, sent with the
timestamp, so a receiver can check both who sent it and that it is fresh (see
docs/plugins.md). The body holds identifiers and statuses only, no personal data.
The URL's host is resolved and checked before each send, and the request goes to the
checked address (:mod:`vmeste.platform.notifications.addresses`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlsplit

import httpx

from vmeste.platform.hookspecs import ChannelSpec, hookimpl
from vmeste.platform.i18n import N_, _
from vmeste.platform.notifications.addresses import Target, UnsafeAddress, resolve
from vmeste.platform.notifications.channels import DeliveryError, OutgoingMessage
from vmeste.platform.settings import Settings


def sign(secret: str, timestamp: str, body: str) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


def payload(message: OutgoingMessage) -> str:
    return json.dumps({"id": message.dedupe_key, "event": message.event, "data": message.data},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def pinned(url: str, target: Target) -> tuple[str, dict[str, str]]:
    """``url`` with its host replaced by the checked address, and the Host header and
    TLS name (``sni_hostname``, which certificate checks also use) of the real host."""
    parts = urlsplit(url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    host = target.host if parts.port is None else f"{target.host}:{parts.port}"
    return parts._replace(netloc=f"{address}:{target.port}").geturl(), {"Host": host}


def webhook_channel(timeout: float, allow_private: bool) -> ChannelSpec:
    async def send(message: OutgoingMessage) -> None:
        try:
            target = await resolve(message.address, allow_private=allow_private)
        except UnsafeAddress as refused:
            raise DeliveryError(f"webhook: {refused}") from None
        url, host = pinned(message.address, target)
        body = payload(message)
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "vmeste-webhooks",
                   "X-Vmeste-Event": message.event, "X-Vmeste-Delivery": message.dedupe_key,
                   "X-Vmeste-Timestamp": timestamp,
                   "X-Vmeste-Signature": sign(message.secret, timestamp, body), **host}
        try:
            # No proxies from the environment: through a proxy the pinned address and
            # the TLS name would not reach the server (and a proxy bypasses the check).
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                         trust_env=False) as client:
                response = await client.post(url, content=body.encode(), headers=headers,
                                             extensions={"sni_hostname": target.host})
        except httpx.TimeoutException:
            raise DeliveryError(_("webhook: no reply within {seconds} s",
                                  seconds=format(timeout, "g"))) from None
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook: {type(error).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"webhook: HTTP {response.status_code}")

    return ChannelSpec(name="webhook",
                       description=N_("Webhooks of the bodies' information systems"),
                       send=send, default=True)


@hookimpl
def vmeste_notification_channels(settings: Settings) -> list[ChannelSpec]:
    return [webhook_channel(settings.notify_timeout_seconds, settings.webhook_allow_private)]

