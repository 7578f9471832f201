"""The ``incident_sla`` kind: a region's policy sets its incidents' terms, the validator
refuses what the platform could not count with, and elsewhere the defaults hold."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, REGION_A, World, ok_data
from vmeste.platform.incidents.policy import DEFAULTS, IncidentPolicy, policy_for, validate_policy

MUTATION = """mutation($i: RegionPolicyInput!) { setRegionPolicy(input: $i) {
  regionPolicy { settings } userErrors { field code } } }"""


async def test_kind_incident_sla(world: World, vmeste_app: Starlette, graphql: Any,
                                 federal: str) -> None:
    policy = {"territoryCode": REGION_A, "kind": "incident_sla", "plugin": "standard"}
    for wrong in ({"reaction_hours": 0}, {"reaction_hours": "2"}, {"reminders": [1.5]},
                  {"topic_categories": {"road_repair": ""}}):
        body = await graphql(MUTATION, {"i": {**policy, "settings": wrong}}, token=federal)
        assert [(e["field"], e["code"]) for e in ok_data(body)["setRegionPolicy"][
            "userErrors"]] == [("settings", "INVALID")], wrong
    settings = {"reaction_hours": 1, "topic_categories": {"road_repair": "roads.pits"}}
    body = await graphql(MUTATION, {"i": {**policy, "settings": settings}}, token=federal)
    assert ok_data(body)["setRegionPolicy"]["userErrors"] == []
    resolver = vmeste_app.state.runtime.resolver
    assert await policy_for(resolver, MUNICIPALITY_A) == IncidentPolicy(
        reaction_hours=1, topic_categories={"road_repair": "roads.pits"})
    assert await policy_for(resolver, MUNICIPALITY_B) == IncidentPolicy()


def test_the_defaults_pass_their_own_validation() -> None:
    assert validate_policy(DEFAULTS) == []
    assert IncidentPolicy.of({}) == IncidentPolicy()
