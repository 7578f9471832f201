"""A third-party plugin as a test double of a regional package: loaded through a real
entry point object in the tests."""

from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.identity.models import UserKind
from vmeste.platform.identity.tokens import IdentityClaims

REGIONAL_TOKEN_PREFIX = "kirov-idp:"


class RegionalIdentity:
    """Accepts tokens of a made-up regional provider: ``kirov-idp:<subject>``."""

    @hookimpl
    async def vmeste_resolve_identity(self, token: str) -> IdentityClaims | None:
        if not token.startswith(REGIONAL_TOKEN_PREFIX):
            return None
        return IdentityClaims(issuer="kirov-idp", subject=token[len(REGIONAL_TOKEN_PREFIX):],
                              kind=UserKind.PERSON, last_name="Вятская", verified=True)

    @hookimpl
    def vmeste_strategies(self) -> list[StrategySpec]:
        return [StrategySpec(kind="identity", name="kirov-idp",
                             description="Региональный поставщик входа",
                             defaults={"require_verified": True, "level": 1})]


plugin = RegionalIdentity()
