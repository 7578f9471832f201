"""An operation's cost is computed before it runs, and one over the caller's budget is
refused with COST_LIMIT: a few kilobytes of aliased, nested connections must not buy
seconds of CPU."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from graphql import DocumentNode, FragmentDefinitionNode, OperationDefinitionNode, parse, validate

from tests.worlds import World, count_queries, error_code, ok_data
from vmeste.platform.settings import SettingsError, load_settings
from vmeste.schema import build_schema
from vmeste.schema.cost import INTROSPECTION_COST, operation_cost

SETTINGS = load_settings({})
SCHEMA = build_schema(SETTINGS)._schema
README = Path(__file__).resolve().parent.parent / "README.md"


def costs(document: str, variables: dict[str, Any] | None = None,
          cap: int = 100) -> list[int]:
    """The cost of every operation in ``document``, each of which must be valid alone
    (a README block may show two anonymous operations one after the other)."""
    parsed = parse(document)
    fragments = [d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)]
    found = []
    for operation in parsed.definitions:
        if isinstance(operation, OperationDefinitionNode):
            alone = DocumentNode(definitions=(operation, *fragments))
            assert not validate(SCHEMA, alone), document
            found.append(operation_cost(SCHEMA, operation, {f.name.value: f for f in fragments},
                                        variables, cap))
    return found


def cost(document: str, variables: dict[str, Any] | None = None, cap: int = 100) -> int:
    [only] = costs(document, variables, cap)
    return only


def test_fields_cost_one_and_lists_multiply_by_their_page() -> None:
    assert cost('{ territory(code: "RU") { code name } }') == 3
    # territories 1 + totalCount 1 + edges (1 + 10 × (node 1 + code 1 + children 12)),
    # where children = 1 + edges (1 + 5 × (node 1 + code 1)).
    nested = """{ territories(first: 10) { totalCount edges { node {
        code children(first: 5) { edges { node { code } } } } } } }"""
    assert cost(nested) == 1 + 1 + (1 + 10 * (1 + 1 + (1 + (1 + 5 * 2))))
    # pageInfo and totalCount are paid once, not once per edge.
    assert cost("{ territories(last: 7) { pageInfo { hasNextPage } edges { cursor } } }") == (
        1 + (1 + 1) + (1 + 7 * 1))


def test_absent_sizes_cost_the_page_cap_and_variables_are_read() -> None:
    query = "query($n: Int) { territories(first: $n) { edges { node { code } } } }"
    assert cost(query) == 1 + 1 + 100 * 2
    assert cost(query, cap=40) == 1 + 1 + 40 * 2
    assert cost(query, {"n": 3}) == 1 + 1 + 3 * 2
    # A page beyond the cap is refused by pagination anyway: it costs the cap.
    assert cost(query, {"n": 10**9}) == 1 + 1 + 100 * 2
    assert cost("query($n: Int = 4) { territories(first: $n) { edges { cursor } } }") == 1 + 5
    # A plain list (no size argument) costs the cap per item; so does a list of
    # userErrors, a limit argument counts as given (default included).
    assert cost('{ category(code: "x") { children { code } } }') == 1 + 1 + 100
    assert cost('{ routingCoverage(territoryCode: "RU", limit: 3) { uncovered { territoryName } '
                "} }") == 1 + 1 + 3
    assert cost('{ routingCoverage(territoryCode: "RU") { uncovered { territoryName } } }') == (
        1 + 1 + 100)


COVERAGE = "query($l: Int!) { routingCoverage(territoryCode: \"RU\", limit: $l) { uncovered { "\
           "territoryName } } }"
PAGE = "query($n: Int) { territories(first: $n) { edges { node { code } } } }"


def test_sizes_are_priced_as_graphql_core_coerces_them() -> None:
    # A whole float is coerced to Int and runs with that size, so it costs the same.
    assert cost(COVERAGE, {"l": 1000.0}) == cost(COVERAGE, {"l": 1000}) == 1 + 1 + 1000
    assert cost(PAGE, {"n": 3.0}) == cost(PAGE, {"n": 3}) == 1 + 1 + 3 * 2
    # What coercion refuses never runs: priced at the cap, not at a smaller default.
    cap = 1 + 1 + 100
    for refused in ("1000", True, False, 2.5, 2**31, -(2**31) - 1, [5], {"n": 5}):
        assert cost(COVERAGE, {"l": refused}) == cap, refused
        assert cost(PAGE, {"n": refused}) == 1 + 1 + 100 * 2, refused
    # A negative size is refused by the field itself, which then resolves nothing below.
    assert cost(PAGE, {"n": -5}) == 1 + 1
    assert cost(COVERAGE, {"l": 2**31 - 1}) == 1 + 1 + 2**31 - 1


async def test_a_whole_float_size_is_refused_like_its_int(world: World, graphql: Any,
                                                          make_token: Any, app_client: Any
                                                          ) -> None:
    token = await make_token("federal_configurator")
    async with app_client(graphql_max_cost=500) as (_, gql):
        for limit in (1000, 1000.0):
            body = await gql(COVERAGE, {"l": limit}, token=token)
            assert error_code(body) == "COST_LIMIT", body
            assert body["errors"][0]["extensions"]["cost"] == 1002
        assert ok_data(await gql(COVERAGE, {"l": 3.0}, token=token))


def test_fragments_are_expanded_and_introspection_is_cheap() -> None:
    spelled = "{ territories(first: 10) { edges { node { code name } } } }"
    fragment = """{ territories(first: 10) { ...page } }
        fragment page on TerritoryConnection { edges { node { ...t } } }
        fragment t on Territory { code name }"""
    inline = "{ territories(first: 10) { ... on TerritoryConnection { edges { node { "\
             "... on Territory { code name } } } } } }"
    assert cost(spelled) == cost(fragment) == cost(inline) == 1 + 1 + 10 * 3
    assert cost('{ node(id: "x") { __typename ... on Territory { code } } }') == 2
    assert cost("{ __schema { types { name fields { name } } } __typename }") == (
        INTROSPECTION_COST)


def test_every_operation_in_the_readme_is_within_the_budgets() -> None:
    blocks = re.findall(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 5
    for block in blocks:
        for found in costs(block):
            assert found <= SETTINGS.graphql_max_cost, (found, block)


def attack(aliases: int = 30, levels: int = 3) -> str:
    """The 5.5 KB query that used to burn ~20 s of CPU: aliased, nested 100-item pages."""
    inner = "code name"
    for _ in range(levels - 1):
        inner = f"code name children(first: 100) {{ edges {{ node {{ {inner} }} }} }}"
    selection = f"territories(first: 100) {{ edges {{ node {{ {inner} }} }} }}"
    return "{ " + " ".join(f"a{i}: {selection}" for i in range(aliases)) + " }"


async def test_the_attack_query_is_refused_at_once(world: World, graphql: Any,
                                                   make_token: Any) -> None:
    query = attack()
    assert len(query) > 5000
    citizen = await make_token("citizen")
    for token, budget in ((None, SETTINGS.graphql_max_cost_anonymous),
                          (citizen, SETTINGS.graphql_max_cost)):
        await graphql.raw(query, token=token)  # warm the parser and validation caches
        started = time.perf_counter()
        with count_queries() as log:
            body = await graphql(query, token=token)
        elapsed = time.perf_counter() - started
        assert error_code(body) == "COST_LIMIT", body
        assert body["data"] is None
        extensions = body["errors"][0]["extensions"]
        assert extensions["maxCost"] == budget
        assert extensions["cost"] > 30 * 100 * 100 * 100
        assert len(log) <= 2, "a refused query runs no SQL (but for the caller's login)"
        assert elapsed < 0.1, f"refused in {elapsed * 1000:.0f} ms"


async def test_anonymous_callers_have_the_smaller_budget(world: World, graphql: Any,
                                                         make_token: Any, app_client: Any
                                                         ) -> None:
    query = "{ territories(first: 50) { edges { node { code name kind } } } }"
    assert cost(query) == 1 + 1 + 50 * 4
    async with app_client(graphql_max_cost=300, graphql_max_cost_anonymous=100) as (_, gql):
        body = await gql(query)
        assert error_code(body) == "COST_LIMIT"
        assert body["errors"][0]["extensions"] == {"code": "COST_LIMIT", "cost": 202,
                                                   "maxCost": 100}
        signed_in = ok_data(await gql(query, token=await make_token("citizen")))
        assert len(signed_in["territories"]["edges"]) == 5
        # The same document is priced again with other variables (nothing is cached
        # per document): a small page passes where the default page did not.
        paged = "query($n: Int) { territories(first: $n) { edges { node { code } } } }"
        assert error_code(await gql(paged)) == "COST_LIMIT"
        assert len(ok_data(await gql(paged, {"n": 2}))["territories"]["edges"]) == 2


def test_cost_budgets_come_from_the_environment() -> None:
    settings = load_settings({"VMESTE_GRAPHQL_MAX_COST": "1234",
                              "VMESTE_GRAPHQL_MAX_COST_ANONYMOUS": "567"})
    assert (settings.graphql_max_cost, settings.graphql_max_cost_anonymous) == (1234, 567)
    with pytest.raises(SettingsError, match="VMESTE_GRAPHQL_MAX_COST"):
        load_settings({"VMESTE_GRAPHQL_MAX_COST": "0"})
    with pytest.raises(SettingsError, match="VMESTE_GRAPHQL_MAX_COST_ANONYMOUS"):
        load_settings({"VMESTE_GRAPHQL_MAX_COST": "100",
                       "VMESTE_GRAPHQL_MAX_COST_ANONYMOUS": "200"})


async def test_graphiql_introspection_passes_the_anonymous_budget(world: World, graphql: Any
                                                                  ) -> None:
    from graphql import get_introspection_query

    body = ok_data(await graphql(get_introspection_query(descriptions=True)))
    assert body["__schema"]["queryType"]["name"] == "Query"
