"""Results read from the counters: equal to a recount from the ballots, read in a fixed
number of queries, with winners by the vote's rule, and breakdowns that hide small
groups (and the next smallest, so totals cannot give them back), in GraphQL and CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from strawberry import relay
from tortoise import connections
from tortoise.transactions import in_transaction

from tests.test_authz_vote_results import open_stream
from tests.vote_world import draft_vote, record_ballot
from tests.worlds import MUNICIPALITY_A, count_queries
from vmeste.platform.participation import tallies
from vmeste.platform.reference.models import Territory
from vmeste.platform.votes.closing import close_vote, reseal
from vmeste.platform.votes.counting import SUBJECT_TYPE, ballot_counts, ballot_groups
from vmeste.platform.votes.exports import results_csv
from vmeste.platform.votes.models import Ballot, Vote, VoteOption, VoteQuarantine, VoteStatus
from vmeste.platform.votes.results import (
    Dimension,
    breakdown,
    counters,
    recount,
    vote_results,
)

BANDS = ("14-17", "18-24", "25-34", "35-44", "45-59", "60+", "unknown")
GENDERS = ("male", "female", "unknown")
DISTRICTS = (MUNICIPALITY_A, "33702000", "33703000")


async def option_ids(vote: Vote) -> list[int]:
    return [o.id for o in await VoteOption.filter(vote_id=vote.id).order_by("position")]


async def random_ballots(vote: Vote, count: int, seed: int, points: int = 1) -> None:
    rng = random.Random(seed)
    ids = await option_ids(vote)
    for _ in range(count):
        chosen = rng.sample(ids, rng.randint(1, len(ids)))
        await record_ballot(vote, [(o, rng.randint(1, points)) for o in chosen],
                            age_band=rng.choice(BANDS), gender=rng.choice(GENDERS),
                            territory_group=rng.choice(DISTRICTS))


async def quarantine(vote: Vote, held: list[Ballot]) -> VoteQuarantine:
    """Hold ballots out as the integrity watch does: mark them, take back their counts."""
    territory = await Territory.get(code=MUNICIPALITY_A)
    now = datetime.now(UTC)
    row = await VoteQuarantine.create(vote=vote, territory=territory,
                                      territory_path=territory.path, reason="spike",
                                      starts_at=now - timedelta(hours=1), ends_at=now,
                                      created_by="system", ballots=len(held))
    conn = connections.get("default")
    for ballot in held:
        ballot.quarantine = row
        await ballot.save(update_fields=["quarantine_id"])
        await tallies.add(conn, SUBJECT_TYPE, vote.id, ballot_counts(ballot.choices),
                          ballot_groups(ballot.age_band, ballot.gender, ballot.territory_group),
                          shard=ballot.shard, sign=-1)
    return row


async def test_results_equal_the_recount_of_the_counted_ballots(world: Any) -> None:
    vote = await draft_vote(method="cumulative", options=4, points=5)
    await random_ballots(vote, 60, seed=1, points=3)
    assert await counters(vote) == await recount(vote)
    results = await vote_results(vote)
    ballots = await Ballot.filter(vote_id=vote.id)
    assert results.total_ballots == 60
    for option in results.options:
        lines = [p for b in ballots for o, p in b.choices if o == option.id]
        assert (option.votes, option.points) == (len(lines), sum(lines))

    # A quarantine takes its ballots out of the counters, the recount and the results;
    # released, they count again.
    held = ballots[:7]
    row = await quarantine(vote, held)
    assert await counters(vote) == await recount(vote)
    assert (await vote_results(vote)).total_ballots == 53
    row.released_at = datetime.now(UTC)
    await row.save(update_fields=["released_at"])
    for ballot in held:
        await tallies.add(connections.get("default"), SUBJECT_TYPE,
                          vote.id, ballot_counts(ballot.choices),
                          ballot_groups(ballot.age_band, ballot.gender, ballot.territory_group),
                          shard=ballot.shard)
    assert await counters(vote) == await recount(vote)
    assert (await vote_results(vote)).total_ballots == 60


async def test_a_counter_that_drifts_from_the_ballots_is_seen_by_the_recount(world: Any
                                                                            ) -> None:
    vote = await draft_vote(options=2)
    await random_ballots(vote, 5, seed=2)
    extra = tallies.Count(str((await option_ids(vote))[0]))
    await tallies.add(connections.get("default"), SUBJECT_TYPE, vote.id, [extra], {}, shard=1)
    assert await counters(vote) != await recount(vote)


async def test_results_are_read_in_the_same_queries_whatever_the_ballots(world: Any) -> None:
    vote = await draft_vote(method="approval", options=3, max_choices=3,
                            status=VoteStatus.CLOSED)
    await random_ballots(vote, 3, seed=3)
    with count_queries() as few:
        results = await vote_results(vote)
        await breakdown(vote, Dimension.AGE_BAND, [o.id for o in results.options])
    await random_ballots(vote, 40, seed=4)
    with count_queries() as many:
        results = await vote_results(vote)
        await breakdown(vote, Dimension.AGE_BAND, [o.id for o in results.options])
    assert len(few) == len(many) == 3, many.statements


async def test_winners_follow_the_method_and_the_rule(world: Any) -> None:
    single = await draft_vote(options=3, winners_count=2)
    a, b, c = await option_ids(single)
    for choice, times in ((a, 2), (b, 5), (c, 2)):
        for _ in range(times):
            await record_ballot(single, [(choice, 1)])
    # b leads; a and c tie on 2, and a stands first on the ballot.
    assert (await vote_results(single)).winners == (b, a)

    cumulative = await draft_vote(method="cumulative", options=2, points=5)
    x, y = await option_ids(cumulative)
    await record_ballot(cumulative, [(x, 1), (y, 4)])
    await record_ballot(cumulative, [(x, 2)])
    # x has more votes (2), y more points (4): points decide.
    assert (await vote_results(cumulative)).winners == (y,)

    # Ten voters, 100: seven for three projects of 40, three for one of 30 (see
    # test_vote_winners): greedy serves the majority, equal shares the minority too.
    budget = await draft_vote(method="budget", options=0, budget=100)
    projects = [await VoteOption.create(vote=budget, position=i, title=f"П{i}", cost=cost)
                for i, cost in enumerate((40, 40, 40, 30))]
    p1, p2, p3, p4 = (p.id for p in projects)
    for _ in range(7):
        await record_ballot(budget, [(p1, 1), (p2, 1), (p3, 1)])
    minority = [await record_ballot(budget, [(p4, 1)]) for _ in range(3)]
    assert (await vote_results(budget)).winners == (p1, p2)
    budget.winner_rule = "equal_shares"  # type: ignore[assignment]
    await budget.save(update_fields=["winner_rule"])
    assert (await vote_results(budget)).winners == (p1, p4)
    # Equal shares reads the ballots: quarantined ones do not count there either. With
    # the minority held out, 7 voters share 100 and buy A1, A2 (80 from 14.28 each).
    await quarantine(budget, minority)
    assert (await vote_results(budget)).winners == (p1, p2)


async def ballots_in_groups(vote: Vote, by: Dimension, sizes: dict[str, int]) -> None:
    """``sizes[group]`` ballots in each group of ``by``, spread over the options."""
    ids = await option_ids(vote)
    field = {Dimension.AGE_BAND: "age_band", Dimension.GENDER: "gender",
             Dimension.TERRITORY: "territory_group"}[by]
    n = 0
    for group, size in sizes.items():
        for _ in range(size):
            await record_ballot(vote, [(ids[n % len(ids)], 1)], **{field: group})
            n += 1


SMALL_GROUPS = {
    Dimension.AGE_BAND: ({"14-17": 3, "18-24": 50, "25-34": 55, "60+": 60}, {"14-17", "18-24"}),
    Dimension.GENDER: ({"unknown": 3, "female": 50, "male": 55}, {"unknown", "female"}),
    Dimension.TERRITORY: ({"33702000": 3, MUNICIPALITY_A: 50, "33703000": 55, "33704000": 60},
                          {"33702000", MUNICIPALITY_A}),
}


@pytest.mark.parametrize("by", list(Dimension))
async def test_a_small_group_is_hidden_with_the_next_smallest(world: Any, graphql: Any,
                                                              by: Dimension) -> None:
    sizes, hidden = SMALL_GROUPS[by]
    vote = await draft_vote(options=3, status=VoteStatus.RESULTS_PUBLISHED)
    await ballots_in_groups(vote, by, sizes)
    results = await vote_results(vote)
    groups = await breakdown(vote, by)
    assert {g.group for g in groups} == set(sizes)
    assert {g.group for g in groups if g.suppressed} == hidden
    for group in groups:
        if group.suppressed:
            assert group.participants is None and group.votes is None
        else:
            assert group.participants == sizes[group.group]
            assert sum(group.votes.values()) == sizes[group.group]  # type: ignore[union-attr]

    # What the totals leave to subtract is the hidden groups together: at least two of
    # them, and at least min_group_size participants, for the ballots and each option.
    visible = [g for g in groups if not g.suppressed]
    left = results.total_ballots - sum(g.participants or 0 for g in visible)
    assert left == sum(sizes[g] for g in hidden) >= vote.min_group_size and len(hidden) >= 2
    field = {Dimension.AGE_BAND: "age_band", Dimension.GENDER: "gender",
             Dimension.TERRITORY: "territory_group"}[by]
    for option in results.options:
        shown = sum((g.votes or {})[option.id] for g in visible)
        in_hidden = await Ballot.filter(vote_id=vote.id, **{f"{field}__in": sorted(hidden)}
                                        ).values_list("choices", flat=True)
        assert option.votes - shown == sum(1 for c in in_hidden if c[0][0] == option.id)

    # GraphQL shows the same groups hidden, with no numbers at all.
    body = await graphql("query($id: ID!, $by: VoteBreakdownBy!) { voteResults(voteId: $id) "
                         "{ totalBallots breakdown(by: $by) { group participants suppressed "
                         "options { id votes } } } }",
                         {"id": relay.to_base64("Vote", vote.id), "by": by.name})
    assert "errors" not in body, body
    answered = body["data"]["voteResults"]["breakdown"]
    assert {g["group"] for g in answered if g["suppressed"]} == hidden
    for group in answered:
        if group["suppressed"]:
            assert group["participants"] is None
            assert {o["votes"] for o in group["options"]} == {None}
        else:
            assert group["participants"] == sizes[group["group"]]

    # And so does the CSV.
    rows = list(csv.DictReader(io.StringIO(await results_csv(vote))))
    mine = [r for r in rows if r["section"] == by.value]
    assert {r["group"] for r in mine if r["suppressed"] == "true"} == hidden
    for row in mine:
        if row["suppressed"] == "true":
            assert row["participants"] == row["votes"] == ""
        else:
            assert int(row["participants"]) == sizes[row["group"]]


async def test_groups_without_a_small_one_are_all_shown_in_order(world: Any) -> None:
    vote = await draft_vote(options=2, status=VoteStatus.CLOSED)
    await ballots_in_groups(vote, Dimension.AGE_BAND, {"60+": 12, "unknown": 11, "18-24": 10,
                                                       "14-17": 13})
    groups = await breakdown(vote, Dimension.AGE_BAND)
    assert [g.group for g in groups] == ["14-17", "18-24", "60+", "unknown"]
    assert not any(g.suppressed for g in groups)


async def test_every_group_under_the_size_is_hidden_however_many(world: Any) -> None:
    vote = await draft_vote(options=2, min_group_size=20, status=VoteStatus.CLOSED)
    await ballots_in_groups(vote, Dimension.GENDER, {"male": 4, "female": 5, "unknown": 30})
    groups = {g.group: g for g in await breakdown(vote, Dimension.GENDER)}
    # male and female are both small, 9 together: unknown is hidden with them.
    assert all(g.suppressed for g in groups.values())


Q_LIVE = ("query($id: ID!) { voteResults(voteId: $id) { totalBallots "
          "breakdown(by: GENDER) { group participants } } }")
S_LIVE = ("subscription($id: ID!) { voteResultsUpdated(voteId: $id) { totalBallots "
          "breakdown(by: GENDER) { group } } }")


async def test_an_open_vote_shows_live_totals_but_no_breakdown(world: Any, graphql: Any,
                                                              make_token: Any,
                                                              vmeste_app: Any) -> None:
    """Two reads of a running breakdown would show the groups of the ballot cast in
    between; so nobody, its organisers included, gets one before closing."""
    vote = await draft_vote(options=2, live_results=True, min_group_size=1)
    await ballots_in_groups(vote, Dimension.GENDER, {"male": 12, "female": 11})
    variables = {"id": relay.to_base64("Vote", vote.id)}
    organiser = await make_token("regional_admin", territory="33000000", sub="organiser")
    for token in (None, organiser):
        body = await graphql(Q_LIVE, variables, token=token)
        assert body["data"]["voteResults"] == {"totalBallots": 23, "breakdown": []}, body
    stream = await open_stream(vmeste_app, None, S_LIVE, variables)
    try:
        first = await asyncio.wait_for(stream.__anext__(), timeout=5)
        assert first.data == {"voteResultsUpdated": {"totalBallots": 23, "breakdown": []}}
    finally:
        await stream.aclose()
    await Vote.filter(id=vote.id).update(status=VoteStatus.CLOSED)
    body = await graphql(Q_LIVE, variables, token=None)
    assert body["data"]["voteResults"]["breakdown"] == [
        {"group": "male", "participants": 12}, {"group": "female", "participants": 11}]


async def sealed_again(vote: Vote) -> Vote:
    """The vote's board sealed again as a quarantine's step does; the fresh row."""
    async with in_transaction() as conn:
        await reseal(conn, vote)
        await Vote.filter(id=vote.id).using_db(conn).update(board_root=vote.board_root,
                                                            board_size=vote.board_size)
    return await Vote.get(id=vote.id)


async def test_equal_shares_winners_of_a_sealed_board_are_read_once(world: Any) -> None:
    """Kept per process under the vote and its root: a second read reads no ballot; a
    new board (a quarantine) is counted again; and winners computed from ballots that
    are not the row's board (a stale row) are never kept under its root."""
    vote = await draft_vote(method="budget", options=0, budget=100,
                            winner_rule="equal_shares")
    p1, p2, p3, p4 = [(await VoteOption.create(vote=vote, position=i, title=f"П{i}",
                                               cost=cost)).id
                      for i, cost in enumerate((40, 40, 40, 30))]
    for _ in range(7):
        await record_ballot(vote, [(p1, 1), (p2, 1), (p3, 1)])
    minority = [await record_ballot(vote, [(p4, 1)]) for _ in range(3)]
    closed = await close_vote(vote, "system", datetime.now(UTC))
    held = await quarantine(vote, minority)
    assert (await sealed_again(await Vote.get(id=vote.id))).board_root != closed.board_root
    # ``closed`` is now a stale row: its root is the first board's, its ballots are not.
    assert (await vote_results(closed)).winners == (p1, p2)
    # Released, the first board stands again: its winners are the minority's too.
    await Ballot.filter(quarantine_id=held.id).update(quarantine_id=None)
    for ballot in minority:
        await tallies.add(connections.get("default"), SUBJECT_TYPE, vote.id,
                          ballot_counts(ballot.choices),
                          ballot_groups(ballot.age_band, ballot.gender, ballot.territory_group),
                          shard=ballot.shard)
    fresh = await sealed_again(await Vote.get(id=vote.id))
    assert fresh.board_root == closed.board_root
    assert (await vote_results(fresh)).winners == (p1, p4)
    with count_queries() as again:
        assert (await vote_results(fresh)).winners == (p1, p4)
    assert not [q for q in again.statements if "vote_ballot" in q], again.statements
