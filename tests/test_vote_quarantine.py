"""Quarantines: exactly the window's ballots of a territory's subtree leave the
tallies and come back on release, the recount over the counted ballots equals the
tallies at every step, the board is sealed again on a closed vote, and nothing moves
once the results are published."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from strawberry import relay

from tests.test_vote_integrity import fan_out_votes, first_option
from tests.vote_world import draft_vote, record_ballot
from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, REGION_A, add_territory, ok_data
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.errors import DomainError
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.identity.services import load_principal
from vmeste.platform.notifications.models import Notification
from vmeste.platform.participation import tallies
from vmeste.platform.participation.demographics import cell
from vmeste.platform.reference.models import TerritoryKind
from vmeste.platform.votes import board, merkle
from vmeste.platform.votes.counting import SUBJECT_TYPE
from vmeste.platform.votes.models import (
    AlertStatus,
    Ballot,
    IntegrityAlert,
    Vote,
    VoteEvent,
    VoteOption,
    VoteQuarantine,
    VoteStatus,
)
from vmeste.platform.votes.quarantine import dismiss_alert, quarantine, release

T0 = datetime(2025, 6, 12, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
#: A settlement inside the city: its ballots keep the city's path, their group's.
VILLAGE = "33701000051"
DIMENSIONS = ("", *tallies.DIMENSIONS)


async def organiser(make_token: Any, sub: str = "kirov-admin") -> Principal:
    await make_token("regional_admin", territory=REGION_A, sub=sub)
    return await load_principal(await User.get(subject=sub))


async def recount(vote_id: int) -> dict[str, dict[tuple[str, str], tuple[int, int]]]:
    """What the counted ballots add up to, per dimension, computed here from scratch."""
    found: dict[str, dict[tuple[str, str], list[int]]] = {d: defaultdict(lambda: [0, 0])
                                                         for d in DIMENSIONS}
    for ballot in await Ballot.filter(vote_id=vote_id, quarantine_id=None):
        groups = {"": "", "age_band": ballot.age_band, "gender": ballot.gender,
                  "territory": ballot.territory_group,
                  "cell": cell(ballot.age_band, ballot.gender)}
        for dimension, group in groups.items():
            found[dimension][(group, "*")][0] += 1
            for option, points in ballot.choices:
                total = found[dimension][(group, str(option))]
                total[0] += 1
                total[1] += points
    return {d: {k: (c, a) for k, (c, a) in rows.items()} for d, rows in found.items()}


async def counters(vote_id: int) -> dict[str, dict[tuple[str, str], tuple[int, int]]]:
    """The tallies, rows that came back to zero left out."""
    found = {}
    for dimension in DIMENSIONS:
        rows = await tallies.totals(SUBJECT_TYPE, vote_id, dimension)
        found[dimension] = {k: (t.count, t.amount) for k, t in rows.items()
                            if (t.count, t.amount) != (0, 0)}
    return found


async def assert_recount_equals_tallies(vote_id: int) -> None:
    assert await counters(vote_id) == await recount(vote_id)


async def participants(vote_id: int) -> int:
    return (await tallies.totals(SUBJECT_TYPE, vote_id)).get(("", "*"), tallies.Total(0, 0)).count


@pytest_asyncio.fixture
async def ballots(world: Any) -> tuple[Vote, dict[str, list[Ballot]]]:
    """A regional vote with ballots in minutes 0..9: the city (every minute, two choices
    alternating, women and men), its village's voters (odd minutes; their ballots keep
    the city's path) and another municipality (every minute)."""
    vote = await draft_vote(method="approval", max_choices=2, opened_at=T0, min_group_size=3)
    first = await first_option(vote)
    second = (await VoteOption.filter(vote_id=vote.id).order_by("position"))[1].id
    made: dict[str, list[Ballot]] = {"city": [], "village": [], "other": []}
    for minute in range(10):
        at = T0 + minute * M + timedelta(seconds=20)
        choice = [(first, 1), (second, 1)] if minute % 2 else [(first, 1)]
        made["city"].append(await record_ballot(vote, choice, minute=at, gender="female"))
        made["city"].append(await record_ballot(vote, [(second, 1)], minute=at,
                                                age_band="60+"))
        if minute % 2:
            made["village"].append(await record_ballot(vote, choice, minute=at))
        made["other"].append(await record_ballot(vote, [(first, 1)], minute=at,
                                                 territory_group="33702000"))
    return vote, made


def held(rows: list[Ballot], start: int, end: int) -> set[str]:
    return {str(b.id) for b in rows if T0 + start * M <= b.cast_minute < T0 + end * M}


async def held_by(quarantine_id: int) -> set[str]:
    return {str(i) for i in await Ballot.filter(quarantine_id=quarantine_id).values_list(
        "id", flat=True)}


async def test_a_quarantine_takes_exactly_its_window_out_and_release_puts_it_back(
        ballots, make_token):
    vote, made = ballots
    admin = await organiser(make_token)
    await assert_recount_equals_tallies(vote.id)
    assert await participants(vote.id) == 35

    # 09:03:40 rounds down, 09:05:10 up: minutes 3, 4 and 5 of the city and its village.
    first = await quarantine(admin, vote.id, MUNICIPALITY_A, T0 + 3 * M + timedelta(seconds=40),
                             T0 + 5 * M + timedelta(seconds=10), "  Burst from one network  ")
    expected = held(made["city"], 3, 6) | held(made["village"], 3, 6)
    assert await held_by(first.id) == expected and first.ballots == len(expected) == 8
    stored = await VoteQuarantine.get(id=first.id)
    assert (stored.starts_at, stored.ends_at, stored.ballots, stored.reason) == (
        T0 + 3 * M, T0 + 6 * M, 8, "Burst from one network")
    assert await participants(vote.id) == 35 - 8
    await assert_recount_equals_tallies(vote.id)

    # An overlapping one holds only what the first does not.
    wide = await quarantine(admin, vote.id, REGION_A, T0, T0 + 5 * M, "Check the region")
    rest = (held(made["city"], 0, 5) | held(made["village"], 0, 5)
            | held(made["other"], 0, 5)) - expected
    assert await held_by(wide.id) == rest and wide.ballots == len(rest)
    await assert_recount_equals_tallies(vote.id)

    released = await release(admin, first.id, "The network is a student hostel")
    assert released.released_at is not None and await held_by(first.id) == set()
    assert await participants(vote.id) == 35 - len(rest)
    await assert_recount_equals_tallies(vote.id)
    await release(admin, wide.id, "Checked")
    assert await participants(vote.id) == 35
    await assert_recount_equals_tallies(vote.id)

    actions = [e.action for e in await VoteEvent.filter(vote_id=vote.id).order_by("id")]
    assert actions == ["quarantine", "quarantine", "release", "release"]
    audited = await AuditEvent.filter(object_type="vote_quarantine").order_by("id")
    assert [(a.action, a.object_id, a.scope_path) for a in audited] == [
        ("vote.quarantine", str(first.id), vote.territory_path),
        ("vote.quarantine", str(wide.id), vote.territory_path),
        ("vote.release", str(first.id), vote.territory_path),
        ("vote.release", str(wide.id), vote.territory_path)]
    assert await Vote.filter(id=vote.id).values_list("status", flat=True) == [VoteStatus.OPEN]


async def test_the_organisers_hear_of_quarantines_but_not_of_their_own(
        ballots, make_token, vmeste_app):
    vote, _made = ballots
    admin = await organiser(make_token)
    await organiser(make_token, "kirov-admin-2")
    held_out = await quarantine(admin, vote.id, MUNICIPALITY_A, T0, T0 + 2 * M, "Burst")
    await release(admin, held_out.id, "Genuine")
    assert await fan_out_votes(vmeste_app.state.runtime) == 2
    told = await Notification.filter(subject_type="vote").order_by("id")
    colleague = await User.get(subject="kirov-admin-2")
    assert [(n.event, n.recipient_id) for n in told] == [
        ("vote_quarantined", colleague.id), ("vote_quarantine_released", colleague.id)]
    # The window in the vote's time zone (Kirov, UTC+3), the reason of each step.
    assert all("город Киров" in n.body and "12.06.2025 12:00" in n.body
               and "12.06.2025 12:02" in n.body for n in told)
    assert "Burst" in told[0].body and "Genuine" in told[1].body


async def test_on_a_closed_vote_the_board_is_sealed_again(ballots, make_token):
    vote, made = ballots
    admin = await organiser(make_token)
    await Vote.filter(id=vote.id).update(status=VoteStatus.CLOSED)
    everything = sorted(b.receipt for rows in made.values() for b in rows)

    held_out = await quarantine(admin, vote.id, MUNICIPALITY_A, T0, T0 + 10 * M, "Burst")
    closed = await Vote.get(id=vote.id)
    counted = sorted(await board.receipts(vote.id))
    assert len(counted) == len(made["other"])
    assert (closed.board_root, closed.board_size) == (
        merkle.root_of(merkle.levels(counted)), len(counted))
    assert not (await board.inclusion(closed, made["city"][0].receipt)).included
    await assert_recount_equals_tallies(vote.id)

    await release(admin, held_out.id, "Genuine")
    reopened = await Vote.get(id=vote.id)
    assert (reopened.board_root, reopened.board_size) == (
        merkle.root_of(merkle.levels(everything)), len(everything))
    assert (await board.inclusion(reopened, made["city"][0].receipt)).included
    await assert_recount_equals_tallies(vote.id)


def codes(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[str | None, str]]:
    return [(e.field, e.code.value) for e in error.value.errors]


async def test_published_and_draft_votes_refuse_and_change_nothing(ballots, make_token):
    vote, _made = ballots
    admin = await organiser(make_token)
    held_out = await quarantine(admin, vote.id, MUNICIPALITY_A, T0, T0 + 2 * M, "Burst")
    before = await counters(vote.id)
    for status in (VoteStatus.RESULTS_PUBLISHED, VoteStatus.DRAFT):
        await Vote.filter(id=vote.id).update(status=status)
        with pytest.raises(DomainError) as refused:
            await quarantine(admin, vote.id, REGION_A, T0, T0 + 10 * M, "Late")
        assert codes(refused) == [(None, "ILLEGAL_TRANSITION")]
        with pytest.raises(DomainError) as refused:
            await release(admin, held_out.id, "Late")
        assert codes(refused) == [(None, "ILLEGAL_TRANSITION")]
    assert await counters(vote.id) == before
    assert await VoteQuarantine.filter(vote_id=vote.id).count() == 1
    assert await held_by(held_out.id)


@pytest.mark.parametrize(("arguments", "expected"), [
    ((MUNICIPALITY_A, T0, T0 + M, "   "), [("reason", "REQUIRED")]),
    ((MUNICIPALITY_A, T0, T0 + M, "x" * 2001), [("reason", "INVALID")]),
    ((MUNICIPALITY_A, T0 + M, T0 + M, "Burst"), [("endsAt", "INVALID")]),
    ((MUNICIPALITY_A, T0, T0.replace(tzinfo=None), "Burst"), [("endsAt", "INVALID")]),
    # Still running: a day from now (parameters are made when the tests are collected).
    ((MUNICIPALITY_A, T0, datetime.now(UTC) + timedelta(days=1), "Burst"),
     [("endsAt", "INVALID")]),
    ((MUNICIPALITY_B, T0, T0 + M, "Burst"), [("territoryCode", "INVALID")]),
    (("99999999", T0, T0 + M, "Burst"), [("territoryCode", "NOT_FOUND")]),
    ((VILLAGE, T0, T0 + M, "Burst"), [("territoryCode", "INVALID")]),
])
async def test_bad_quarantines_are_typed_errors(ballots, make_token, arguments, expected):
    vote, _made = ballots
    admin = await organiser(make_token)
    # Inside the vote's territory but below its groups: no ballot records it.
    await add_territory(VILLAGE, TerritoryKind.SETTLEMENT, MUNICIPALITY_A, "Бахта")
    with pytest.raises(DomainError) as refused:
        await quarantine(admin, vote.id, *arguments)
    assert codes(refused) == expected
    assert await VoteQuarantine.all().count() == 0 and await AuditEvent.filter(
        object_type="vote_quarantine").count() == 0


async def test_a_quarantine_of_fewer_ballots_than_the_smallest_group_is_refused(
        ballots, make_token):
    """Results before and after a quarantine differ by its ballots: two of them would
    show how those two voted."""
    vote, made = ballots
    admin = await organiser(make_token)
    before = await counters(vote.id)
    with pytest.raises(DomainError) as refused:
        await quarantine(admin, vote.id, MUNICIPALITY_A, T0, T0 + M, "Burst")
    assert codes(refused) == [(None, "INVALID")]
    assert "3" in refused.value.errors[0].message
    assert await counters(vote.id) == before
    assert not await VoteQuarantine.all().exists()
    assert not await Ballot.filter(quarantine_id__isnull=False).exists()
    # Three ballots make a group: held.
    assert (await quarantine(admin, vote.id, MUNICIPALITY_A, T0, T0 + 2 * M, "Burst")
            ).ballots == len(held(made["city"], 0, 2) | held(made["village"], 0, 2)) == 5


async def test_alerts_are_resolved_by_a_quarantine_or_dismissed_once(ballots, make_token):
    vote, _made = ballots
    admin = await organiser(make_token)
    city, other, late = [await IntegrityAlert.create(
        vote_id=vote.id, territory_group=group, minute=T0 + minute * M, ballots=200,
        baseline=5, threshold=13) for group, minute in (
            (MUNICIPALITY_A, 4), ("33702000", 4), (MUNICIPALITY_A, 8))]
    await quarantine(admin, vote.id, MUNICIPALITY_A, T0 + 3 * M, T0 + 6 * M, "Burst")
    statuses = dict(await IntegrityAlert.filter(vote_id=vote.id).values_list("id", "status"))
    assert statuses == {city.id: AlertStatus.QUARANTINED, other.id: AlertStatus.OPEN,
                        late.id: AlertStatus.OPEN}

    dismissed = await dismiss_alert(admin, other.id, "A genuine queue at a polling point")
    assert (dismissed.status, dismissed.resolution) == (
        AlertStatus.DISMISSED, "A genuine queue at a polling point")
    for alert_id in (other.id, city.id):
        with pytest.raises(DomainError) as refused:
            await dismiss_alert(admin, alert_id, "Again")
        assert codes(refused) == [("alertId", "INVALID")]
    with pytest.raises(DomainError) as refused:
        await dismiss_alert(admin, late.id, "")
    assert codes(refused) == [("reason", "REQUIRED")]
    actions = [e.action for e in await VoteEvent.filter(vote_id=vote.id).order_by("id")]
    assert actions == ["quarantine", "dismiss_alert"]


async def test_a_release_is_taken_once(ballots, make_token):
    vote, _made = ballots
    admin = await organiser(make_token)
    held_out = await quarantine(admin, vote.id, REGION_A, T0, T0 + 10 * M, "Burst")
    assert await participants(vote.id) == 0
    results = await asyncio.gather(release(admin, held_out.id, "Genuine"),
                                   release(admin, held_out.id, "Genuine"),
                                   return_exceptions=True)
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and refused[0].errors[0].code.value in ("CONFLICT", "INVALID")
    assert await participants(vote.id) == 35
    await assert_recount_equals_tallies(vote.id)
    with pytest.raises(DomainError) as again:
        await release(admin, held_out.id, "Genuine")
    assert codes(again) == [("quarantineId", "INVALID")]


async def test_two_quarantines_at_once_hold_each_ballot_once(ballots, make_token):
    vote, _made = ballots
    admin = await organiser(make_token)
    results = await asyncio.gather(
        quarantine(admin, vote.id, MUNICIPALITY_A, T0, T0 + 10 * M, "Burst"),
        quarantine(admin, vote.id, REGION_A, T0, T0 + 10 * M, "Burst"),
        return_exceptions=True)
    done = [r for r in results if isinstance(r, VoteQuarantine)]
    assert done, results
    assert sum(q.ballots for q in done) == 35 - await participants(vote.id)
    assert sum(q.ballots for q in await VoteQuarantine.all()) == await Ballot.filter(
        quarantine_id__isnull=False).count()
    await assert_recount_equals_tallies(vote.id)


LOG = """query($v: ID!) { voteIntegrityLog(voteId: $v) {
  alerts { totalCount edges { node { territoryCode minute ballots baseline threshold status
                                     resolution } } }
  quarantines { totalCount edges { node { territory { code } startsAt endsAt reason ballots
                                          releasedAt releaseReason } } } } }"""
QUARANTINE = """mutation($i: QuarantineBallotsInput!) { quarantineBallots(input: $i) {
  quarantine { id ballots } userErrors { field code } } }"""


async def test_the_public_log_shows_what_was_held_and_why_but_not_who(
        ballots, make_token, graphql):
    vote, _made = ballots
    token = await make_token("regional_admin", territory=REGION_A, sub="kirov-admin")
    await IntegrityAlert.create(vote_id=vote.id, territory_group=MUNICIPALITY_A,
                                minute=T0 + M, ballots=200, baseline=5, threshold=13)
    window = {"voteId": relay.to_base64("Vote", vote.id), "territoryCode": MUNICIPALITY_A,
              "startsAt": T0.isoformat(), "endsAt": (T0 + 2 * M).isoformat()}
    blank = ok_data(await graphql(QUARANTINE, {"i": {**window, "reason": " "}}, token=token))
    assert blank["quarantineBallots"] == {"quarantine": None, "userErrors": [
        {"field": "reason", "code": "REQUIRED"}]}
    done = ok_data(await graphql(QUARANTINE, {"i": {**window, "reason": "Burst"}},
                                 token=token))["quarantineBallots"]
    assert done["userErrors"] == [] and done["quarantine"]["ballots"] == 5

    log = ok_data(await graphql(LOG, {"v": relay.to_base64("Vote", vote.id)}))  # anonymous
    (alert,) = [e["node"] for e in log["voteIntegrityLog"]["alerts"]["edges"]]
    assert alert == {"territoryCode": MUNICIPALITY_A, "minute": alert["minute"], "ballots": 200,
                     "baseline": 5.0, "threshold": 13.0, "status": "QUARANTINED",
                     "resolution": "Burst"}
    assert datetime.fromisoformat(alert["minute"]) == T0 + M
    (held_out,) = [e["node"] for e in log["voteIntegrityLog"]["quarantines"]["edges"]]
    assert (held_out["territory"], held_out["reason"], held_out["ballots"],
            held_out["releasedAt"], held_out["releaseReason"]) == (
        {"code": MUNICIPALITY_A}, "Burst", 5, None, "")
    assert [datetime.fromisoformat(held_out[k]) for k in ("startsAt", "endsAt")] == [
        T0, T0 + 2 * M]
    assert "kirov-admin" not in json.dumps(log)
    # Not a vote's id, or no such vote: nothing to show.
    for other in (relay.to_base64("Appeal", vote.id), relay.to_base64("Vote", 10**12)):
        assert ok_data(await graphql(LOG, {"v": other})) == {"voteIntegrityLog": None}
