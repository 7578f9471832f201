"""A third-party plugin as a test double of a regional package: loaded through a real
entry point object in the tests."""

import argparse
import os
from collections.abc import Mapping
from typing import Any, Protocol

import strawberry
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from vmeste.cli.common import CommandError
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.identity.models import UserKind
from vmeste.platform.identity.tokens import IdentityClaims
from vmeste.platform.reference.models import Territory
from vmeste.platform.strategies import Mode, StrategyKind
from vmeste.schema.loaders import by_id
from vmeste.schema.parts import SchemaPart

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


class RegionalServices:
    """A made-up regional package that brings an HTTP facade, a GraphQL query, a CLI
    command and a startup check (it needs a gateway token in its environment)."""

    @hookimpl
    def vmeste_http_routes(self, settings: Any) -> list[Route]:
        async def services(request: Request) -> JSONResponse:
            principal = request.scope["state"]["principal"]
            caller = principal.actor if principal.authenticated else None
            return JSONResponse({"services": ["roads"], "caller": caller})

        return [Route("/kirov/gateway/services.json", services)]

    @hookimpl
    def vmeste_startup_checks(self, settings: Any) -> list[str]:
        if os.environ.get("KIROV_GATEWAY_TOKEN"):
            return []
        return ["KIROV_GATEWAY_TOKEN is not set: the regional gateway cannot sign in"]

    @hookimpl
    def vmeste_graphql_schema(self, settings: Any) -> SchemaPart:
        return SchemaPart(name="kirov", query=KirovQuery, loaders={
            "kirov_title": lambda: by_id(Territory, lambda row: row.name.upper())})

    @hookimpl
    def vmeste_cli_commands(self, subparsers: Any) -> None:
        sync = subparsers.add_parser("kirov-sync", help="send appeals to the regional system")
        sync.add_argument("--dry-run", action="store_true", help="only say what would go")
        sync.set_defaults(func=kirov_sync)


@strawberry.type
class KirovQuery:
    @strawberry.field(description="Названия территорий для регионального табло.")
    async def kirov_titles(self, info: strawberry.Info, ids: list[int]) -> list[str | None]:
        return list(await info.context.loaders.kirov_title.load_many(ids))


def kirov_sync(settings: Any, args: argparse.Namespace) -> None:
    if not args.dry_run:
        raise CommandError("the regional system is not reachable", code=1)
    print("kirov-sync: nothing to send")


services = RegionalServices()
