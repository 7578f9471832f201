"""Notification channel ``messenger``: the region's messenger bot writes to the
recipient's phone number.

The bot API takes ``POST {api_url}/messages`` with a bearer token and the JSON
``{to, text, sender, idempotency_key}``; the notification's territory path goes in the
``X-Vmeste-Territory`` header, so one bot serving several municipalities can tell them
apart. ``api_url`` and ``sender`` (the name a citizen sees) are region settings; the
token is a secret and comes only from ``VMESTE_MESSENGER_TOKEN``, so no region
administrator ever sees or stores it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from vmeste.platform.hookspecs import ChannelSettings, ChannelSpec
from vmeste.platform.identity.models import User
from vmeste.platform.notifications.channels import DeliveryError, OutgoingMessage

NAME = "messenger"
TOKEN_VARIABLE = "VMESTE_MESSENGER_TOKEN"
#: Plain http is accepted for these hosts only: a receiver on the test machine.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SENDER_MAX = 64
DEFAULTS: Mapping[str, Any] = {"api_url": "", "sender": ""}
#: Answers after which the same request may succeed later.
RETRYABLE = frozenset({408, 425, 429})


def validate(settings: Mapping[str, Any]) -> list[str]:
    """Checked when a region policy is saved, on the settings as they will reach
    ``send()`` at that territory (so a municipality may rely on its region's URL)."""
    problems = []
    unknown = sorted(set(settings) - set(DEFAULTS) - {"token"})
    if unknown:
        problems.append(f"Неизвестные настройки: {', '.join(unknown)}")
    if not _acceptable_url(settings.get("api_url")):
        problems.append("api_url — адрес API бота мессенджера по https (http допустим только "
                        "для 127.0.0.1 и localhost), без имени пользователя и пароля")
    sender = settings.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > SENDER_MAX:
        problems.append(f"sender — имя отправителя, которое видит житель (непустая строка до "
                        f"{SENDER_MAX} символов)")
    return problems


def _acceptable_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return False
    if not parts.hostname or parts.username or parts.password or parts.query or parts.fragment:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS)


def address(user: User) -> str:
    return str(user.phone)


def text_of(message: OutgoingMessage) -> str:
    return f"{message.subject}\n\n{message.body}" if message.subject else message.body


def messenger_channel(timeout: float) -> ChannelSpec:
    async def send(message: OutgoingMessage) -> None:
        token = message.secrets.get("token", "")
        if not token:
            raise DeliveryError(f"мессенджер: не задана переменная {TOKEN_VARIABLE}")
        settings = message.settings
        body = {"to": message.address, "text": text_of(message),
                "sender": settings["sender"], "idempotency_key": message.dedupe_key}
        headers = {"Authorization": f"Bearer {token}", "User-Agent": "vmeste-messenger",
                   "X-Vmeste-Territory": message.territory_path}
        try:
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
                response = await client.post(f"{settings['api_url'].rstrip('/')}/messages",
                                             json=body, headers=headers)
        except httpx.TimeoutException:
            raise DeliveryError(f"мессенджер: нет ответа за {timeout:g} с") from None
        except httpx.HTTPError as error:
            raise DeliveryError(f"мессенджер: {type(error).__name__}") from None
        raise_for(response.status_code)

    return ChannelSpec(name=NAME, description="Региональный мессенджер: сообщение от бота на "
                       "номер телефона жителя", send=send, address=address, default_on=True,
                       settings=ChannelSettings(defaults=DEFAULTS, validate=validate,
                                                secrets={"token": TOKEN_VARIABLE}))


def raise_for(status: int) -> None:
    """A failed answer as the delivery log shows it: the status only, never the
    recipient or the text (the bot's reply may quote them, so it is not read)."""
    if 200 <= status < 300:
        return
    if status in RETRYABLE or status >= 500:
        raise DeliveryError(f"мессенджер: HTTP {status}, повтор позже")
    if status in (401, 403):
        raise DeliveryError(f"мессенджер: HTTP {status}, бот не принял токен "
                            f"{TOKEN_VARIABLE}")
    raise DeliveryError(f"мессенджер: HTTP {status}, бот отклонил сообщение")


def startup_problems(dev_mode: bool, environ: Mapping[str, str] = os.environ) -> list[str]:
    """A missing token stops a production start. Dev mode (the demo, tests) starts
    anyway, offline: the channel is off until a region policy picks it, and a delivery
    without a token fails with a log entry naming the variable."""
    if dev_mode or environ.get(TOKEN_VARIABLE, "").strip():
        return []
    return [f"{TOKEN_VARIABLE} is not set: the messenger channel cannot sign in to the "
            "bot API"]
