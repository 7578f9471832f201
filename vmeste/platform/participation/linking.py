"""The keyed hash that links a person to what they answered, where anything must.

A ballot to be replaced, or a replayed request to be answered with its first result,
needs to be found from the person; a plain reference would let anyone holding the
database join people to their answers. An HMAC whose key is not in the database
(``VMESTE_BALLOT_KEY``) is such a link that a dump alone cannot follow. Votes (revoting,
paper dedupe) and polls (idempotent responses) share it.
"""

from __future__ import annotations

import hashlib
import hmac

#: The key of a development installation without VMESTE_SECRET_KEY: production
#: refuses to start without a strong secret key, so it never uses this.
DEVELOPMENT_KEY = b"vmeste-development-ballot-key"


def keyed(key: bytes, *parts: object) -> str:
    """HMAC-SHA256 of ``parts``: the only link from a person to a ballot or a response,
    unusable without the key."""
    message = "\x1f".join(str(p) for p in parts).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def ballot_key(ballot_key_setting: str, secret_key: str) -> bytes:
    """``VMESTE_BALLOT_KEY``, else a key derived from ``VMESTE_SECRET_KEY`` (so an
    installation has one secret less to keep, and rotating the secret key is rotating
    this one too: do it only between votes and polls)."""
    if ballot_key_setting:
        return ballot_key_setting.encode()
    if secret_key:
        return hmac.new(secret_key.encode(), b"vmeste ballot link", hashlib.sha256).digest()
    return DEVELOPMENT_KEY
