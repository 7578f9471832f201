"""Why a token was refused, and what the caller is told about it."""

from __future__ import annotations

from typing import Literal

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
    "expired": "Срок действия токена истёк",
    "not_yet_valid": "Токен ещё не действует",
    "lifetime_too_long": "Срок действия токена больше допустимого",
    "bad_signature": "Подпись токена недействительна",
    "malleable_signature": "Подпись токена записана в недопустимой форме",
    "bad_issuer": "Токен выдан неизвестным поставщиком",
    "bad_audience": "Токен выдан для другого приложения",
    "malformed": "Токен повреждён или имеет неверный формат",
    "unknown_key": "Ключ подписи токена неизвестен",
    "unsupported_alg": "Алгоритм подписи токена не поддерживается",
    "jwks_unavailable": "Проверка входа временно недоступна, попробуйте позже",
}


class TokenError(Exception):
    """A token was refused.

    ``reason`` is for code and logs. The message shown to the caller comes from a fixed
    table keyed by it, so no code path can leak the token or its claims into a response.
    """

    def __init__(self, reason: TokenErrorReason) -> None:
        self.reason: TokenErrorReason = reason
        self.message = _MESSAGES[reason]
        super().__init__(self.message)
