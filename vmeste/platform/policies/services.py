"""Region policies: storing them, and resolving which strategies serve a territory.

Resolution walks from the country down to the territory. The most specific level that
has any policy of the asked kind decides the set of active strategies (where no level
has one, the strategies their plugins mark as ``default`` apply, for every kind alike);
each chosen strategy's settings layer over the same strategy's settings at higher
levels, over the strategy's declared defaults, and over the kind's shared defaults
(:meth:`vmeste.platform.strategies.StrategyKind.settings`). So a municipality can
switch a region's strategy off, replace it, or change one setting while inheriting the
rest. Saving a policy validates exactly what resolution will hand the strategy.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pluggy
from tortoise.transactions import in_transaction

from vmeste.platform import authz
from vmeste.platform.audit.services import record, snapshot
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.hookspecs import StrategySpec
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.plugins import strategy_catalog
from vmeste.platform.policies.models import RegionPolicy
from vmeste.platform.reference.models import PATH_SEPARATOR, Territory
from vmeste.platform.strategies import StrategyKind, StrategyKindError, kind_registry
from vmeste.platform.versions import POLICY_VERSION, bump_version, current_version

POLICY_FIELDS = ("territory_id", "kind", "plugin", "settings", "active")


@dataclass
class RegionPolicyInput:
    territory_code: str
    kind: str
    plugin: str
    settings: dict[str, Any] | None = None
    active: bool | None = None


@dataclass(frozen=True)
class ResolvedStrategy:
    kind: str
    plugin: str
    settings: Mapping[str, Any]
    #: Code of the territory whose policy chose this strategy.
    decided_at: str


async def set_region_policy(
    principal: Principal, resolver: PolicyResolver, data: RegionPolicyInput
) -> RegionPolicy:
    territory = await Territory.get_or_none(code=data.territory_code)
    if territory is None:
        raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
    authz.require_territory(principal, territory.path, authz.ADMINS)
    spec = strategy_catalog(resolver.pm).get((data.kind, data.plugin))
    if spec is None:
        raise DomainError.of(
            "plugin", _("No plugin registers strategy {kind}/{plugin}", kind=data.kind,
                        plugin=data.plugin),
            ErrorCode.UNKNOWN_PLUGIN,
        )
    if data.settings is not None and not isinstance(data.settings, dict):
        # Resolution layers settings as objects; anything else would break it later.
        raise DomainError.of("settings", _("Settings must be a JSON object"))
    policy = await RegionPolicy.get_or_none(territory_id=territory.id, kind=data.kind,
                                            plugin=data.plugin)
    own = data.settings if data.settings is not None else (policy.settings if policy else {})
    active = data.active if data.active is not None else (policy.active if policy else True)
    if data.settings is not None or active:
        # What resolution would hand the strategy here, given the levels above.
        above = territory.path.split(PATH_SEPARATOR)[:-1]
        layered = await _layered(data.kind, data.plugin, above)
        kind = kind_of(resolver.pm, data.kind)
        problems = kind.problems(spec, kind.settings(spec, {**layered, **own}))
        if problems:
            raise DomainError.of("settings", "; ".join(problems))
    before = snapshot(policy, POLICY_FIELDS) if policy else None
    async with in_transaction() as conn:
        if policy is None:
            policy = await RegionPolicy.create(
                territory=territory, kind=data.kind, plugin=data.plugin,
                settings=data.settings or {}, active=True if data.active is None else data.active,
                using_db=conn,
            )
        else:
            if data.settings is not None:
                policy.settings = data.settings
            if data.active is not None:
                policy.active = data.active
            await policy.save(using_db=conn)
        await record(
            actor=principal.actor, action="region_policy.set", object_type="region_policy",
            object_id=policy.id, before=before, after=snapshot(policy, POLICY_FIELDS),
            scope_path=territory.path, using=conn,
        )
        await bump_version(POLICY_VERSION, conn)
    resolver.invalidate()
    return policy


def kind_of(pm: pluggy.PluginManager, name: str) -> StrategyKind:
    """The declared kind ``name``; every installed strategy's kind is declared (the
    plugin manager refuses to build otherwise), so a miss is a plugin registered
    after the check."""
    kind = kind_registry(pm).get(name)
    if kind is None:
        raise StrategyKindError(f"strategy kind {name!r} is not declared")
    return kind


async def _layered(kind: str, plugin: str, codes: list[str]) -> dict[str, Any]:
    """The stored settings of one strategy at ``codes`` (root first), each level
    overriding single keys of the levels above."""
    rows = await RegionPolicy.filter(kind=kind, plugin=plugin, territory__code__in=codes
                                     ).values("settings", "territory__code")
    depth = {code: index for index, code in enumerate(codes)}
    layered: dict[str, Any] = {}
    for row in sorted(rows, key=lambda row: depth[row["territory__code"]]):
        layered.update(row["settings"])
    return layered


class PolicyResolver:
    """Resolves strategies per territory, caching answers until the version changes.

    The stored version is re-read at most every ``check_seconds``; a change made in
    this process clears the cache at once.
    """

    def __init__(self, pm: pluggy.PluginManager, check_seconds: float = 2.0) -> None:
        self.pm = pm
        self.check_seconds = check_seconds
        self._version = -1
        self._checked_at = 0.0
        self._cache: dict[tuple[str, str], list[ResolvedStrategy]] = {}

    def invalidate(self) -> None:
        self._cache.clear()
        self._checked_at = 0.0

    async def _refresh(self) -> None:
        now = time.monotonic()
        if self._cache and now - self._checked_at < self.check_seconds:
            return
        version = await current_version(POLICY_VERSION)
        self._checked_at = now
        if version != self._version:
            self._cache.clear()
            self._version = version

    async def resolve(self, territory_code: str, kind: str) -> list[ResolvedStrategy]:
        await self._refresh()
        key = (territory_code, kind)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        version = self._version
        resolved = await self._resolve_uncached(territory_code, kind)
        if self._version == version:  # not computed across a change seen meanwhile
            self._cache[key] = resolved
        return resolved

    async def chain(self, territory_code: str, kind: str
                    ) -> list[tuple[ResolvedStrategy, StrategySpec]]:
        """The territory's strategies of ``kind`` that this process has installed, in
        the order chains run them: a policy's ``order`` setting over the strategy's own,
        ties by name."""
        catalog = self.catalog
        steps = [(strategy, catalog[(kind, strategy.plugin)])
                 for strategy in await self.resolve(territory_code, kind)
                 if (kind, strategy.plugin) in catalog]
        steps.sort(key=lambda step: (step[0].settings.get("order", step[1].order),
                                     step[0].plugin))
        return steps

    @cached_property
    def catalog(self) -> dict[tuple[str, str], StrategySpec]:
        """Installed strategies by (kind, name); plugins are fixed for a process's life."""
        return strategy_catalog(self.pm)

    async def _resolve_uncached(self, territory_code: str, kind: str) -> list[ResolvedStrategy]:
        path = await Territory.filter(code=territory_code).values_list("path", flat=True)
        if not path:
            raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
        codes = path[0].split(PATH_SEPARATOR)
        rows = await RegionPolicy.filter(kind=kind, territory__code__in=codes).values(
            "plugin", "settings", "active", "territory__code"
        )
        by_level: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_level.setdefault(row["territory__code"], []).append(row)
        catalog = strategy_catalog(self.pm)
        layered: dict[str, dict[str, Any]] = {}
        chosen: list[str] = []
        decided_at = ""
        for code in codes:
            level = by_level.get(code)
            if not level:
                continue
            for row in level:
                layered[row["plugin"]] = {**layered.get(row["plugin"], {}), **row["settings"]}
            chosen = sorted(row["plugin"] for row in level if row["active"])
            decided_at = code
        if not decided_at:
            # No policy anywhere on the path: the platform's defaults for the kind.
            chosen = sorted(name for (k, name), spec in catalog.items()
                            if k == kind and spec.default)
        installed = [(plugin, catalog[(kind, plugin)]) for plugin in chosen
                     # a policy may name a strategy whose plugin was uninstalled or disabled
                     if (kind, plugin) in catalog]
        if not installed:
            return []
        declared = kind_of(self.pm, kind)
        return [ResolvedStrategy(kind, plugin, declared.settings(spec, layered.get(plugin, {})),
                                 decided_at) for plugin, spec in installed]

