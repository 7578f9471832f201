"""Identity from the built-in development issuer; inert outside dev mode."""

from __future__ import annotations

from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.i18n import N_
from vmeste.platform.identity.dev_issuer import DEV_ISSUER, dev_issuer
from vmeste.platform.identity.tokens import IdentityClaims, claims_to_identity, peek_issuer
from vmeste.platform.settings import Settings


@hookimpl
def vmeste_resolve_identity(token: str, settings: Settings) -> IdentityClaims | None:
    if not settings.dev_mode or peek_issuer(token) != DEV_ISSUER:
        return None
    claims = dev_issuer(settings.data_dir).verify(
        token, audience=settings.oidc_audience,
        max_lifetime=settings.auth_max_token_lifetime_seconds)
    return claims_to_identity(claims)


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [
        StrategySpec(
            kind="identity",
            name="dev",
            description=N_("Test tokens from `vmeste token` (development mode only)"),
        )
    ]
