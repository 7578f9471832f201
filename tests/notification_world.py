"""The appeal world plus what notifications need: staff with e-mail addresses, real
local SMTP and HTTP receivers, and a runtime with e-mail switched on."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.models import User
from vmeste.platform.notifications.fanout import fan_out
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.outbox.services import APPEAL_EVENTS
from vmeste.platform.runtime import Runtime, build_runtime
from vmeste.platform.settings import Settings

CITIZEN_EMAIL = "ivanova@example.org"
OPERATOR_EMAIL = "operator@city.example.org"


@dataclass
class Mailbox:
    """An SMTP handler that keeps what it accepts, or refuses everything with ``reply``."""

    reply: str | None = None
    messages: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply is not None:
            return self.reply
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server(mailbox: Mailbox) -> Iterator[int]:
    """A real SMTP server on a free local port; yields the port."""
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@dataclass
class Receiver:
    """What a webhook endpoint got; answers ``statuses`` in turn, then 200."""

    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@contextmanager
def http_receiver(receiver: Receiver) -> Iterator[str]:
    """A real HTTP server on a free local port; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.requests.append((dict(self.headers.items()), body))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def runtime_with_smtp(settings: Settings, port: int | None) -> Runtime:
    smtp_url = f"smtp://127.0.0.1:{port}" if port else ""
    return build_runtime(replace(settings, smtp_url=smtp_url, notify_timeout_seconds=5,
                                 smtp_from="Вместе <noreply@vmeste.test>"))


async def give_email(subject: str, email: str) -> User:
    user = await User.get(issuer=DEV_ISSUER, subject=subject)
    user.email = email
    await user.save(update_fields=["email"])
    return user


async def fan_out_all(runtime: Runtime) -> int:
    """Run fan-out for every ``appeal.events`` message in the outbox, as workers would."""
    created = 0
    for message in await OutboxMessage.filter(topic=APPEAL_EVENTS).order_by("id"):
        created += await fan_out(runtime, "appeal", message.payload["appeal_id"],
                                 message.payload["event_ids"])
    return created


def decoded(body: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(body)
    return value
