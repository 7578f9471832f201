"""E-mail over SMTP, switched on by ``VMESTE_SMTP_URL``.

smtplib runs in a thread: one message per job, so a connection per message costs
little next to the receiving server's own checks. When the delivery's time is up the
thread's socket is shut down, so a trickling server cannot keep a send going past the
delivery lease. The Message-ID is derived from the
notification's dedupe key, so a mail sent twice (a worker died after sending, before
recording it) carries the same Message-ID and receivers drop the copy.
"""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
import socket
import ssl
import threading
from contextlib import suppress
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from vmeste.platform.hookspecs import ChannelSpec, hookimpl
from vmeste.platform.i18n import N_, _
from vmeste.platform.identity.models import User
from vmeste.platform.notifications.channels import DeliveryError, OutgoingMessage
from vmeste.platform.settings import Settings

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    ssl: bool
    starttls: bool
    sender: str
    timeout: float
    user: str = ""
    password: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        parts = urlsplit(settings.smtp_url)
        implicit_tls = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        return cls(host=parts.hostname or "localhost",
                   port=parts.port or (465 if implicit_tls else 25), ssl=implicit_tls,
                   starttls=query.get("starttls", [""])[0].lower() in _TRUE,
                   sender=settings.smtp_from, timeout=settings.notify_timeout_seconds,
                   user=unquote(parts.username or ""), password=unquote(parts.password or ""))


def message_id(dedupe_key: str, sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "vmeste.localhost"
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]}@{domain}>"


def compose(config: SmtpConfig, message: OutgoingMessage) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = config.sender
    mail["To"] = message.address
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = message_id(message.dedupe_key, config.sender)
    mail["X-Vmeste-Event"] = message.event
    mail.set_content(message.body)
    return mail


class _Session:
    """The connection of one send, so the event loop can cut it off: a thread cannot be
    cancelled, but shutting its socket down ends whatever call it is blocked in."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sock: socket.socket | None = None
        self.aborted = False

    def opened(self, sock: socket.socket) -> socket.socket:
        with self.lock:
            self.sock = sock
            if self.aborted:
                self._shut()
        return sock

    def abort(self) -> None:
        with self.lock:
            self.aborted = True
            self._shut()

    def _shut(self) -> None:
        if self.sock is not None:
            with suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)


def _send_now(config: SmtpConfig, mail: EmailMessage, session: _Session) -> None:
    client = smtplib.SMTP_SSL if config.ssl else smtplib.SMTP
    with client(timeout=config.timeout) as smtp:
        # The socket is registered as soon as it exists, before the greeting is read.
        make_socket = smtp._get_socket
        smtp._get_socket = lambda *a: session.opened(make_socket(*a))  # type: ignore[method-assign]
        smtp.connect(config.host, config.port)
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
            session.opened(smtp.sock)  # the TLS socket took the plain one's place
        if config.user:
            smtp.login(config.user, config.password)
        smtp.send_message(mail)


def email_channel(config: SmtpConfig) -> ChannelSpec:
    async def send(message: OutgoingMessage) -> None:
        session = _Session()
        try:
            await asyncio.to_thread(_send_now, config, compose(config, message), session)
        except asyncio.CancelledError:  # the delivery's time is up (see delivery.py)
            session.abort()
            raise
        # Server replies can quote the address, so only codes go into the log.
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _ in error.recipients.values()})
            raise DeliveryError(_("SMTP: recipient refused (code {codes})", codes=codes)
                                ) from None
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(_("SMTP: reply {code}", code=error.smtp_code)) from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP: {type(error).__name__}") from None

    return ChannelSpec(name="email", description=N_("E-mail (SMTP)"), send=send,
                       address=_email, default_on=True, default=True)


def _email(user: User) -> str:
    return user.email.strip()


@hookimpl
def vmeste_notification_channels(settings: Settings) -> list[ChannelSpec]:
    if not settings.smtp_url:
        return []
    return [email_channel(SmtpConfig.from_settings(settings))]

