"""A third-party plugin as a test double of a regional package: loaded through a real
entry point object in the tests."""

from collections.abc import Mapping
from typing import Any, Protocol

from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.identity.models import UserKind
from vmeste.platform.identity.tokens import IdentityClaims
from vmeste.platform.strategies import Mode, StrategyKind

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


class Classifier(Protocol):
    def __call__(self, text: str, settings: Mapping[str, Any], /) -> str: ...


def by_keyword(text: str, settings: Mapping[str, Any]) -> str:
    return "roads" if "яма" in text else settings["fallback"]


class ClassifierPlugin:
    """A plugin bringing a kind of its own and a strategy of it."""

    @hookimpl
    def vmeste_strategy_kinds(self) -> list[StrategyKind]:
        return [StrategyKind(name="classifier", description="Suggests an appeal's category.",
                             handler=Classifier, mode=Mode.FIRST,
                             defaults={"fallback": "other"})]

    @hookimpl
    def vmeste_strategies(self) -> list[StrategySpec]:
        return [StrategySpec(kind="classifier", name="keywords", description="По словам",
                             handler=by_keyword, default=True)]


class UndeclaredKindPlugin:
    """A strategy of a kind nobody declares (say, its component is not installed)."""

    @hookimpl
    def vmeste_strategies(self) -> list[StrategySpec]:
        return [StrategySpec(kind="vote-method", name="knapsack", description="Рюкзак",
                             handler=by_keyword)]


classifier_plugin = ClassifierPlugin()
undeclared_kind_plugin = UndeclaredKindPlugin()
