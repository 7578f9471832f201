"""Paper and assisted ballots recorded by operators: who may record them, for whom, and
that a person's ballot is one whichever channel came first."""

from __future__ import annotations

from typing import Any

import pytest_asyncio

from tests.ballot_world import (
    CAST,
    MINE,
    PAPER,
    cast_input,
    field_codes,
    open_box,
    option_ids,
    paper_input,
    payload_of,
)
from tests.ballot_world import vote_id as gid
from tests.vote_world import draft_vote, voter
from tests.worlds import (
    MUNICIPALITY_A,
    ORG_A,
    ORG_A_SCHOOL,
    ORG_B,
    REGION_A,
    REGION_B,
    add_territory,
)
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.participation import tallies
from vmeste.platform.reference.models import TerritoryKind
from vmeste.platform.votes import receipts
from vmeste.platform.votes.models import Ballot, VoteParticipation, VoteStatus

NEIGHBOUR = "33702000"


@pytest_asyncio.fixture
async def box(world: Any, vmeste_app: Any, clock: Any) -> Any:
    return open_box(vmeste_app, clock)


async def record(graphql: Any, token: str, variables: dict[str, Any]) -> dict[str, Any]:
    return await payload_of(graphql, PAPER, variables, token)


async def test_an_operator_records_a_paper_ballot_with_a_receipt(box, db, graphql, make_token):
    vote = await draft_vote(allow_revote=True)
    first, second, _ = await option_ids(vote)
    citizen = await voter(db, "babushka", gender="female")
    operator = await make_token("operator", org=ORG_A_SCHOOL, sub="op-school")
    audited = await AuditEvent.all().count()
    payload = await record(graphql, operator, paper_input(vote, "babushka", second))
    assert payload["userErrors"] == []
    ballot = await Ballot.get(id=payload["ballot"]["id"])
    assert ballot.receipt == payload["ballot"]["receipt"] == receipts.receipt_of(
        vote.id, [(second, 1)], ballot.nonce)
    # Never replaced, so never linked to the person, even where revoting is allowed.
    assert (ballot.channel, ballot.voter_key, ballot.replay_key) == ("paper", None, None)
    participation = await VoteParticipation.get(vote_id=vote.id)
    assert (participation.channel, participation.recorded_by, participation.gender) == (
        "paper", f"{DEV_ISSUER}:op-school", "female")
    [event] = await AuditEvent.all().order_by("-id").limit(1)
    assert await AuditEvent.all().count() == audited + 1
    assert (event.actor, event.action, event.object_type, event.object_id) == (
        f"{DEV_ISSUER}:op-school", "vote.paper_ballot", "vote", str(vote.id))
    # The audit says who recorded a ballot in which vote: not for whom, not what.
    assert (event.before, event.after, event.scope_path) == (
        None, {"channel": "paper"}, vote.territory_path)
    assert (await tallies.totals("vote", vote.id))[("", str(second))].count == 1
    # The person cannot then vote online, revoting or not.
    again = await graphql(CAST, cast_input(vote, first), token=citizen)
    assert [e["code"] for e in again["data"]["castBallot"]["userErrors"]] == ["ALREADY_VOTED"]
    mine = await graphql(MINE, {"v": gid(vote)}, token=citizen)
    assert mine["data"]["myVoteParticipation"] == {"voted": True, "channel": "PAPER",
                                                   "canRevote": False}
    assert await Ballot.filter(vote_id=vote.id).count() == 1


async def test_no_paper_ballot_after_an_online_one(box, db, graphql, make_token):
    vote = await draft_vote(allow_revote=True)
    first, *_ = await option_ids(vote)
    citizen = await voter(db, "online-first")
    assert (await graphql(CAST, cast_input(vote, first), token=citizen)
            )["data"]["castBallot"]["userErrors"] == []
    operator = await make_token("operator", org=ORG_A_SCHOOL, sub="op-school")
    audited = await AuditEvent.all().count()
    payload = await record(graphql, operator, paper_input(vote, "online-first", first))
    assert field_codes(payload) == [("voterSubject", "ALREADY_VOTED")]
    assert await AuditEvent.all().count() == audited
    assert await Ballot.filter(vote_id=vote.id, channel="paper").count() == 0


async def test_the_voter_must_be_known_and_eligible(box, db, graphql, make_token):
    vote = await draft_vote()
    first, *_ = await option_ids(vote)
    operator = await make_token("operator", org=ORG_A_SCHOOL, sub="op-school")
    assert field_codes(await record(graphql, operator, paper_input(vote, "nobody", first))) == [
        ("voterSubject", "NOT_FOUND")]
    await voter(db, "visitor", oktmo=REGION_B)
    assert field_codes(await record(graphql, operator, paper_input(vote, "visitor", first))) == [
        (None, "NOT_ELIGIBLE")]
    assert field_codes(await record(graphql, operator, paper_input(vote, "op-school", first))) == [
        ("voterSubject", "INVALID")]
    assert not await VoteParticipation.exists()


async def test_the_issuer_defaults_to_the_operators(box, db, graphql, make_token):
    vote = await draft_vote()
    first, *_ = await option_ids(vote)
    await voter(db, "dedushka")
    operator = await make_token("operator", org=ORG_A_SCHOOL, sub="op-school")
    variables = paper_input(vote, "dedushka", first)
    del variables["input"]["voterIssuer"]
    assert (await record(graphql, operator, variables))["userErrors"] == []


async def test_who_may_record_paper_ballots(box, db, graphql, make_token):
    regional = await draft_vote(territory=REGION_A)
    municipal = await draft_vote(territory=MUNICIPALITY_A)
    await voter(db, "resident")
    tokens = {
        "school operator": await make_token("operator", org=ORG_A_SCHOOL, sub="op-school"),
        "ministry operator": await make_token("operator", org=ORG_A, sub="op-ministry"),
        "other region's operator": await make_token("operator", org=ORG_B, sub="op-b"),
        "school executor": await make_token("executor", org=ORG_A_SCHOOL, sub="ex-school"),
        "regional admin": await make_token("regional_admin", territory=REGION_A, sub="adm-a"),
        "other region's admin": await make_token("regional_admin", territory=REGION_B,
                                                 sub="adm-b"),
        "citizen": await voter(db, "neighbour"),
    }
    # The school lies inside the municipality and the region; the regional ministry
    # lies inside the region but not inside one of its municipalities.
    allowed = {(regional.id, "school operator"), (regional.id, "ministry operator"),
               (regional.id, "regional admin"), (municipal.id, "school operator"),
               (municipal.id, "regional admin")}
    for vote in (regional, municipal):
        first, *_ = await option_ids(vote)
        for who, token in tokens.items():
            payload = await record(graphql, token, paper_input(vote, "resident", first))
            refused = [e["code"] for e in payload["userErrors"]]
            if (vote.id, who) in allowed:
                assert refused == [], who
                await VoteParticipation.filter(vote_id=vote.id).delete()
                await Ballot.filter(vote_id=vote.id).delete()
            else:
                assert refused == ["FORBIDDEN"], (vote.territory_path, who)


async def test_no_paper_ballot_outside_the_voting_window(box, db, graphql, make_token):
    vote = await draft_vote(status=VoteStatus.CLOSED)
    first, *_ = await option_ids(vote)
    await voter(db, "late")
    operator = await make_token("operator", org=ORG_A_SCHOOL, sub="op-school")
    assert field_codes(await record(graphql, operator, paper_input(vote, "late", first))) == [
        ("voteId", "VOTE_NOT_OPEN")]


async def test_the_method_checks_a_paper_ballot_too(box, db, graphql, make_token):
    vote = await draft_vote()
    first, second, _ = await option_ids(vote)
    await voter(db, "spoilt")
    operator = await make_token("operator", org=ORG_A_SCHOOL, sub="op-school")
    payload = await record(graphql, operator, paper_input(vote, "spoilt", first, second))
    assert field_codes(payload) == [("choices", "TOO_MANY_CHOICES")]
    assert await VoteParticipation.filter(vote_id=vote.id).count() == 0


async def test_an_operator_records_only_the_residents_of_their_organization(
        box, db, graphql, make_token):
    """A regional vote: the city school's operator records the city's residents, not a
    neighbouring municipality's; the regional ministry's and the regional
    administrator record both."""
    await add_territory(NEIGHBOUR, TerritoryKind.MUNICIPALITY, REGION_A, "Слободской")
    vote = await draft_vote(territory=REGION_A)
    first, *_ = await option_ids(vote)
    await voter(db, "townsman")
    await voter(db, "neighbour", oktmo=NEIGHBOUR)
    school = await make_token("operator", org=ORG_A_SCHOOL, sub="op-school")
    payload = await record(graphql, school, paper_input(vote, "neighbour", first))
    assert field_codes(payload) == [("voterSubject", "FORBIDDEN")]
    assert not await VoteParticipation.exists() and not await Ballot.exists()
    assert (await record(graphql, school, paper_input(vote, "townsman", first))
            )["userErrors"] == []
    ministry = await make_token("operator", org=ORG_A, sub="op-ministry")
    assert (await record(graphql, ministry, paper_input(vote, "neighbour", first))
            )["userErrors"] == []
    await Ballot.filter(vote_id=vote.id).delete()
    await VoteParticipation.filter(vote_id=vote.id).delete()
    admin = await make_token("regional_admin", territory=REGION_A, sub="adm-a")
    assert (await record(graphql, admin, paper_input(vote, "neighbour", first))
            )["userErrors"] == []
