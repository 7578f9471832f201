"""Reading region policies: stored rows, and what actually applies where."""

from __future__ import annotations

import strawberry
from tortoise.expressions import Q

from vmeste.platform import authz
from vmeste.platform.i18n import translate
from vmeste.platform.plugins import strategy_catalog
from vmeste.platform.policies.models import RegionPolicy as RegionPolicyModel
from vmeste.platform.reference.models import Territory, subtree
from vmeste.platform.strategies import kind_registry
from vmeste.schema.pagination import CountedConnection, paginate
from vmeste.schema.policies.types import (
    EffectiveStrategy,
    RegionPolicy,
    StrategyInfo,
    StrategyKindInfo,
)


@strawberry.type
class PoliciesQuery:
    @strawberry.field(description="Regional policies within the caller's authority.")
    async def region_policies(
        self, info: strawberry.Info, territory_code: str | None = None, kind: str | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[RegionPolicy]:
        scopes = authz.require_any_territory_role(info.context.principal, authz.READERS_OF_CONFIG)
        visible = Q(id=-1)
        for root in scopes:
            visible |= subtree(root, "territory__path")
        query = RegionPolicyModel.filter(visible)
        if territory_code is not None:
            query = query.filter(territory__code=territory_code)
        if kind is not None:
            query = query.filter(kind=kind)
        return await paginate(query, info=info, convert=RegionPolicy.from_model, first=first,
                              after=after, last=last, before=before)

    @strawberry.field(description="Which strategies apply on a territory, with inheritance from "
                                  "municipality to region and country.")
    async def effective_policy(self, info: strawberry.Info, territory_code: str, kind: str
                               ) -> list[EffectiveStrategy]:
        # The caller first: an unknown code must not answer NOT_FOUND to anybody.
        authz.require_any_territory_role(info.context.principal, authz.READERS_OF_CONFIG)
        path = await Territory.filter(code=territory_code).values_list("path", flat=True)
        if path:
            authz.require_territory(info.context.principal, path[0], authz.READERS_OF_CONFIG)
        resolved = await info.context.resolver.resolve(territory_code, kind)
        return [EffectiveStrategy(kind=r.kind, plugin=r.plugin, settings=dict(r.settings),
                                  decided_at=r.decided_at) for r in resolved]

    @strawberry.field(description="Strategies the installed plugins offer.")
    def strategies(self, info: strawberry.Info) -> list[StrategyInfo]:
        catalog = strategy_catalog(info.context.plugins)
        return [StrategyInfo(kind=s.kind, name=s.name, description=translate(s.description),
                             defaults=dict(s.defaults))
                for _, s in sorted(catalog.items())]

    @strawberry.field(description="Kinds of strategy the installed plugins declare, with "
                                  "the settings all strategies of a kind share.")
    def strategy_kinds(self, info: strawberry.Info) -> list[StrategyKindInfo]:
        return [StrategyKindInfo(name=kind.name, description=kind.description,
                                 mode=kind.mode.value, defaults=dict(kind.defaults),
                                 handler=kind.handler.__name__ if kind.handler else None)
                for _, kind in sorted(kind_registry(info.context.plugins).items())]
