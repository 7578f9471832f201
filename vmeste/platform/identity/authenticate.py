"""From a bearer token to a :class:`Principal`, through the identity hook."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import jwt
import pluggy

from vmeste.platform.identity.principal import ANONYMOUS, Principal
from vmeste.platform.identity.services import load_principal, upsert_user
from vmeste.platform.identity.tokens import TokenError
from vmeste.platform.plugins import first_result
from vmeste.platform.settings import Settings


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError("malformed")
    return token.strip()


async def authenticate(token: str | None, settings: Settings, pm: pluggy.PluginManager
                       ) -> Principal:
    if token is None:
        return ANONYMOUS
    identity = await first_result(pm.hook.vmeste_resolve_identity, token=token, settings=settings)
    if identity is None:
        raise TokenError("bad_issuer")
    return await load_principal(await upsert_user(identity))


class Authenticator:
    """``authenticate`` with a short per-process memory of recent tokens.

    A busy frontend sends the same token with every request; verifying it, reading the
    user and their roles each time costs more than the request itself. An entry lives
    ``cache_seconds`` at most and never past the token's own expiry, so a revoked role
    stops working within that time (``VMESTE_AUTH_CACHE_SECONDS``, 0 turns it off).
    """

    def __init__(self, settings: Settings, pm: pluggy.PluginManager,
                 cache_seconds: float, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.pm = pm
        self.cache_seconds = cache_seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[bytes, tuple[float, Principal]] = {}

    def cached(self, token: str) -> Principal | None:
        """The principal of a token verified within the cache's lifetime, or None: such
        a token costs no verification, so it need not pass the failures' budget."""
        if self.cache_seconds <= 0:
            return None
        cached = self._entries.get(hashlib.sha256(token.encode()).digest())
        return cached[1] if cached is not None and cached[0] > self.clock() else None

    async def __call__(self, token: str | None) -> Principal:
        if token is None or self.cache_seconds <= 0:
            return await authenticate(token, self.settings, self.pm)
        key = hashlib.sha256(token.encode()).digest()
        now = self.clock()
        cached = self._entries.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        principal = await authenticate(token, self.settings, self.pm)
        expires = now + self.cache_seconds
        token_expiry = token_expiry_of(token)
        if token_expiry is not None:
            expires = min(expires, token_expiry)
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (expires, principal)
        return principal


def token_expiry_of(token: str) -> float | None:
    """``exp`` of a token that has just been verified (so reading it unverified is safe);
    None for tokens that are not JWTs (a plugin's own format)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) else None
