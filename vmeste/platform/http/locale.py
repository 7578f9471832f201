"""The language of a request: ``Accept-Language`` picks the locale every text built while
the request runs comes out in (errors, ``userErrors``, the transport's own refusals).

Pure ASGI, and outermost but for CORS, so the 413, 503 and 401 of the middleware inside
it are translated too. A WebSocket takes its locale from the handshake, and keeps it for
the connection: the subscriptions it runs are tasks created inside this context.
"""

from __future__ import annotations

from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vmeste.platform.i18n import negotiate, use_locale


class LocaleMiddleware:
    def __init__(self, app: ASGIApp, default: str) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers", [])).get(b"accept-language")
        locale = _negotiated(header, self.default)

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = headers = list(message.get("headers", ()))
                _label(headers, locale)
            await send(message)

        with use_locale(locale):
            await self.app(scope, receive,
                           send_with_language if scope["type"] == "http" else send)


@lru_cache(maxsize=512)
def _negotiated(header: bytes | None, default: str) -> str:
    """Clients send a handful of distinct headers, each on every request."""
    return negotiate(header.decode("latin-1") if header else None, default)


def _label(headers: list[tuple[bytes, bytes]], locale: str) -> None:
    """``Content-Language`` unless the response set its own, and ``Accept-Language``
    added to ``Vary``: a cached answer is only right for callers asking the same
    language. (The raw header list: this runs on every response.)"""
    if not any(name == b"content-language" for name, _value in headers):
        headers.append((b"content-language", locale.encode("latin-1")))
    for index, (name, value) in enumerate(headers):
        if name == b"vary":
            headers[index] = (name, value + b", Accept-Language")
            return
    headers.append((b"vary", b"Accept-Language"))
