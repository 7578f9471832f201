"""The integrity watch: the spike detector's statistics, the alert it raises and the
organisers it tells, and the vote's clock (the watchdog checking every minute and
closing the vote at closesAt), each step once however many sweeps run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from tests.vote_world import draft_vote, record_ballot
from tests.worlds import MUNICIPALITY_A, REGION_A, REGION_B
from vmeste.platform.deadlines.watchdog import OUTCOMES, run_watchdog
from vmeste.platform.identity.models import User
from vmeste.platform.notifications.models import Notification
from vmeste.platform.notifications.templates import render_default
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.runtime import Runtime
from vmeste.platform.votes import merkle, notify
from vmeste.platform.votes.integrity import (
    MIN_BASELINE_MINUTES,
    Thresholds,
    judge,
    spikes,
)
from vmeste.platform.votes.models import (
    AlertStatus,
    Ballot,
    IntegrityAlert,
    Vote,
    VoteEvent,
    VoteOption,
    VoteStatus,
)
from vmeste.platform.votes.steps import VOTE_EVENTS
from vmeste.platform.votes.watch import VoteClock

T0 = datetime(2025, 6, 12, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
DEFAULTS = Thresholds(min_ballots=30, deviations=8, window=60)
NOTHING = dict.fromkeys((*VoteClock.steps, *OUTCOMES), 0)


# --- the statistics ---------------------------------------------------------------------


def test_a_steady_trickle_sets_a_baseline_a_burst_cannot_move():
    calm = judge([5] * 30, 12, DEFAULTS)
    assert (calm.spike, calm.baseline, calm.threshold) == (False, 5.0, 13.0)  # MAD floor 1
    assert judge([5] * 30, 200, DEFAULTS).spike
    # Past the threshold but under the minimum: a small place's rush is no alert.
    assert not judge([0] * 30, 29, DEFAULTS).spike
    assert judge([0] * 30, 30, DEFAULTS).spike


def test_the_spread_is_the_scaled_median_absolute_deviation():
    history = [10, 20] * 15  # median 15, every deviation 5
    verdict = judge(history, 0, DEFAULTS)
    assert verdict.baseline == 15.0
    assert verdict.threshold == pytest.approx(15 + 8 * 5 * 1.4826)
    assert not judge(history, 74, DEFAULTS).spike and judge(history, 75, DEFAULTS).spike
    # A few past bursts in the window barely move a median.
    assert judge([5] * 27 + [500] * 3, 0, DEFAULTS).threshold == 13.0


def test_minutes_without_ballots_count_as_zeros_and_the_opening_is_no_baseline():
    quiet = {"a": {T0 + 50 * M: 40}}  # nothing for 50 minutes, then 40
    assert [(s.territory_group, s.minute, s.ballots, s.baseline) for s in
            spikes(quiet, T0 + 50 * M, T0 + 51 * M, DEFAULTS)] == [("a", T0 + 50 * M, 40, 0.0)]
    # Opened minutes before: too little baseline to judge.
    opened = T0 + (50 - MIN_BASELINE_MINUTES + 1) * M
    assert spikes(quiet, T0 + 50 * M, T0 + 51 * M, DEFAULTS, opened=opened) == []
    # Only the minutes asked about are judged; a steady high rate is none.
    steady = {"b": {T0 + k * M: 40 for k in range(-60, 61)}}
    assert spikes({**quiet, **steady}, T0, T0 + 50 * M, DEFAULTS) == []
    assert [s.territory_group for s in spikes({**quiet, **steady}, T0, T0 + 61 * M,
                                              DEFAULTS)] == ["a"]


def test_every_vote_event_has_a_wording_that_renders():
    assert set(notify.EVENTS) == {"vote_opened", "vote_closed", "vote_results_published",
                                  "vote_integrity_alert", "vote_quarantined",
                                  "vote_quarantine_released"}
    for name, spec in notify.EVENTS.items():
        assert spec.audiences == {notify.ORGANISERS} and spec.description, name
        for context in (notify.SAMPLE_CONTEXT, notify.LONGEST_CONTEXT):
            subject, body = render_default(spec, {**context, "event": name})
            assert subject.strip() and body.strip() and "{{" not in body, name


# --- the watch and the clock --------------------------------------------------------------


@pytest_asyncio.fixture
async def runtime(world: Any, vmeste_app: Any) -> Runtime:
    runtime: Runtime = vmeste_app.state.runtime
    assert Thresholds.of(runtime.settings) == DEFAULTS
    return runtime


async def sweep(runtime: Runtime, now: datetime) -> dict[str, int]:
    return (await run_watchdog(runtime, now))[VoteClock.name]


async def fan_out_votes(runtime: Runtime) -> int:
    """What the workers do with the votes' events: their notifications."""
    created = 0
    for message in await OutboxMessage.filter(topic=VOTE_EVENTS).order_by("id"):
        created += await runtime.topics[VOTE_EVENTS].handle(runtime, message.payload, False)
    return created


async def first_option(vote: Vote) -> int:
    option = await VoteOption.filter(vote_id=vote.id).order_by("position").first()
    assert option is not None
    return option.id


async def steady_then_burst(vote: Vote) -> None:
    """5 ballots a minute for 30 minutes in the city, then 200 in one minute."""
    option = await first_option(vote)
    for minute in range(30):
        for _ in range(5):
            await record_ballot(vote, [(option, 1)], minute=T0 + minute * M)
    for _ in range(200):
        await record_ballot(vote, [(option, 1)], minute=T0 + 30 * M)


async def test_a_burst_in_one_municipality_raises_one_alert_told_to_the_region(
        runtime, make_token):
    await make_token("regional_admin", territory=REGION_A, sub="kirov-admin")
    await make_token("regional_admin", territory=REGION_B, sub="sevastopol-admin")
    await make_token("federal_configurator", territory="RU", sub="federal")
    vote = await draft_vote(opened_at=T0, closes_at=T0 + 24 * 60 * M)
    await steady_then_burst(vote)

    assert await sweep(runtime, T0 + 31 * M + timedelta(seconds=5)) == {
        **NOTHING, "checks": 1, "alerts": 1}
    (alert,) = await IntegrityAlert.filter(vote_id=vote.id)
    assert (alert.territory_group, alert.minute, alert.ballots, alert.baseline,
            alert.threshold, alert.status) == (MUNICIPALITY_A, T0 + 30 * M, 200, 5.0, 13.0,
                                               AlertStatus.OPEN)
    (event,) = await VoteEvent.filter(vote_id=vote.id)
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "alert", "system:watchdog", "open", "open")
    refreshed = await Vote.get(id=vote.id)
    assert refreshed.status == VoteStatus.OPEN and refreshed.revision == vote.revision
    assert refreshed.next_check_at == T0 + 32 * M

    assert await fan_out_votes(runtime) == 1
    (told,) = await Notification.filter(subject_type="vote")
    assert told.event == "vote_integrity_alert" and told.subject_id == vote.id
    assert told.recipient_id == (await User.get(subject="kirov-admin")).id
    assert "200" in told.body and "город Киров" in told.subject and str(vote.id) in told.subject
    assert await fan_out_votes(runtime) == 0  # a redelivered message tells nobody twice

    # The next minutes are calm: no other alert, and the burst is not judged again.
    assert await sweep(runtime, T0 + 32 * M + timedelta(seconds=5)) == {**NOTHING, "checks": 1}
    assert await IntegrityAlert.filter(vote_id=vote.id).count() == 1


async def test_sweeps_twice_or_at_once_take_each_step_once(runtime):
    vote = await draft_vote(opened_at=T0, closes_at=T0 + 24 * 60 * M)
    await steady_then_burst(vote)
    moment = T0 + 31 * M + timedelta(seconds=5)
    results = await asyncio.gather(sweep(runtime, moment), sweep(runtime, moment))
    assert sorted(r["alerts"] for r in results) == [0, 1]
    assert sum(r["checks"] for r in results) == 1 and sum(r["failed"] for r in results) == 0
    assert await sweep(runtime, moment) == NOTHING  # not due before the next minute
    assert await IntegrityAlert.filter(vote_id=vote.id).count() == 1
    assert await VoteEvent.filter(vote_id=vote.id).count() == 1


async def test_a_stopped_scheduler_catches_up_a_window_a_sweep(runtime):
    vote = await draft_vote(opened_at=T0, closes_at=T0 + 24 * 60 * M)
    option = await first_option(vote)
    for minute in range(100):
        for _ in range(minute % 2):  # a ballot every other minute
            await record_ballot(vote, [(option, 1)], minute=T0 + minute * M)
    for _ in range(40):
        await record_ballot(vote, [(option, 1)], minute=T0 + 100 * M)
    late = T0 + 150 * M
    assert (await sweep(runtime, late))["alerts"] == 0
    assert (await Vote.get(id=vote.id)).next_check_at == T0 + 61 * M
    assert (await sweep(runtime, late))["alerts"] == 1
    assert (await IntegrityAlert.get(vote_id=vote.id)).minute == T0 + 100 * M
    assert (await sweep(runtime, late))["checks"] == 1
    assert (await Vote.get(id=vote.id)).next_check_at == T0 + 151 * M
    assert await sweep(runtime, late) == NOTHING


async def test_the_watchdog_closes_a_vote_at_closes_at_and_seals_the_board(
        runtime, make_token):
    await make_token("regional_admin", territory=REGION_A, sub="kirov-admin")
    closes = T0 + 10 * M + timedelta(seconds=30)
    vote = await draft_vote(opened_at=T0, closes_at=closes)
    option = await first_option(vote)
    ballots = [await record_ballot(vote, [(option, 1)], minute=T0 + k * M) for k in range(7)]

    assert await sweep(runtime, T0 + 10 * M + timedelta(seconds=1)) == {**NOTHING, "checks": 1}
    assert (await Vote.get(id=vote.id)).next_check_at == closes  # before the next minute

    moment = closes + timedelta(seconds=2)
    results = await asyncio.gather(sweep(runtime, moment), sweep(runtime, moment))
    assert sorted(r["closed"] for r in results) == [0, 1]
    closed = await Vote.get(id=vote.id)
    assert (closed.status, closed.closed_at, closed.next_check_at, closed.board_size) == (
        VoteStatus.CLOSED, moment, None, 7)
    assert closed.board_root == merkle.root_of(merkle.levels(sorted(b.receipt for b in ballots)))
    assert await Ballot.filter(vote_id=vote.id).count() == 7
    assert await sweep(runtime, moment + M) == NOTHING
    (event,) = await VoteEvent.filter(vote_id=vote.id)
    assert (event.action, event.actor, event.payload["board_size"]) == (
        "close", "system:watchdog", 7)

    assert await fan_out_votes(runtime) == 1
    (told,) = await Notification.filter(subject_type="vote")
    assert told.event == "vote_closed" and closed.board_root in told.body


async def test_only_open_votes_are_swept(runtime):
    for status in (VoteStatus.DRAFT, VoteStatus.CLOSED, VoteStatus.RESULTS_PUBLISHED):
        await draft_vote(status=status, closes_at=T0)
    assert await sweep(runtime, T0 + M) == NOTHING
    assert await VoteEvent.all().count() == 0
