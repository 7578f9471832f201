"""The language of a request: ``Accept-Language`` picks the locale every text built while
the request runs comes out in (errors, ``userErrors``, the transport's own refusals).

The edge (:mod:`vmeste.platform.http.edge`) makes it current outside its guards, so the
413, 503 and 401 they answer are translated too, and labels each HTTP answer with it. A
WebSocket takes its locale from the handshake, and keeps it for the connection: the
subscriptions it runs are tasks created inside this context.
"""

from __future__ import annotations

from functools import lru_cache

from vmeste.platform.i18n import negotiate


@lru_cache(maxsize=512)
def negotiated(header: bytes | None, default: str) -> str:
    """Clients send a handful of distinct headers, each on every request."""
    return negotiate(header.decode("latin-1") if header else None, default)


def label(headers: list[tuple[bytes, bytes]], locale: str) -> None:
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
