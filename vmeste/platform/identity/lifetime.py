"""When a token is valid, and for how long it may be.

A stolen token works until it expires, so a provider's token that claims to be good
for a month is refused even if it is correctly signed: the longest lifetime accepted
is ``VMESTE_AUTH_MAX_TOKEN_LIFETIME``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from vmeste.platform.identity.token_errors import TokenError

#: Default for the longest accepted lifetime (exp − iat): one day.
DEFAULT_MAX_LIFETIME_SECONDS = 86_400


def numeric_date(claims: Mapping[str, Any], name: str) -> float | None:
    """A NumericDate claim; NaN or infinity would make a token valid forever."""
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenError(reason="malformed")
    try:
        seconds = float(value)
    except OverflowError:
        raise TokenError(reason="malformed") from None
    if not math.isfinite(seconds):
        raise TokenError(reason="malformed")
    return seconds


def check_lifetime(claims: Mapping[str, Any], *, now: float, leeway: float,
                   max_lifetime: float) -> None:
    """``exp`` is mandatory and in the future; ``nbf`` and ``iat`` are not in the future;
    ``exp − iat`` is at most ``max_lifetime``, and a token without ``iat`` may not
    expire further than that from now."""
    expires = numeric_date(claims, "exp")
    if expires is None:
        raise TokenError(reason="malformed")
    if expires <= now - leeway:
        raise TokenError(reason="expired")
    for name in ("nbf", "iat"):
        moment = numeric_date(claims, name)
        if moment is not None and moment > now + leeway:
            raise TokenError(reason="not_yet_valid")
    issued = numeric_date(claims, "iat")
    if issued is not None and expires - issued > max_lifetime:
        raise TokenError(reason="lifetime_too_long")
    if issued is None and expires > now + leeway + max_lifetime:
        raise TokenError(reason="lifetime_too_long")
