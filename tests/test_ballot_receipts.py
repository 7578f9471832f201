"""Receipts on the bulletin board (their proofs verify against the sealed root with
nothing but :func:`vmeste.platform.votes.merkle.verify`) and the recount: the ballot
table, counted again, gives the published counters in every breakdown."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest_asyncio
from strawberry import relay

from tests.ballot_world import (
    CAST,
    NOW,
    PAPER,
    VERIFY,
    cast_input,
    open_box,
    option_ids,
    paper_input,
)
from tests.ballot_world import vote_id as gid
from tests.vote_world import draft_vote, voter
from tests.worlds import ORG_A_SCHOOL, error_code
from vmeste.platform.participation import tallies
from vmeste.platform.participation.tallies import DIMENSIONS
from vmeste.platform.votes import merkle
from vmeste.platform.votes.closing import close_vote
from vmeste.platform.votes.counting import ballot_counts, ballot_groups
from vmeste.platform.votes.models import Ballot, Vote, VoteQuarantine


@pytest_asyncio.fixture
async def box(world: Any, vmeste_app: Any, clock: Any) -> Any:
    return open_box(vmeste_app, clock)


async def cast_all(graphql: Any, db: Any, make_token: Any, vote: Vote) -> dict[str, str]:
    """Ballots of six people: five online (three of them replacing theirs, once or
    twice) and one on paper; every receipt handed out → whose it was."""
    options = await option_ids(vote)
    cast: dict[str, str] = {}
    for n, (gender, birth) in enumerate([("male", 1950), ("female", 1990), ("female", 2000),
                                         ("male", 1980), ("female", 1970)]):
        token = await voter(db, f"v{n}", gender=gender,
                            birthdate=date(birth, 3, 1))
        for attempt in range(1 + n % 3):  # v1, v4 replace once, v2 twice
            body = await graphql(CAST, cast_input(vote, options[(n + attempt) % 3]),
                                 token=token)
            ballot = body["data"]["castBallot"]["ballot"]
            cast[ballot["receipt"]] = f"v{n}#{attempt}"
    await voter(db, "on-paper")
    operator = await make_token("operator", org=ORG_A_SCHOOL, sub="op")
    body = await graphql(PAPER, paper_input(vote, "on-paper", options[2]), token=operator)
    cast[body["data"]["recordPaperBallot"]["ballot"]["receipt"]] = "on-paper"
    return cast


async def verify(graphql: Any, vote: Vote, receipt: str) -> dict[str, Any]:
    body = await graphql(VERIFY, {"v": gid(vote), "r": receipt})
    assert "errors" not in body, body
    answer: dict[str, Any] = body["data"]["verifyReceipt"]
    return answer


async def test_receipts_verify_against_the_sealed_board(box, db, graphql, make_token):
    vote = await draft_vote(allow_revote=True)
    cast = await cast_all(graphql, db, make_token, vote)
    standing = set(await Ballot.filter(vote_id=vote.id).values_list("receipt", flat=True))
    assert len(standing) == 6 and standing < set(cast)
    # No board before closing.
    some = next(iter(standing))
    assert await verify(graphql, vote, some) == {"included": False, "root": None,
                                                 "proof": [], "index": None}
    closed = await close_vote(await Vote.get(id=vote.id), "system", NOW + timedelta(days=1))
    for receipt in cast:
        answer = await verify(graphql, vote, receipt.upper())
        assert answer["root"] == closed.board_root
        if receipt not in standing:  # replaced by a revote: not on the board
            assert answer["included"] is False and answer["proof"] == []
            continue
        steps = [merkle.Step(s["hash"], merkle.Side(s["side"].lower()))
                 for s in answer["proof"]]
        assert answer["included"] and merkle.verify(receipt, steps, closed.board_root)
        assert answer["index"] == sorted(standing).index(receipt)
        # The proof is of this receipt, not of any.
        assert not merkle.verify("0" * 64, steps, closed.board_root)


async def test_a_quarantined_ballot_is_not_on_the_board(box, db, graphql, make_token):
    vote = await draft_vote(allow_revote=True)
    cast = await cast_all(graphql, db, make_token, vote)
    held_receipt = await Ballot.filter(vote_id=vote.id).first().values_list("receipt", flat=True)
    quarantine = await VoteQuarantine.create(
        vote=vote, territory_id=vote.territory_id, territory_path=vote.territory_path,
        starts_at=NOW, ends_at=NOW, reason="всплеск", created_by="system")
    await Ballot.filter(receipt=held_receipt).update(quarantine_id=quarantine.id)
    await close_vote(await Vote.get(id=vote.id), "system", NOW)
    assert (await verify(graphql, vote, held_receipt))["included"] is False
    standing = await Ballot.filter(vote_id=vote.id, quarantine_id=None).values_list(
        "receipt", flat=True)
    assert len(standing) == 5 and len(cast) == 10
    assert all([(await verify(graphql, vote, r))["included"] for r in standing])


async def test_a_receipt_is_checked_for_its_shape_and_its_vote(box, graphql):
    vote = await draft_vote()
    for bad in ("xyz", "0" * 63, "g" * 64):
        body = await graphql(VERIFY, {"v": gid(vote), "r": bad})
        assert error_code(body) == "INVALID" and body["data"] is None
    body = await graphql(VERIFY, {"v": relay.to_base64("Vote", 10**6), "r": "0" * 64})
    assert error_code(body) == "NOT_FOUND"


async def test_the_recount_equals_the_counters(box, db, graphql, make_token):
    vote = await draft_vote(allow_revote=True)
    await cast_all(graphql, db, make_token, vote)
    ballots = await Ballot.filter(vote_id=vote.id)
    for dimension in ("", *DIMENSIONS):
        recount: Counter[tuple[str, str]] = Counter()
        points: Counter[tuple[str, str]] = Counter()
        for ballot in ballots:
            groups = ballot_groups(ballot.age_band, ballot.gender, ballot.territory_group)
            group = groups[dimension] if dimension else ""
            for count in ballot_counts(ballot.choices):
                recount[(group, count.key)] += count.count
                points[(group, count.key)] += count.amount
        totals = await tallies.totals("vote", vote.id, dimension)
        assert {k: t.count for k, t in totals.items() if t.count} == dict(recount), dimension
        assert {k: t.amount for k, t in totals.items() if t.amount} == {
            k: v for k, v in points.items() if v}, dimension
    assert (await tallies.totals("vote", vote.id))[("", "*")].count == 6


async def test_closing_drops_the_links_from_people_to_ballots(box, db, graphql, make_token):
    """Revoting and retries end with the vote, and so do the keyed hashes serving them:
    after closing, nothing in the database (nor the key) joins a ballot to its voter."""
    vote = await draft_vote(allow_revote=True)
    token = await voter(db, "linked")
    options = await option_ids(vote)
    body = await graphql(CAST, cast_input(vote, options[0], key="retry-1"), token=token)
    assert body["data"]["castBallot"]["userErrors"] == []
    assert await Ballot.filter(vote_id=vote.id, voter_key__isnull=False,
                               replay_key__isnull=False).count() == 1
    await close_vote(await Vote.get(id=vote.id), "system", NOW + timedelta(days=1))
    assert await Ballot.filter(vote_id=vote.id).count() == 1
    assert await Ballot.filter(vote_id=vote.id, voter_key__isnull=True,
                               replay_key__isnull=True).count() == 1
