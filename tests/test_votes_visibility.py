"""Who sees which vote (drafts and templates are their organisers'), one rule for a
query and for a row already read, through the resolvers and the compiled read plans
alike; and who reads results before they are published."""

from __future__ import annotations

from typing import Any

from tests.test_votes_lifecycle import admin_a, admin_b, made, step
from tests.worlds import COUNTRY, MUNICIPALITY_A, MUNICIPALITY_B, REGION_A, REGION_B, World
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import ANONYMOUS, SYSTEM, Grant, Principal
from vmeste.platform.votes import access
from vmeste.platform.votes.models import Vote, VoteStatus
from vmeste.testing import GraphQLClient, TokenFactory

__all__ = ["admin_a", "admin_b"]  # the fixtures

Q_VOTE = "query($id: ID!) { vote(id: $id) { id status title } }"
Q_VOTES = """query($f: VoteFilter) { votes(filter: $f, first: 50) {
  totalCount edges { node { id title } } } }"""


async def _sees(graphql: GraphQLClient, token: str | None, vote_id: str) -> bool:
    body = await graphql(Q_VOTE, {"id": vote_id}, token=token)
    assert "errors" not in body, body
    listed = await graphql(Q_VOTES, None, token=token)
    ids = {edge["node"]["id"] for edge in listed["data"]["votes"]["edges"]}
    assert (body["data"]["vote"] is not None) == (vote_id in ids)
    return vote_id in ids


async def test_drafts_are_the_organisers_and_auditors_open_votes_everyone_s(
        graphql: GraphQLClient, admin_a: str, admin_b: str, make_token: TokenFactory) -> None:
    vote = await made(graphql, admin_a)
    auditor = await make_token("auditor", territory=REGION_A)
    citizen = await make_token("citizen")
    federal = await make_token("federal_configurator", territory=COUNTRY)
    assert [await _sees(graphql, t, vote["id"])
            for t in (None, citizen, admin_b, admin_a, auditor, federal)] == [
        False, False, False, True, True, True]
    await step(graphql, admin_a, "openVote", vote["id"])
    assert [await _sees(graphql, t, vote["id"]) for t in (None, citizen, admin_b)] == [
        True, True, True]


async def test_templates_are_seen_by_the_organisers_below_them(
        graphql: GraphQLClient, admin_a: str, admin_b: str, make_token: TokenFactory) -> None:
    federal = await make_token("federal_configurator", territory=COUNTRY)
    national = await made(graphql, federal, territoryCode=COUNTRY, isTemplate=True, options=[])
    regional = await made(graphql, admin_a, isTemplate=True, options=[])
    citizen = await make_token("citizen")
    assert [await _sees(graphql, t, national["id"]) for t in (None, citizen, admin_a, admin_b)] == [
        False, False, True, True]
    assert [await _sees(graphql, t, regional["id"]) for t in (admin_a, admin_b, federal)] == [
        True, False, True]
    body = await graphql(Q_VOTES, {"f": {"isTemplate": True, "withinCode": REGION_A}},
                         token=admin_a)
    assert [e["node"]["id"] for e in body["data"]["votes"]["edges"]] == [regional["id"]]


async def test_the_list_filters(graphql: GraphQLClient, admin_a: str,
                                make_token: TokenFactory) -> None:
    federal = await make_token("federal_configurator", territory=COUNTRY)
    in_region = await made(graphql, federal)
    in_city = await made(graphql, federal, territoryCode=MUNICIPALITY_A)
    elsewhere = await made(graphql, federal, territoryCode=MUNICIPALITY_B)
    await step(graphql, federal, "openVote", in_city["id"])

    async def listed(**f: Any) -> list[str]:
        body = await graphql(Q_VOTES, {"f": f}, token=federal)
        return [e["node"]["id"] for e in body["data"]["votes"]["edges"]]

    assert await listed(territoryCode=REGION_A) == [in_region["id"]]
    assert await listed(withinCode=REGION_A) == [in_region["id"], in_city["id"]]
    assert await listed(withinCode="00000000") == []
    assert await listed(status=["OPEN"]) == [in_city["id"]]
    assert await listed(status=["DRAFT"], isTemplate=False) == [in_region["id"],
                                                                elsewhere["id"]]


async def test_node_finds_votes_and_options_the_caller_may_see(
        graphql: GraphQLClient, admin_a: str) -> None:
    vote = await made(graphql, admin_a)
    option = vote["options"][0]["id"]
    query = "query($id: ID!) { node(id: $id) { id } }"
    for node_id in (vote["id"], option):
        assert (await graphql(query, {"id": node_id}, token=admin_a))["data"]["node"] == {
            "id": node_id}
        assert (await graphql(query, {"id": node_id}))["data"]["node"] is None
    await step(graphql, admin_a, "openVote", vote["id"])
    assert (await graphql(query, {"id": option}))["data"]["node"] == {"id": option}


def _principal(role: Role, path: str) -> Principal:
    return Principal(user=None, grants=(Grant(role, territory_path=path),))


async def test_the_row_rule_agrees_with_the_query_rule(world: World) -> None:
    """``may_see`` (a vote already read) and ``visible_votes`` (a query) are one rule."""
    country, region_a = "RU", f"RU/{REGION_A}"
    for path, template in ((country, True), (region_a, True), (region_a, False),
                           (f"RU/{REGION_B}", False), (f"{region_a}/{MUNICIPALITY_A}", True)):
        for status in VoteStatus:
            territory = path.rsplit("/", 1)[-1]
            await Vote.create(title=f"{path} {status}", territory_id=world.territories[territory],
                              territory_path=path, is_template=template, status=status,
                              method="single", created_by="system")
    callers = [ANONYMOUS, SYSTEM, _principal(Role.REGIONAL_ADMIN, region_a),
               _principal(Role.AUDITOR, f"{region_a}/{MUNICIPALITY_A}"),
               _principal(Role.FEDERAL_CONFIGURATOR, country),
               _principal(Role.MODERATOR, region_a)]
    votes = await Vote.all()
    for caller in callers:
        listed = set(await Vote.filter(access.visible_votes(caller)).values_list("id", flat=True))
        assert listed == {v.id for v in votes if access.may_see(caller, v)}, caller
    anonymous = {v.id for v in votes if access.may_see(ANONYMOUS, v)}
    assert anonymous == {v.id for v in votes if not v.is_template and v.status != "draft"}


async def test_results_are_read_by_organisers_until_published(world: World) -> None:
    vote = Vote(territory_path=f"RU/{REGION_A}", status=VoteStatus.CLOSED)
    organiser = _principal(Role.REGIONAL_ADMIN, f"RU/{REGION_A}")
    auditor = _principal(Role.AUDITOR, f"RU/{REGION_A}")
    other = _principal(Role.REGIONAL_ADMIN, f"RU/{REGION_B}")
    assert [access.may_read_results(p, vote) for p in (ANONYMOUS, other, organiser, auditor)] == [
        False, False, True, True]
    vote.status = VoteStatus.RESULTS_PUBLISHED
    assert access.may_read_results(ANONYMOUS, vote) and access.may_read_results(other, vote)


Q_COMPILED = """query($id: ID!) {
  vote(id: $id) { id title status winnerRule minBudgetShare closesAt territory { code } }
  votes(first: 10) { totalCount pageInfo { hasNextPage } edges { cursor node {
    id title status isTemplate territory { code name } } } } }"""


async def test_reads_are_compiled_and_agree_with_the_resolvers(
        app_client: Any, world: World, make_token: TokenFactory) -> None:
    """The plans read what the resolvers read, for an organiser (drafts too) and for
    anyone; a selection the plans cannot answer (the options) goes to the resolvers."""
    admin = await make_token("regional_admin", territory=REGION_A)
    answers: dict[bool, list[dict[str, Any]]] = {}
    for compiled in (True, False):
        async with app_client(compiled_reads=compiled) as (app, graphql):
            if compiled:
                draft = await made(graphql, admin, closesAt="2030-06-01T00:00:00+00:00")
                shown = await made(graphql, admin, territoryCode=MUNICIPALITY_A)
                await step(graphql, admin, "openVote", shown["id"])
            stats = app.state.reads.stats
            before = stats.compiled, stats.interpreted
            answers[compiled] = [await graphql(Q_COMPILED, {"id": draft["id"]}, token=t)
                                 for t in (admin, None)]
            read = stats.compiled - before[0], stats.interpreted - before[1]
            assert read == ((2, 0) if compiled else (0, 2))
            with_options = "query($id: ID!) { vote(id: $id) { id options { title } } }"
            assert (await graphql(with_options, {"id": shown["id"]}))["data"]["vote"][
                "options"] == [{"title": "Сквер 1"}, {"title": "Сквер 2"}]
    assert answers[True] == answers[False]
    for_admin, for_anyone = answers[True]
    assert for_admin["data"]["vote"]["closesAt"] == "2030-06-01T00:00:00+00:00"
    assert for_admin["data"]["votes"]["totalCount"] == 2
    assert for_anyone["data"]["vote"] is None
    assert [e["node"]["id"] for e in for_anyone["data"]["votes"]["edges"]] == [shown["id"]]
