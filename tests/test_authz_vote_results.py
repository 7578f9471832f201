"""Every role × every vote results operation, as one table (the results part of
``test_authz_matrix.py``, whose completeness check counts this table too).

Targets: a closed vote of region A or B whose results are not published (the
organisers', within their territory), one of region A that is published (everyone's),
an open vote of region A with live results (everyone's while it runs), a draft with
live results in A or B (not running yet: the organisers' only), and a vote that does
not exist. Territory roles are held on region A.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.applications import Starlette
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.test_authz_matrix import (
    REFUSALS,
    _graphql_endpoint,
    _Request,
    assert_query_outcome,
    caller_token,
    parse_table,
)
from tests.vote_world import draft_vote, record_ballot
from tests.worlds import REGION_A, REGION_B, seed_world
from vmeste.platform.identity.authenticate import authenticate
from vmeste.platform.votes.models import Vote, VoteOption, VoteStatus
from vmeste.schema.votes import results as schema_results
from vmeste.testing import GraphQLClient

TABLE = """
voteResults         A            unauth forbid forbid forbid forbid forbid ok     ok     ok
voteResults         B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
voteResults         A-published  ok     ok     ok     ok     ok     ok     ok     ok     ok
voteResults         A-live       ok     ok     ok     ok     ok     ok     ok     ok     ok
voteResults         unknown      absent absent absent absent absent absent absent absent absent
voteResultsUpdated  A-live       ok     ok     ok     ok     ok     ok     ok     ok     ok
voteResultsUpdated  A            unauth forbid forbid forbid forbid forbid ok     ok     ok
voteResultsUpdated  B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
voteResultsUpdated  unknown      absent absent absent absent absent absent absent absent absent
"""

EXPECTED = parse_table(TABLE)

#: The contract's query, whole: within an anonymous caller's cost budget too.
Q_RESULTS = """query($id: ID!) { voteResults(voteId: $id) { totalBallots
  options { id title votes points } winners { id }
  breakdown(by: AGE_BAND) { group participants suppressed options { id votes } }
  chartUrl csvUrl pabulibUrl } }"""
S_RESULTS = "subscription($id: ID!) { voteResultsUpdated(voteId: $id) { totalBallots } }"

CASES = {"voteResults": ("query", Q_RESULTS), "voteResultsUpdated": ("subscription", S_RESULTS)}

#: What each target is, for each operation: (territory, status, live results).
TARGETS = {
    ("voteResults", "A"): (REGION_A, VoteStatus.CLOSED, False),
    ("voteResults", "B"): (REGION_B, VoteStatus.CLOSED, False),
    ("voteResults", "A-published"): (REGION_A, VoteStatus.RESULTS_PUBLISHED, False),
    ("voteResults", "A-live"): (REGION_A, VoteStatus.OPEN, True),
    ("voteResultsUpdated", "A-live"): (REGION_A, VoteStatus.OPEN, True),
    ("voteResultsUpdated", "A"): (REGION_A, VoteStatus.DRAFT, True),
    ("voteResultsUpdated", "B"): (REGION_B, VoteStatus.DRAFT, True),
}


async def vote_with_ballots(territory: str, status: VoteStatus, live: bool) -> Vote:
    vote = await draft_vote(territory=territory, status=status, live_results=live, options=2)
    first = await VoteOption.filter(vote_id=vote.id).order_by("position").first()
    assert first is not None
    for _ in range(2):
        await record_ballot(vote, [(first.id, 1)])
    return vote


async def open_stream(app: Starlette, token: str | None, document: str,
                      variables: dict[str, Any]) -> Any:
    """A subscription through the app's own schema and context, as the caller."""
    principal = await authenticate(token, app.state.settings, app.state.plugins)
    endpoint = _graphql_endpoint(app)
    context = await endpoint.get_context(_Request(principal), None)
    stream = await endpoint.schema.subscribe(document, context_value=context,
                                             variable_values=variables)
    assert hasattr(stream, "__anext__"), stream
    return stream


async def subscribe(app: Starlette, token: str | None, document: str,
                    variables: dict[str, Any]) -> tuple[str | None, Any]:
    """The first answer of a subscription: (error code, data)."""
    stream = await open_stream(app, token, document, variables)
    try:
        result = await asyncio.wait_for(stream.__anext__(), timeout=5)
    finally:
        await stream.aclose()
    if result.errors:
        return result.errors[0].extensions.get("code"), None
    return None, result.data


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_vote_results_authorisation_matrix(
        operation: str, target: str, db: Any, make_token: Any,
) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        kind, document = CASES[operation]
        async with in_transaction():
            await seed_world()
            _, token = await caller_token(make_token, role)
        if target == "unknown":
            vote_id = 424242
        else:
            vote_id = (await vote_with_ballots(*TARGETS[(operation, target)])).id
        variables = {"id": relay.to_base64("Vote", vote_id)}
        if kind == "query":
            body = await graphql(document, variables, token=token)
            assert_query_outcome(body, operation, expected,
                                 lambda result: result is not None and result["totalBallots"] == 2)
            return
        code, data = await subscribe(vmeste_app, token, document, variables)
        if expected in REFUSALS:
            assert code == REFUSALS[expected], (operation, target, role, code)
        else:
            assert code is None and data[operation]["totalBallots"] == 2

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)


async def test_urls_are_given_once_published(world: Any, graphql: Any) -> None:
    closed = await vote_with_ballots(REGION_A, VoteStatus.RESULTS_PUBLISHED, False)
    body = await graphql(
        "query($id: ID!) { voteResults(voteId: $id) { chartUrl csvUrl pabulibUrl "
        "age: chartUrl(by: AGE_BAND) } }", {"id": relay.to_base64("Vote", closed.id)})
    assert body["data"]["voteResults"] == {
        "chartUrl": f"/votes/{closed.id}/results.svg",
        "csvUrl": f"/votes/{closed.id}/results.csv",
        "pabulibUrl": f"/votes/{closed.id}/results.pb",
        "age": f"/votes/{closed.id}/breakdown/age_band.svg"}
    live = await vote_with_ballots(REGION_A, VoteStatus.OPEN, True)
    body = await graphql("query($id: ID!) { voteResults(voteId: $id) { chartUrl csvUrl "
                         "winners { id } } }", {"id": relay.to_base64("Vote", live.id)})
    first = await VoteOption.filter(vote_id=live.id).order_by("position").first()
    assert first is not None
    assert body["data"]["voteResults"] == {
        "chartUrl": None, "csvUrl": None,
        "winners": [{"id": relay.to_base64("VoteOption", first.id)}]}
    # Not a vote's id: a typed error, not a database one.
    refused = await graphql("{ voteResults(voteId: \"VGVycml0b3J5OjE=\") { totalBallots } }")
    assert refused["errors"][0]["extensions"]["code"] == "INVALID"


async def test_a_vote_without_live_results_has_no_subscription(world: Any, vmeste_app: Starlette,
                                                               make_token: Any) -> None:
    vote = await vote_with_ballots(REGION_A, VoteStatus.RESULTS_PUBLISHED, False)
    code, _ = await subscribe(vmeste_app, await make_token("citizen"), S_RESULTS,
                              {"id": relay.to_base64("Vote", vote.id)})
    assert code == "INVALID"


async def test_live_results_come_again_when_a_ballot_is_counted(
        world: Any, vmeste_app: Starlette, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema_results, "POLL_SECONDS", 0.01)
    vote = await vote_with_ballots(REGION_A, VoteStatus.OPEN, True)
    stream = await open_stream(vmeste_app, None, S_RESULTS,
                               {"id": relay.to_base64("Vote", vote.id)})
    try:
        first = await asyncio.wait_for(stream.__anext__(), timeout=5)
        assert first.data == {"voteResultsUpdated": {"totalBallots": 2}}
        following = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.05)
        assert not following.done()  # nothing changed: nothing sent
        option = await VoteOption.filter(vote_id=vote.id).order_by("position").first()
        assert option is not None
        await record_ballot(vote, [(option.id, 1)])
        second = await asyncio.wait_for(following, timeout=5)
        assert second.data == {"voteResultsUpdated": {"totalBallots": 3}}
    finally:
        await stream.aclose()
