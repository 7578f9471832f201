"""One accepted encoding per ES256 signature.

An ECDSA signature (r, s) stays valid as (r, n − s), so anyone holding a token can mint
a second, different-looking token with the same claims. Code that keys anything on
the token text (caches, replay or revocation lists, logs of token hashes) would see
two tokens. Like Bitcoin's BIP 62 and libsecp256k1, we accept only the low-S form
(s ≤ n/2) and sign only in it.
"""

from __future__ import annotations

import base64
import binascii

from vmeste.platform.identity.token_errors import TokenError

#: Order of the NIST P-256 group (FIPS 186-4, D.1.2.3).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_HALF_ORDER = P256_ORDER // 2
#: A JWS ES256 signature is r and s, 32 big-endian bytes each (RFC 7518 §3.4).
_PART = 32


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _signature_of(token: str) -> tuple[str, bytes]:
    signing_input, _, segment = token.rpartition(".")
    try:
        raw = _b64decode(segment)
    except (binascii.Error, ValueError):
        raise TokenError(reason="malformed") from None
    if not signing_input or len(raw) != 2 * _PART:
        raise TokenError(reason="malformed")
    return signing_input, raw


def require_low_s(token: str) -> None:
    """Refuse an ES256 token whose signature is the malleated (high-S) twin."""
    _, raw = _signature_of(token)
    if int.from_bytes(raw[_PART:], "big") > _HALF_ORDER:
        raise TokenError(reason="malleable_signature")


def to_low_s(token: str) -> str:
    """The same ES256 token with its signature in low-S form (for our own signing:
    ``cryptography`` returns either form, at random)."""
    signing_input, raw = _signature_of(token)
    s = int.from_bytes(raw[_PART:], "big")
    if s <= _HALF_ORDER:
        return token
    flipped = raw[:_PART] + (P256_ORDER - s).to_bytes(_PART, "big")
    return f"{signing_input}.{_b64encode(flipped)}"
