"""Casting ballots through the API: eligibility, every refusal, one ballot per person,
revoting and idempotent retries, and what the two halves of a vote hold."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from strawberry import relay

from tests.ballot_world import (
    CAST,
    MINE,
    PAPER,
    VERIFY,
    cast_input,
    choice,
    field_codes,
    open_box,
    option_ids,
    paper_input,
    payload_of,
)
from tests.ballot_world import NOW as DAY
from tests.ballot_world import vote_id as gid
from tests.vote_world import draft_vote, voter
from tests.worlds import MUNICIPALITY_A, ORG_A, REGION_A, REGION_B, add_territory, error_code
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.identity.dev_tokens import DevProfile, issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.participation import tallies
from vmeste.platform.reference.models import Territory, TerritoryKind
from vmeste.platform.votes import receipts
from vmeste.platform.votes.closing import close_vote
from vmeste.platform.votes.models import (
    Ballot,
    Vote,
    VoteEvent,
    VoteOption,
    VoteParticipation,
    VoteQuarantine,
    VoteStatus,
)

#: The tests' voting day, half a minute past noon in Kirov.
NOW = DAY.replace(second=30)
OTHER_MUNICIPALITY = "33702000"
SETTLEMENT = "33701000051"


@pytest_asyncio.fixture
async def box(world: Any, vmeste_app: Any, clock: Any) -> Any:
    return open_box(vmeste_app, clock, NOW)


async def cast(graphql: Any, token: str | None, vote: Any, *options: int,
               key: str | None = None) -> dict[str, Any]:
    return await payload_of(graphql, CAST, cast_input(vote, *options, key=key), token)


async def test_a_ballot_and_a_participation_are_written_apart(box, db, graphql):
    vote = await draft_vote()
    first, second, _ = await option_ids(vote)
    token = await voter(db, "anna", gender="female")
    audited = await AuditEvent.all().count()
    payload = await cast(graphql, token, vote, second)
    assert payload["userErrors"] == []
    ballot = await Ballot.get(id=payload["ballot"]["id"])
    assert payload["ballot"]["receipt"] == ballot.receipt == receipts.receipt_of(
        vote.id, [(second, 1)], ballot.nonce)
    assert ballot.choices == [[second, 1]] and ballot.channel == "online"
    assert (ballot.territory_group, ballot.age_band, ballot.gender) == (
        MUNICIPALITY_A, "35-44", "female")
    assert ballot.cast_minute == NOW.replace(second=0)
    # Nothing links the ballot to anyone where the vote needs no link.
    assert ballot.voter_key is None and ballot.replay_key is None
    [participation] = await VoteParticipation.filter(vote_id=vote.id)
    assert (participation.channel, participation.age_band, participation.gender,
            participation.territory_group, participation.voted_on) == (
        "online", "35-44", "female", MUNICIPALITY_A, date(2026, 6, 1))
    # No per-ballot event and no audit record: either would time who voted.
    assert not await VoteEvent.filter(vote_id=vote.id).exists()
    assert await AuditEvent.all().count() == audited
    totals = await tallies.totals("vote", vote.id)
    assert totals[("", str(second))].count == 1 and ("", str(first)) not in totals


async def test_one_ballot_per_person(box, db, graphql):
    vote = await draft_vote()
    first, second, _ = await option_ids(vote)
    token = await voter(db, "boris")
    assert (await cast(graphql, token, vote, first))["userErrors"] == []
    again = await cast(graphql, token, vote, second)
    assert field_codes(again) == [(None, "ALREADY_VOTED")] and again["ballot"] is None
    assert await Ballot.filter(vote_id=vote.id).count() == 1
    assert ("", str(second)) not in await tallies.totals("vote", vote.id)


@pytest.mark.parametrize(("status", "opens", "closes"), [
    (VoteStatus.CLOSED, None, None),
    (VoteStatus.RESULTS_PUBLISHED, None, None),
    (VoteStatus.OPEN, NOW + timedelta(seconds=1), None),
    (VoteStatus.OPEN, None, NOW),
    (VoteStatus.OPEN, None, NOW - timedelta(days=1)),
])
async def test_ballots_only_while_the_vote_is_open(box, db, graphql, status, opens, closes):
    vote = await draft_vote(status=status, opens_at=opens, closes_at=closes)
    first, *_ = await option_ids(vote)
    payload = await cast(graphql, await voter(db, "vera"), vote, first)
    assert field_codes(payload) == [("voteId", "VOTE_NOT_OPEN")]
    assert not await VoteParticipation.exists()


async def test_a_template_takes_no_ballots(box, db, graphql, make_token):
    vote = await draft_vote(is_template=True)
    first, *_ = await option_ids(vote)
    # Citizens do not see a template (test_a_draft_is_not_found_by_those_who_may_not_see_it);
    # its organisers do, and it takes no ballot from them either.
    organiser = await make_token("regional_admin", territory=REGION_A, sub="organiser")
    assert field_codes(await cast(graphql, organiser, vote, first)) == [
        ("voteId", "VOTE_NOT_OPEN")]
    assert field_codes(await cast(graphql, await voter(db, "vera"), vote, first)) == [
        ("voteId", "NOT_FOUND")]


async def test_the_window_includes_opening_and_excludes_closing(box, db, graphql, clock):
    vote = await draft_vote(opens_at=NOW, closes_at=NOW + timedelta(seconds=1))
    first, *_ = await option_ids(vote)
    assert (await cast(graphql, await voter(db, "gleb"), vote, first))["userErrors"] == []


@pytest.mark.parametrize(("moment", "eligible"), [
    # 1 June 2026 has begun in Kirov (01:30) but not in UTC: a birthday on 1 June 2012
    # makes 14 on the voting day in the vote territory's time zone.
    (datetime(2026, 5, 31, 22, 30, tzinfo=UTC), True),
    (datetime(2026, 5, 31, 20, 30, tzinfo=UTC), False),  # 23:30 on 31 May in Kirov
])
async def test_age_is_taken_on_the_day_in_the_vote_territory(box, db, graphql, clock, moment,
                                                             eligible):
    clock.set(moment)
    vote = await draft_vote(min_age=14)
    first, *_ = await option_ids(vote)
    payload = await cast(graphql, await voter(db, "teen", birthdate=date(2012, 6, 1)), vote,
                         first)
    assert field_codes(payload) == ([] if eligible else [(None, "NOT_ELIGIBLE")])
    if eligible:
        participation = await VoteParticipation.get(vote_id=vote.id)
        assert (participation.age_band, participation.voted_on) == ("14-17", date(2026, 6, 1))


@pytest.mark.parametrize("profile", ["outside", "unverified", "no-address", "young"])
async def test_ineligible_profiles_are_refused(box, db, graphql, profile):
    vote = await draft_vote(min_age=18)
    first, *_ = await option_ids(vote)
    if profile == "outside":
        token = await voter(db, "sevastopol", oktmo=REGION_B)
    elif profile == "unverified":
        token = await voter(db, "anon", verified=False)
    elif profile == "young":
        token = await voter(db, "young", birthdate=date(2008, 6, 2))  # 18 tomorrow
    else:
        token = await issue_dev_token(db, Role.CITIZEN, subject=profile,
                                      profile=DevProfile(address_oktmo=""))
    payload = await cast(graphql, token, vote, first)
    assert field_codes(payload) == [(None, "NOT_ELIGIBLE")]
    assert not await Ballot.exists() and not await VoteParticipation.exists()


async def test_unverified_may_vote_where_the_vote_allows(box, db, graphql):
    vote = await draft_vote(verified_only=False)
    first, *_ = await option_ids(vote)
    payload = await cast(graphql, await voter(db, "anon", verified=False), vote, first)
    assert payload["userErrors"] == []


async def test_a_legal_entity_does_not_vote(box, db, graphql):
    vote = await draft_vote()
    first, *_ = await option_ids(vote)
    token = await issue_dev_token(db, Role.CITIZEN, subject="firm", profile=DevProfile(
        address_oktmo=MUNICIPALITY_A, legal_entity_ogrn=ORG_A))
    assert field_codes(await cast(graphql, token, vote, first)) == [(None, "NOT_ELIGIBLE")]


async def test_a_ballot_keeps_the_territory_group_not_the_settlement(box, db, graphql):
    """The participation keeps where the voter lives; the ballot only their territory
    group's path, for a regional vote (the municipality) as for a municipal one (the
    settlement is the group there)."""
    await add_territory(SETTLEMENT, TerritoryKind.SETTLEMENT, MUNICIPALITY_A, "Бахта")
    settlement = await Territory.get(code=SETTLEMENT)
    city = await Territory.get(code=MUNICIPALITY_A)
    regional, municipal = await draft_vote(), await draft_vote(territory=MUNICIPALITY_A)
    villager, townsman = await voter(db, "villager", oktmo=SETTLEMENT), await voter(
        db, "townsman")
    for vote in (regional, municipal):
        first, *_ = await option_ids(vote)
        for token in (villager, townsman):
            assert (await cast(graphql, token, vote, first))["userErrors"] == []
    paths = {(b.vote_id, b.territory_group, b.territory_path) for b in await Ballot.all()}
    assert paths == {(regional.id, MUNICIPALITY_A, city.path),
                     (municipal.id, SETTLEMENT, settlement.path),
                     (municipal.id, MUNICIPALITY_A, city.path)}
    assert set(await VoteParticipation.filter(vote_id=regional.id).values_list(
        "territory_path", flat=True)) == {settlement.path, city.path}


async def test_an_option_limited_to_another_municipality(box, db, graphql):
    await add_territory(OTHER_MUNICIPALITY, TerritoryKind.MUNICIPALITY, REGION_A, "Слободской")
    other = await Territory.get(code=OTHER_MUNICIPALITY)
    vote = await draft_vote(method="approval")
    first, limited, _ = await option_ids(vote)
    await VoteOption.filter(id=limited).update(territory_id=other.id, territory_path=other.path)
    token = await voter(db, "kirovchanin")
    payload = await cast(graphql, token, vote, first, limited)
    assert field_codes(payload) == [("choices", "NOT_ELIGIBLE")]
    assert (await cast(graphql, token, vote, first))["userErrors"] == []
    neighbour = await voter(db, "slobodskoy", oktmo=OTHER_MUNICIPALITY)
    assert (await cast(graphql, neighbour, vote, limited))["userErrors"] == []


async def test_the_methods_codes_are_the_ballots_refusals(box, db, graphql):
    vote = await draft_vote()
    other = await draft_vote()
    first, second, _ = await option_ids(vote)
    foreign, *_ = await option_ids(other)
    token = await voter(db, "dina")
    assert field_codes(await cast(graphql, token, vote, first, second)) == [
        ("choices", "TOO_MANY_CHOICES")]
    assert field_codes(await cast(graphql, token, vote)) == [("choices", "TOO_FEW_CHOICES")]
    assert field_codes(await cast(graphql, token, vote, foreign)) == [("choices", "UNKNOWN_OPTION")]
    body = await graphql(CAST, {"input": {"voteId": gid(vote), "choices": [choice(first, 3)]}},
                         token=token)
    assert field_codes(body["data"]["castBallot"]) == [("choices", "INVALID_POINTS")]
    # More lines than the vote has options never reaches the method.
    assert field_codes(await cast(graphql, token, vote, first, first, second, second)) == [
        ("choices", "TOO_MANY_CHOICES")]
    assert not await VoteParticipation.exists()
    assert (await cast(graphql, token, vote, first))["userErrors"] == []


async def test_bad_ids_and_keys_are_typed_errors(box, db, graphql):
    vote = await draft_vote()
    first, *_ = await option_ids(vote)
    token = await voter(db, "egor")
    body = await graphql(CAST, {"input": {"voteId": gid(vote).replace("V", "X"),
                                          "choices": [choice(first)]}}, token=token)
    assert body["data"]["castBallot"]["userErrors"][0]["code"] == "INVALID"
    body = await graphql(CAST, {"input": {"voteId": relay.to_base64("Appeal", vote.id),
                                          "choices": [choice(first)]}}, token=token)
    assert field_codes(body["data"]["castBallot"]) == [("voteId", "INVALID")]
    body = await graphql(CAST, {"input": {"voteId": relay.to_base64("Vote", 10**6),
                                          "choices": [choice(first)]}}, token=token)
    assert field_codes(body["data"]["castBallot"]) == [("voteId", "NOT_FOUND")]
    assert field_codes(await cast(graphql, token, vote, first, key="k" * 256)) == [
        ("idempotencyKey", "INVALID")]


async def test_a_method_not_installed_takes_no_ballots(box, db, graphql):
    vote = await draft_vote(method="knapsack")
    first, *_ = await option_ids(vote)
    assert field_codes(await cast(graphql, await voter(db, "fedor"), vote, first)) == [
        ("voteId", "VOTE_NOT_OPEN")]


async def test_a_method_switched_off_later_does_not_stop_an_open_vote(box, db, graphql,
                                                                     region_policy):
    vote = await draft_vote()
    first, *_ = await option_ids(vote)
    # A policy naming only approval switches single off in region A, for new votes.
    await region_policy(REGION_A, "vote_method", "approval")
    assert [s.plugin for s in await box.resolver.resolve(REGION_A, "vote_method")] == [
        "approval"]
    assert (await cast(graphql, await voter(db, "fedor"), vote, first))["userErrors"] == []


async def test_a_revote_replaces_the_ballot(box, db, graphql):
    vote = await draft_vote(allow_revote=True)
    first, second, _ = await option_ids(vote)
    token = await voter(db, "galina", gender="female")
    before = await cast(graphql, token, vote, first)
    after = await cast(graphql, token, vote, second)
    assert after["userErrors"] == [] and after["ballot"] != before["ballot"]
    [ballot] = await Ballot.filter(vote_id=vote.id)
    assert str(ballot.id) == after["ballot"]["id"] and ballot.choices == [[second, 1]]
    assert ballot.voter_key is not None
    participation = await VoteParticipation.get(vote_id=vote.id)
    assert participation.revotes == 1
    totals = await tallies.totals("vote", vote.id)
    assert (totals[("", "*")].count, totals[("", str(first))].count,
            totals[("", str(second))].count) == (1, 0, 1)
    by_gender = await tallies.totals("vote", vote.id, "gender")
    assert by_gender[("female", str(second))].count == 1
    assert by_gender[("female", str(first))].count == 0
    body = await graphql(MINE, {"v": gid(vote)}, token=token)
    assert body["data"]["myVoteParticipation"] == {"voted": True, "channel": "ONLINE",
                                                   "canRevote": True}


async def test_a_quarantined_ballot_is_not_replaced(box, db, graphql):
    vote = await draft_vote(allow_revote=True)
    first, second, _ = await option_ids(vote)
    token = await voter(db, "hold")
    await cast(graphql, token, vote, first)
    held = await VoteQuarantine.create(
        vote=vote, territory_id=vote.territory_id, territory_path=vote.territory_path,
        starts_at=NOW - timedelta(hours=1), ends_at=NOW, reason="всплеск", created_by="system")
    await Ballot.filter(vote_id=vote.id).update(quarantine_id=held.id)
    payload = await cast(graphql, token, vote, second)
    assert field_codes(payload) == [(None, "ALREADY_VOTED")]
    plain = await draft_vote()
    plain_first, *_ = await option_ids(plain)
    await cast(graphql, token, plain, plain_first)
    generic = await cast(graphql, token, plain, plain_first)
    # The voter is told why: not the plain "already voted".
    assert payload["userErrors"][0]["message"] != generic["userErrors"][0]["message"]
    [ballot] = await Ballot.filter(vote_id=vote.id)
    assert ballot.choices == [[first, 1]]
    body = await graphql(MINE, {"v": gid(vote)}, token=token)
    assert body["data"]["myVoteParticipation"]["canRevote"] is False


async def test_the_same_idempotency_key_returns_the_first_ballot(box, db, graphql, clock):
    vote = await draft_vote()
    first, second, _ = await option_ids(vote)
    token = await voter(db, "ivan")
    original = await cast(graphql, token, vote, first, key="retry-1")
    assert original["userErrors"] == []
    # The same key, even with other choices, is the same request again.
    assert await cast(graphql, token, vote, first, key="retry-1") == original
    assert await cast(graphql, token, vote, second, key="retry-1") == original
    # A new key is a new ballot, which this vote refuses.
    assert field_codes(await cast(graphql, token, vote, second, key="retry-2")) == [
        (None, "ALREADY_VOTED")]
    # Another person's same key is theirs.
    other = await cast(graphql, await voter(db, "olga"), vote, second, key="retry-1")
    assert other["userErrors"] == [] and other["ballot"] != original["ballot"]
    assert await Ballot.filter(vote_id=vote.id).count() == 2
    # A retry after closing still gets its ballot back.
    clock.advance(days=30)
    await vote.filter(id=vote.id).update(status=VoteStatus.CLOSED)
    assert await cast(graphql, token, vote, first, key="retry-1") == original
    ballot = await Ballot.get(id=original["ballot"]["id"])
    assert ballot.replay_key is not None and "retry-1" not in ballot.replay_key


async def test_a_retry_of_a_revote_returns_it_instead_of_replacing_it(box, db, graphql):
    vote = await draft_vote(allow_revote=True)
    first, second, _ = await option_ids(vote)
    token = await voter(db, "kira")
    await cast(graphql, token, vote, first, key="a")
    revote = await cast(graphql, token, vote, second, key="b")
    assert await cast(graphql, token, vote, second, key="b") == revote
    assert (await VoteParticipation.get(vote_id=vote.id)).revotes == 1


async def test_my_participation(box, db, graphql, clock):
    vote = await draft_vote(closes_at=NOW + timedelta(hours=1))
    first, *_ = await option_ids(vote)
    token = await voter(db, "lev")
    body = await graphql(MINE, {"v": gid(vote)}, token=token)
    assert body["data"]["myVoteParticipation"] == {"voted": False, "channel": None,
                                                   "canRevote": False}
    await cast(graphql, token, vote, first)
    body = await graphql(MINE, {"v": gid(vote)}, token=token)
    assert body["data"]["myVoteParticipation"] == {"voted": True, "channel": "ONLINE",
                                                   "canRevote": False}
    # Someone else's participation is not theirs.
    body = await graphql(MINE, {"v": gid(vote)}, token=await voter(db, "mila"))
    assert body["data"]["myVoteParticipation"]["voted"] is False


async def test_a_draft_is_not_found_by_those_who_may_not_see_it(box, db, graphql,
                                                                 make_token):
    """Casting, one's participation, a receipt and a paper ballot find only a vote the
    caller may see: a draft is NOT_FOUND outside its organisers, as for ``vote(id:)``;
    its organiser sees it, closed to ballots."""
    draft = await draft_vote(status=VoteStatus.DRAFT)
    first, *_ = await option_ids(draft)
    citizen = await voter(db, "curious")
    await voter(db, "paper-curious")
    operator = await make_token("operator", org=ORG_A, sub="op-ministry")
    organiser = await make_token("regional_admin", territory=REGION_A, sub="organiser")
    assert field_codes(await cast(graphql, citizen, draft, first)) == [("voteId", "NOT_FOUND")]
    assert field_codes(await payload_of(graphql, PAPER, paper_input(
        draft, "paper-curious", first), operator)) == [("voteId", "NOT_FOUND")]
    for document, variables in ((MINE, {"v": gid(draft)}),
                                (VERIFY, {"v": gid(draft), "r": "0" * 64})):
        for token in (None, citizen):
            body = await graphql(document, variables, token=token)
            expected = "UNAUTHENTICATED" if token is None and document is MINE else "NOT_FOUND"
            assert error_code(body) == expected, body
    assert field_codes(await cast(graphql, organiser, draft, first)) == [
        ("voteId", "VOTE_NOT_OPEN")]
    seen = await graphql(VERIFY, {"v": gid(draft), "r": "0" * 64}, token=organiser)
    assert seen["data"]["verifyReceipt"]["root"] is None and "errors" not in seen
    assert not await VoteParticipation.exists()


async def test_a_vote_kept_for_casting_takes_no_ballot_once_closed(box, db, graphql):
    """Casting keeps an open vote for a moment (its rules no longer change), but the
    check under the row lock sees the close at once, and so does the kept copy."""
    vote = await draft_vote()
    first, *_ = await option_ids(vote)
    assert (await cast(graphql, await voter(db, "kept-1"), vote, first))["userErrors"] == []
    await close_vote(await Vote.get(id=vote.id), "system", NOW)
    payload = await cast(graphql, await voter(db, "kept-2"), vote, first)
    assert field_codes(payload) == [("voteId", "VOTE_NOT_OPEN")]
    assert await VoteParticipation.filter(vote_id=vote.id).count() == 1
    assert await Ballot.filter(vote_id=vote.id).count() == 1
