"""From a bearer token to a :class:`Principal`, through the identity hook."""

from __future__ import annotations

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
