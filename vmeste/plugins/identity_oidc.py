"""Identity from the configured OIDC provider (ESIA or an equivalent)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping
from typing import Any

from vmeste.platform.appeals.identity import REQUIRE_VERIFIED
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.i18n import N_
from vmeste.platform.identity.tokens import (
    IdentityClaims,
    JWKSVerifier,
    claims_to_identity,
    peek_issuer,
)
from vmeste.platform.settings import Settings
from vmeste.platform.strategies import unknown_settings

_VerifierKey = tuple[str, str, str, int]
_verifiers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop,
                                      dict[_VerifierKey, JWKSVerifier]] = (
    weakref.WeakKeyDictionary()
)


def _verifier(issuer: str, jwks_url: str, audience: str, max_lifetime: int) -> JWKSVerifier:
    """One verifier per configuration and event loop: its JWKS cache lives across
    requests, and its asyncio lock never crosses into another loop (dramatiq's worker
    runs actors on a loop of its own)."""
    per_loop = _verifiers.setdefault(asyncio.get_running_loop(), {})
    key = (issuer, jwks_url, audience, max_lifetime)
    if key not in per_loop:
        per_loop[key] = JWKSVerifier(issuer=issuer, jwks_url=jwks_url, audience=audience,
                                     max_lifetime_seconds=max_lifetime)
    return per_loop[key]


def _validate(settings: Mapping[str, Any]) -> list[str]:
    return unknown_settings(settings, {REQUIRE_VERIFIED})


@hookimpl
async def vmeste_resolve_identity(token: str, settings: Settings) -> IdentityClaims | None:
    if not settings.oidc_issuer or not settings.oidc_jwks_url:
        return None
    if peek_issuer(token) != settings.oidc_issuer:
        return None
    verifier = _verifier(settings.oidc_issuer, settings.oidc_jwks_url, settings.oidc_audience,
                         settings.auth_max_token_lifetime_seconds)
    return claims_to_identity(await verifier.verify(token))


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [
        StrategySpec(
            kind="identity",
            name="oidc",
            description=N_("Sign-in through ESIA or another OIDC provider"),
            defaults={REQUIRE_VERIFIED: True},
            validate=_validate,
        )
    ]
