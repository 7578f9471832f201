"""Every role × every operation of a vote's lifecycle, as one table; the authorisation
meta-test in ``test_authz_matrix.py`` counts it with the others.

Votes past their draft are public; a draft is seen by the organisers (regional
administrators of its territory, federal configurators) and the auditors over it, and
only organisers create and run votes. The target is a vote in region A (in scope of the
scoped callers) or in region B, in the status the operation starts from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.test_authz_matrix import (
    REFUSALS,
    assert_query_outcome,
    caller_token,
    parse_table,
    result_of,
)
from tests.vote_world import draft_vote
from tests.worlds import REGION_A, REGION_B, seed_world, user_error_codes
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.votes.models import Vote, VoteStatus
from vmeste.testing import GraphQLClient

TABLE = """
vote                A        empty  empty  empty  empty  empty  empty  ok     ok     ok
vote                B        empty  empty  empty  empty  empty  empty  empty  ok     empty
vote                A-open   ok     ok     ok     ok     ok     ok     ok     ok     ok
votes               A        empty  empty  empty  empty  empty  empty  ok     ok     ok
votes               B        empty  empty  empty  empty  empty  empty  empty  ok     empty
votes               A-open   ok     ok     ok     ok     ok     ok     ok     ok     ok
createVote          A        unauth forbid forbid forbid forbid forbid ok     ok     forbid
createVote          B        unauth forbid forbid forbid forbid forbid forbid ok     forbid
updateVote          A        unauth forbid forbid forbid forbid forbid ok     ok     forbid
updateVote          B        unauth forbid forbid forbid forbid forbid forbid ok     forbid
openVote            A        unauth forbid forbid forbid forbid forbid ok     ok     forbid
openVote            B        unauth forbid forbid forbid forbid forbid forbid ok     forbid
closeVote           A        unauth forbid forbid forbid forbid forbid ok     ok     forbid
closeVote           B        unauth forbid forbid forbid forbid forbid forbid ok     forbid
publishVoteResults  A        unauth forbid forbid forbid forbid forbid ok     ok     forbid
publishVoteResults  B        unauth forbid forbid forbid forbid forbid forbid ok     forbid
"""

EXPECTED = parse_table(TABLE)


@dataclass(frozen=True)
class Case:
    kind: str
    document: str
    #: The status the target vote is in before the operation (None: no target).
    status: VoteStatus | None
    #: The status an allowed mutation leaves it in.
    after: VoteStatus | None = None


STEP = """mutation($id: ID!) { %s(id: $id) { vote { id status } userErrors { code } } }"""
CASES: dict[str, Case] = {
    "vote": Case("query", "query($id: ID!) { vote(id: $id) { id } }", VoteStatus.DRAFT),
    "votes": Case("query", "{ votes(first: 10) { edges { node { id } } } }", VoteStatus.DRAFT),
    "createVote": Case("mutation", """mutation($code: String!) { createVote(input: {
        title: "Благоустройство", territoryCode: $code, method: SINGLE,
        options: [{title: "Сквер"}, {title: "Парк"}]}) {
        vote { id status } userErrors { code } } }""", None),
    "updateVote": Case("mutation", """mutation($id: ID!) { updateVote(input: {
        id: $id, title: "Новое имя"}) { vote { id status } userErrors { code } } }""",
                       VoteStatus.DRAFT, VoteStatus.DRAFT),
    "openVote": Case("mutation", STEP % "openVote", VoteStatus.DRAFT, VoteStatus.OPEN),
    "closeVote": Case("mutation", STEP % "closeVote", VoteStatus.OPEN, VoteStatus.CLOSED),
    "publishVoteResults": Case("mutation", STEP % "publishVoteResults", VoteStatus.CLOSED,
                               VoteStatus.RESULTS_PUBLISHED),
}


def _shown(result: Any, vote_id: str) -> bool:
    if result is None:
        return False
    if "edges" in result:
        return vote_id in {edge["node"]["id"] for edge in result["edges"]}
    return bool(result["id"] == vote_id)


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_votes_authorisation_matrix(
        operation: str, target: str, db: Any, make_token: Any,
) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        region = REGION_A if target.startswith("A") else REGION_B
        async with in_transaction():
            await seed_world()
            _, token = await caller_token(make_token, role)
            status = VoteStatus.OPEN if target.endswith("-open") else case.status
            vote = None if status is None else await draft_vote(territory=region, options=2,
                                                                status=status)
        vote_id = relay.to_base64("Vote", vote.id) if vote is not None else ""
        variables = {"id": vote_id} if vote is not None else {"code": region}
        events_before = await AuditEvent.all().count()
        body = await graphql(case.document, variables, token=token)
        if case.kind == "query":
            assert_query_outcome(body, operation, expected, lambda result: _shown(result, vote_id))
            return
        assert "errors" not in body, body
        payload = result_of(body, operation)
        if expected in REFUSALS:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            assert payload["vote"] is None
            assert await AuditEvent.all().count() == events_before
            if vote is not None:
                assert (await Vote.get(id=vote.id)).status == case.status
            else:
                assert not await Vote.exists()
            return
        assert payload["userErrors"] == [] and payload["vote"], payload
        assert await AuditEvent.all().count() == events_before + 1
        row = await Vote.get(id=vote.id) if vote is not None else await Vote.get()
        assert row.status == (case.after or VoteStatus.DRAFT)

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
