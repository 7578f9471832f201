"""Why a token was refused, and what the caller is told about it."""

from __future__ import annotations

from typing import Literal

from vmeste.platform.i18n import N_, translate

TokenErrorReason = Literal[
    "expired",
    "not_yet_valid",
    "lifetime_too_long",
    "bad_signature",
    "malleable_signature",
    "bad_issuer",
    "bad_audience",
    "malformed",
    "unknown_key",
    "unsupported_alg",
    "jwks_unavailable",
]

_MESSAGES: dict[TokenErrorReason, str] = {
    "expired": N_("The token has expired"),
    "not_yet_valid": N_("The token is not valid yet"),
    "lifetime_too_long": N_("The token's lifetime is longer than allowed"),
    "bad_signature": N_("The token's signature is invalid"),
    "malleable_signature": N_("The token's signature is written in a form not allowed"),
    "bad_issuer": N_("The token was issued by an unknown provider"),
    "bad_audience": N_("The token was issued for another application"),
    "malformed": N_("The token is damaged or malformed"),
    "unknown_key": N_("The token's signing key is unknown"),
    "unsupported_alg": N_("The token's signature algorithm is not supported"),
    "jwks_unavailable": N_("Sign-in checks are unavailable for now, try again later"),
}


class TokenError(Exception):
    """A token was refused.

    ``reason`` is for code and logs. The message shown to the caller comes from a fixed
    table keyed by it, so no code path can leak the token or its claims into a response;
    it is translated when read, in the locale of whoever is told.
    """

    def __init__(self, reason: TokenErrorReason) -> None:
        self.reason: TokenErrorReason = reason
        super().__init__(_MESSAGES[reason])

    @property
    def message(self) -> str:
        return translate(_MESSAGES[self.reason])
