"""Every role × every ballots operation, as one table; the authorisation meta-test in
``test_authz_matrix.py`` counts it with the others.

Every caller lives in municipality A (region A), so any signed-in person may cast a
ballot in region A's vote: casting is a resident's right, not a role's, and it leaves
no audit record. A paper ballot is recorded by an operator of an organization inside
the vote's territory (the caller's is region A's ministry, which lies inside region A
but not inside its municipality) or by a regional administrator covering the vote,
and is audited. Receipts are checked by anyone; one's participation by oneself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.ballot_world import (
    CAST,
    MINE,
    PAPER,
    VERIFY,
    cast_input,
    option_ids,
    paper_input,
)
from tests.ballot_world import vote_id as gid
from tests.test_authz_matrix import (
    CALLER_SCOPES,
    REFUSALS,
    assert_query_outcome,
    parse_table,
    result_of,
)
from tests.vote_world import draft_vote, record_ballot, voter
from tests.worlds import (
    MUNICIPALITY_A,
    MUNICIPALITY_B,
    REGION_A,
    REGION_B,
    seed_world,
    user_error_codes,
)
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.identity.dev_tokens import DevProfile, issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.votes.closing import close_vote
from vmeste.platform.votes.models import Ballot, Vote, VoteParticipation
from vmeste.testing import GraphQLClient

TABLE = """
castBallot           -            unauth ok     ok     ok     ok     ok     ok     ok     ok
recordPaperBallot    A            unauth forbid ok     forbid forbid forbid ok     ok     forbid
recordPaperBallot    A-municipal  unauth forbid forbid forbid forbid forbid ok     ok     forbid
recordPaperBallot    B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
verifyReceipt        -            ok     ok     ok     ok     ok     ok     ok     ok     ok
myVoteParticipation  -            unauth ok     ok     ok     ok     ok     ok     ok     ok
"""

EXPECTED = parse_table(TABLE)
CASES = {"castBallot": "mutation", "recordPaperBallot": "mutation", "verifyReceipt": "query",
         "myVoteParticipation": "query"}
#: The vote of each target, and the resident whose paper ballot is recorded there.
TARGETS = {"-": (REGION_A, MUNICIPALITY_A), "A": (REGION_A, MUNICIPALITY_A),
           "A-municipal": (MUNICIPALITY_A, MUNICIPALITY_A), "B": (REGION_B, MUNICIPALITY_B)}
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


async def resident_caller(settings: Any, role: str) -> str | None:
    """The caller's token, with the role's scope of the main matrix and a home in
    municipality A."""
    if role == "anonymous":
        return None
    scope = CALLER_SCOPES[role]
    return await issue_dev_token(settings, Role(role), organization_ogrn=scope.get("org"),
                                 territory_code=scope.get("territory"),
                                 subject=f"caller-{role}",
                                 profile=DevProfile(address_oktmo=MUNICIPALITY_A))


async def variables_for(operation: str, target: str, settings: Any) -> dict[str, Any]:
    territory, home = TARGETS[target]
    vote = await draft_vote(territory=territory)
    first, *_ = await option_ids(vote)
    if operation == "castBallot":
        return cast_input(vote, first)
    if operation == "recordPaperBallot":
        await voter(settings, "paper-voter", oktmo=home)
        return paper_input(vote, "paper-voter", first)
    if operation == "verifyReceipt":
        ballot = await record_ballot(vote, [(first, 1)])
        await close_vote(await Vote.get(id=vote.id), "system", NOW)
        return {"v": gid(vote), "r": ballot.receipt}
    return {"v": gid(vote)}


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_ballots_authorisation_matrix(operation: str, target: str, db: Any) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        async with in_transaction():
            await seed_world()
            token = await resident_caller(db, role)
            variables = await variables_for(operation, target, db)
        document = {"castBallot": CAST, "recordPaperBallot": PAPER, "verifyReceipt": VERIFY,
                    "myVoteParticipation": MINE}[operation]
        events_before = await AuditEvent.all().count()
        ballots_before = await Ballot.all().count()
        body = await graphql(document, variables, token=token)
        if CASES[operation] == "query":
            assert_query_outcome(body, operation, expected,
                                 lambda result: result is not None and result.get(
                                     "included", True) is True)
            return
        assert "errors" not in body, body
        payload = result_of(body, operation)
        events_after = await AuditEvent.all().count()
        if expected in REFUSALS:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            assert payload["ballot"] is None
            assert not await VoteParticipation.exists()
            assert events_after == events_before, "a refused ballot must not be audited"
            return
        assert payload["userErrors"] == [] and payload["ballot"]["receipt"], payload
        assert await Ballot.all().count() == ballots_before + 1
        # A paper ballot is the operator's audited act; an online one leaves no record.
        assert events_after == events_before + (operation == "recordPaperBallot")

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
