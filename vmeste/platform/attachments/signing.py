"""Signed, expiring download URLs.

A URL names the attachment, what of it (the file or its thumbnail), when it stops
working, and an HMAC-SHA256 over the three with a key derived from
``VMESTE_SECRET_KEY``. It is handed out only to someone who may see the file's parent
at that moment, so whoever holds it may fetch the bytes until it expires without a
bearer token (an ``<img>`` cannot send one). It is cut to a whole number of minutes'
lifetime bucket so that one page read twice gives the same URLs (a browser's cache
hits).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from enum import StrEnum

#: The key of a development installation without VMESTE_SECRET_KEY (production refuses
#: to start without a strong one).
DEVELOPMENT_KEY = b"vmeste-development-attachment-key"


class Variant(StrEnum):
    FILE = "file"
    THUMBNAIL = "thumbnail"


def signing_key(secret_key: str) -> bytes:
    if not secret_key:
        return DEVELOPMENT_KEY
    return hmac.new(secret_key.encode(), b"vmeste attachment urls", hashlib.sha256).digest()


def signature(key: bytes, attachment_id: int, variant: Variant, expires: int) -> str:
    message = f"{attachment_id}\x1f{variant.value}\x1f{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def expiry(now: datetime, lifetime_seconds: int) -> int:
    """The moment a URL made ``now`` expires: at least ``lifetime_seconds`` away, on a
    boundary of that length, so URLs made within one period are the same."""
    moment = int(now.timestamp())
    return (moment // lifetime_seconds + 2) * lifetime_seconds


def signed_path(key: bytes, attachment_id: int, variant: Variant, expires: int) -> str:
    return (f"/attachments/{attachment_id}/{variant.value}?expires={expires}"
            f"&signature={signature(key, attachment_id, variant, expires)}")


class Refusal(StrEnum):
    FORGED = "forged"
    EXPIRED = "expired"


def refusal(key: bytes, attachment_id: int, variant: Variant, expires: int, given: str,
            now: datetime) -> Refusal | None:
    """Why this URL is refused (a signature that does not sign it, or a past expiry);
    None when it is good."""
    # Bytes: compare_digest refuses a str with a character outside ASCII (a TypeError).
    expected = signature(key, attachment_id, variant, expires).encode()
    if not hmac.compare_digest(expected, given.encode("utf-8", "surrogateescape")):
        return Refusal.FORGED
    if now.timestamp() >= expires:
        return Refusal.EXPIRED
    return None
