"""Region policies: validation when saving, resolution from settlement up to country,
and the cache in front of resolution (same process and across processes)."""

from __future__ import annotations

from typing import Any

import pluggy
import pytest
from starlette.applications import Starlette

from tests.params import param_id
from tests.worlds import (
    COUNTRY,
    MUNICIPALITY_A,
    MUNICIPALITY_B,
    REGION_A,
    REGION_B,
    World,
    add_territory,
    count_queries,
    error_code,
    ok_data,
)
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.errors import DomainError
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.plugins import build_plugin_manager
from vmeste.platform.policies.models import RegionPolicy
from vmeste.platform.policies.services import (
    PolicyResolver,
    RegionPolicyInput,
    ResolvedStrategy,
    set_region_policy,
)
from vmeste.platform.reference import services as ref
from vmeste.platform.reference.models import TerritoryKind
from vmeste.platform.settings import Settings
from vmeste.platform.strategies import Mode, StrategyKind

#: A kind of strategy only this test's plugin offers.
KIND = "test_routing"
SETTLEMENT_A = "33701000101"
MUNICIPALITY_A2 = "33702000"


def _validate_routing(settings: Any) -> list[str]:
    radius = settings.get("radius_km", 1)
    return [] if isinstance(radius, int) and radius > 0 else ["radius_km: целое больше нуля"]


class RoutingPlugin:
    """A stand-in regional plugin declaring a kind and offering two strategies of it."""

    @hookimpl
    def vmeste_strategy_kinds(self) -> list[StrategyKind]:
        return [StrategyKind(name=KIND, description="Test routing: settings only.",
                             handler=None, mode=Mode.SWITCHES)]

    @hookimpl
    def vmeste_strategies(self) -> list[StrategySpec]:
        return [
            StrategySpec(kind=KIND, name="nearest", description="Ближайший орган",
                         defaults={"radius_km": 5, "mode": "walk"}, validate=_validate_routing),
            StrategySpec(kind=KIND, name="manual", description="Ручная маршрутизация",
                         defaults={"queue": "region"}),
        ]


def plugin_manager(settings: Settings) -> pluggy.PluginManager:
    pm = build_plugin_manager(settings)
    pm.register(RoutingPlugin(), name="test_routing")
    return pm


async def put(resolver: PolicyResolver, code: str, plugin: str, settings: dict[str, Any] | None,
              active: bool | None = None, kind: str = KIND) -> None:
    await set_region_policy(SYSTEM, resolver, RegionPolicyInput(
        territory_code=code, kind=kind, plugin=plugin, settings=settings, active=active))


async def seed_layers(resolver: PolicyResolver) -> None:
    """country: nearest(radius 10); region A: nearest(mode drive);
    municipality A: nearest switched off, manual(queue kirov)."""
    await add_territory(SETTLEMENT_A, TerritoryKind.SETTLEMENT, MUNICIPALITY_A, "Слобода")
    await add_territory(MUNICIPALITY_A2, TerritoryKind.MUNICIPALITY, REGION_A, "Слободской район")
    await put(resolver, COUNTRY, "nearest", {"radius_km": 10})
    await put(resolver, REGION_A, "nearest", {"mode": "drive"})
    await put(resolver, MUNICIPALITY_A, "nearest", None, active=False)
    await put(resolver, MUNICIPALITY_A, "manual", {"queue": "kirov"})


def nearest(settings: dict[str, Any], at: str) -> ResolvedStrategy:
    return ResolvedStrategy(KIND, "nearest", settings, at)


EXPECTED_LAYERS: dict[str, list[ResolvedStrategy]] = {
    # The settlement has no policy: its municipality decides, replacing the region's choice.
    SETTLEMENT_A: [ResolvedStrategy(KIND, "manual", {"queue": "kirov"}, MUNICIPALITY_A)],
    MUNICIPALITY_A: [ResolvedStrategy(KIND, "manual", {"queue": "kirov"}, MUNICIPALITY_A)],
    # Region settings layer over country settings and the strategy's defaults.
    MUNICIPALITY_A2: [nearest({"radius_km": 10, "mode": "drive"}, REGION_A)],
    REGION_A: [nearest({"radius_km": 10, "mode": "drive"}, REGION_A)],
    # Nothing below the country: the country decides, defaults fill the rest.
    MUNICIPALITY_B: [nearest({"radius_km": 10, "mode": "walk"}, COUNTRY)],
    REGION_B: [nearest({"radius_km": 10, "mode": "walk"}, COUNTRY)],
    COUNTRY: [nearest({"radius_km": 10, "mode": "walk"}, COUNTRY)],
}


@pytest.fixture
def pm(db: Settings) -> pluggy.PluginManager:
    return plugin_manager(db)


@pytest.fixture
def routed_app(vmeste_app: Starlette) -> Starlette:
    """The test app, with the routing plugin registered in its plugin manager."""
    vmeste_app.state.plugins.register(RoutingPlugin(), name="test_routing")
    return vmeste_app


# --- saving -------------------------------------------------------------------------------

M_POLICY = """mutation($i: RegionPolicyInput!) { setRegionPolicy(input: $i) {
  regionPolicy { kind plugin settings active } userErrors { field code message } } }"""


@pytest.mark.parametrize(("data", "field", "code"), [
    ({"kind": "identity", "plugin": "esia_kirov"}, "plugin", "UNKNOWN_PLUGIN"),
    ({"kind": KIND, "plugin": "oidc"}, "plugin", "UNKNOWN_PLUGIN"),  # wrong kind
    ({"kind": "identity", "plugin": "oidc", "settings": {"require_verified": "yes"}},
     "settings", "INVALID"),
    ({"kind": "identity", "plugin": "oidc", "settings": {"requireVerified": True}},
     "settings", "INVALID"),  # unknown parameter
    ({"kind": "identity", "plugin": "oidc", "settings": ["require_verified"]},
     "settings", "INVALID"),  # not an object
    ({"kind": "identity", "plugin": "dev", "settings": "on"}, "settings", "INVALID"),
    ({"kind": KIND, "plugin": "nearest", "settings": {"radius_km": 0}},
     "settings", "INVALID"),
    ({"kind": "identity", "plugin": "oidc", "territoryCode": "33999000"}, "territoryCode",
     "NOT_FOUND"),
], ids=param_id)
async def test_set_region_policy_validation(world: World, routed_app: Starlette, graphql: Any,
                                            federal: str, data: dict[str, Any], field: str,
                                            code: str) -> None:
    events = await AuditEvent.all().count()
    body = await graphql(M_POLICY, {"i": {"territoryCode": REGION_A, **data}}, token=federal)
    payload = ok_data(body)["setRegionPolicy"]
    assert payload["regionPolicy"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)], payload
    assert payload["userErrors"][0]["message"]
    assert await RegionPolicy.all().count() == 0
    assert await AuditEvent.all().count() == events


async def test_oidc_settings_are_checked_and_stored(world: World, graphql: Any,
                                                    federal: str) -> None:
    body = await graphql(M_POLICY, {"i": {
        "territoryCode": REGION_A, "kind": "identity", "plugin": "oidc",
        "settings": {"require_verified": False}}}, token=federal)
    assert ok_data(body)["setRegionPolicy"] == {
        "regionPolicy": {"kind": "identity", "plugin": "oidc",
                         "settings": {"require_verified": False}, "active": True},
        "userErrors": []}
    row = await RegionPolicy.get(territory__code=REGION_A)
    assert row.settings == {"require_verified": False}


async def test_strategies_list_what_plugins_offer(world: World, routed_app: Starlette,
                                                  graphql: Any) -> None:
    listed = ok_data(await graphql("{ strategies { kind name defaults } }"))["strategies"]
    assert listed == sorted(listed, key=lambda s: (s["kind"], s["name"]))
    assert [s for s in listed if s["kind"] in ("identity", KIND)] == [
        {"kind": "identity", "name": "dev", "defaults": {}},
        {"kind": "identity", "name": "oidc", "defaults": {"require_verified": True}},
        {"kind": KIND, "name": "manual", "defaults": {"queue": "region"}},
        {"kind": KIND, "name": "nearest", "defaults": {"radius_km": 5, "mode": "walk"}},
    ]


# --- resolution ---------------------------------------------------------------------------


async def test_resolution_falls_back_settlement_municipality_region_country(
        world: World, pm: pluggy.PluginManager) -> None:
    resolver = PolicyResolver(pm, check_seconds=0)
    await seed_layers(resolver)
    for code, expected in EXPECTED_LAYERS.items():
        assert await resolver.resolve(code, KIND) == expected, code
    assert await resolver.resolve(SETTLEMENT_A, "identity") == []


async def test_a_settlement_policy_layers_over_every_level(world: World,
                                                           pm: pluggy.PluginManager) -> None:
    resolver = PolicyResolver(pm, check_seconds=0)
    await seed_layers(resolver)
    # The settlement switches nearest back on with its own radius: the mode still comes
    # from the region, although the municipality in between switched the strategy off.
    await put(resolver, SETTLEMENT_A, "nearest", {"radius_km": 1})
    assert await resolver.resolve(SETTLEMENT_A, KIND) == [
        nearest({"radius_km": 1, "mode": "drive"}, SETTLEMENT_A)]


async def test_a_municipality_can_switch_a_strategy_off(world: World,
                                                        pm: pluggy.PluginManager) -> None:
    resolver = PolicyResolver(pm, check_seconds=0)
    await seed_layers(resolver)
    await put(resolver, MUNICIPALITY_B, "nearest", None, active=False)
    assert await resolver.resolve(MUNICIPALITY_B, KIND) == []
    assert await resolver.resolve(REGION_B, KIND) == EXPECTED_LAYERS[REGION_B]
    # Switching it on again restores the inherited settings.
    await put(resolver, MUNICIPALITY_B, "nearest", None, active=True)
    assert await resolver.resolve(MUNICIPALITY_B, KIND) == [
        nearest({"radius_km": 10, "mode": "walk"}, MUNICIPALITY_B)]


async def test_strategies_of_uninstalled_plugins_are_skipped(world: World, db: Settings,
                                                             pm: pluggy.PluginManager) -> None:
    await seed_layers(PolicyResolver(pm))
    without_plugin = PolicyResolver(build_plugin_manager(db))
    assert await without_plugin.resolve(MUNICIPALITY_A2, KIND) == []


async def test_resolving_an_unknown_territory_is_not_found(world: World,
                                                           pm: pluggy.PluginManager) -> None:
    with pytest.raises(DomainError) as raised:
        await PolicyResolver(pm).resolve("33999000", KIND)
    assert raised.value.errors[0].code.value == "NOT_FOUND"


Q_EFFECTIVE = """query($c: String!) { effectivePolicy(territoryCode: $c, kind: "test_routing")
  { kind plugin settings decidedAt } }"""


def as_graphql(resolved: list[ResolvedStrategy]) -> list[dict[str, Any]]:
    return [{"kind": r.kind, "plugin": r.plugin, "settings": dict(r.settings),
             "decidedAt": r.decided_at} for r in resolved]


async def test_effective_policy_shows_the_same_resolution(world: World, routed_app: Starlette,
                                                          graphql: Any, federal: str,
                                                          pm: pluggy.PluginManager) -> None:
    await seed_layers(PolicyResolver(pm))
    for code, expected in EXPECTED_LAYERS.items():
        body = await graphql(Q_EFFECTIVE, {"c": code}, token=federal)
        assert ok_data(body)["effectivePolicy"] == as_graphql(expected), code
    missing = await graphql(Q_EFFECTIVE, {"c": "33999000"}, token=federal)
    assert error_code(missing) == "NOT_FOUND"


async def test_region_policies_list_rows_in_scope(world: World, routed_app: Starlette,
                                                  graphql: Any, make_token: Any,
                                                  pm: pluggy.PluginManager) -> None:
    await seed_layers(PolicyResolver(pm))
    query = """{ regionPolicies(kind: "test_routing") { totalCount
      edges { node { plugin active settings territory { code } } } } }"""
    admin_a = await make_token("regional_admin", territory=REGION_A)
    rows = ok_data(await graphql(query, token=admin_a))["regionPolicies"]
    assert {(e["node"]["territory"]["code"], e["node"]["plugin"], e["node"]["active"])
            for e in rows["edges"]} == {(REGION_A, "nearest", True),
                                        (MUNICIPALITY_A, "nearest", False),
                                        (MUNICIPALITY_A, "manual", True)}
    assert rows["totalCount"] == 3
    admin_b = await make_token("regional_admin", territory=REGION_B)
    assert ok_data(await graphql(query, token=admin_b))["regionPolicies"]["totalCount"] == 0


# --- caching ------------------------------------------------------------------------------


async def test_answers_are_cached(world: World, pm: pluggy.PluginManager) -> None:
    resolver = PolicyResolver(pm, check_seconds=3600)
    await seed_layers(PolicyResolver(pm))
    first = await resolver.resolve(MUNICIPALITY_A2, KIND)
    with count_queries() as log:
        assert await resolver.resolve(MUNICIPALITY_A2, KIND) == first
    assert len(log) == 0


async def test_a_change_through_the_api_is_seen_at_once(world: World, db: Settings,
                                                        app_client: Any, federal: str) -> None:
    async with app_client(policy_cache_seconds=3600) as (app, graphql):
        app.state.plugins.register(RoutingPlugin(), name="test_routing")
        await seed_layers(PolicyResolver(app.state.plugins))
        before = ok_data(await graphql(Q_EFFECTIVE, {"c": MUNICIPALITY_A2}, token=federal))
        assert before["effectivePolicy"] == as_graphql(EXPECTED_LAYERS[MUNICIPALITY_A2])
        changed = await graphql(M_POLICY, {"i": {
            "territoryCode": REGION_A, "kind": KIND, "plugin": "nearest",
            "settings": {"mode": "bus"}}}, token=federal)
        assert ok_data(changed)["setRegionPolicy"]["userErrors"] == []
        after = ok_data(await graphql(Q_EFFECTIVE, {"c": MUNICIPALITY_A2}, token=federal))
        assert after["effectivePolicy"] == as_graphql(
            [nearest({"radius_km": 10, "mode": "bus"}, REGION_A)])


async def test_a_change_in_this_process_clears_the_cache(world: World,
                                                         pm: pluggy.PluginManager) -> None:
    resolver = PolicyResolver(pm, check_seconds=3600)
    await seed_layers(resolver)
    assert await resolver.resolve(SETTLEMENT_A, KIND) == EXPECTED_LAYERS[SETTLEMENT_A]
    await put(resolver, MUNICIPALITY_A, "manual", None, active=False)
    assert await resolver.resolve(SETTLEMENT_A, KIND) == []


async def test_another_process_sees_the_change(world: World, db: Settings,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Two resolvers stand for two processes: they share only the database."""
    this_process = PolicyResolver(plugin_manager(db), check_seconds=3600)
    await seed_layers(this_process)
    eager = PolicyResolver(plugin_manager(db), check_seconds=0)
    lazy = PolicyResolver(plugin_manager(db), check_seconds=60)
    for other in (eager, lazy):
        assert await other.resolve(MUNICIPALITY_A2, KIND) == EXPECTED_LAYERS[MUNICIPALITY_A2]

    await put(this_process, REGION_A, "manual", {"queue": "vyatka"})
    changed = [nearest({"radius_km": 10, "mode": "drive"}, REGION_A),
               ResolvedStrategy(KIND, "manual", {"queue": "vyatka"}, REGION_A)]
    changed.sort(key=lambda r: r.plugin)
    assert await eager.resolve(MUNICIPALITY_A2, KIND) == changed
    # The lazy one answers from its cache until its check interval passes...
    assert await lazy.resolve(MUNICIPALITY_A2, KIND) == EXPECTED_LAYERS[MUNICIPALITY_A2]
    import vmeste.platform.policies.services as policies

    now = policies.time.monotonic()
    monkeypatch.setattr(policies.time, "monotonic", lambda: now + 61)
    # ...and then sees the change too.
    assert await lazy.resolve(MUNICIPALITY_A2, KIND) == changed


async def test_moving_a_territory_changes_its_resolution(world: World, db: Settings,
                                                         pm: pluggy.PluginManager) -> None:
    """Resolution depends on the territory's ancestors; re-parenting must not leave
    another process answering from the old region's policies."""
    other_process = PolicyResolver(plugin_manager(db), check_seconds=0)
    await seed_layers(PolicyResolver(pm))
    assert await other_process.resolve(MUNICIPALITY_A2, KIND) == EXPECTED_LAYERS[
        MUNICIPALITY_A2]
    await ref.update_territory(SYSTEM, ref.TerritoryInput(code=MUNICIPALITY_A2,
                                                          parent_code=REGION_B))
    assert await other_process.resolve(MUNICIPALITY_A2, KIND) == [
        nearest({"radius_km": 10, "mode": "walk"}, COUNTRY)]
