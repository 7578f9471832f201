"""A vote's results, read from its counters in constant time.

Casting adds each ballot to sharded counters (:mod:`vmeste.platform.participation.
tallies`), so the results are one summing read per dimension whatever the number of
ballots: the whole (total ballots, each option's votes and points), then one for each
breakdown asked for. Quarantined ballots were taken back from the counters, so what is
read is what counts. Only the method of equal shares reads the ballots themselves, as
it must: it depends on who approved what together, not on totals; once the board is
sealed its winners are kept per process (:mod:`vmeste.platform.votes.sealed`).

Breakdowns are empty while the vote is open (two reads would isolate the ballots cast
in between), and hide small groups (complementary suppression, see
:mod:`vmeste.platform.participation.suppression`): a hidden group shows no numbers at
all, not its participants and not its votes. GraphQL, CSV and charts all take their
breakdowns from :func:`breakdown`, so they hide the same groups.

:func:`recount` counts the same totals again from the ballot table, for the check that
the counters and the ballots agree.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tortoise.expressions import Q

from vmeste.platform.identity.principal import Principal
from vmeste.platform.participation import tallies
from vmeste.platform.participation.demographics import GENDERS, UNKNOWN
from vmeste.platform.participation.tallies import PARTICIPANTS, Total
from vmeste.platform.suppression import suppressed
from vmeste.platform.votes import merkle, winners
from vmeste.platform.votes.access import may_read_results
from vmeste.platform.votes.counting import SUBJECT_TYPE, ballot_counts, ballot_groups
from vmeste.platform.votes.models import Ballot, Vote, VoteOption, VoteStatus, WinnerRule
from vmeste.platform.votes.sealed import Recent

#: Ballots read at a time where ballots must be read (equal shares, recount, exports).
BATCH = 5000
#: Sealed boards whose equal-shares winners are kept (a few ids each).
SEALED_WINNERS = 256
_sealed_winners: Recent[tuple[int, str], tuple[int, ...]] = Recent(SEALED_WINNERS)
CUMULATIVE, BUDGET = "cumulative", "budget"


class Dimension(StrEnum):
    """The published breakdowns (the tallies also keep age band × gender cells, for
    weighting, which are not published)."""

    AGE_BAND = "age_band"
    GENDER = "gender"
    TERRITORY = "territory"


@dataclass(frozen=True)
class OptionResult:
    id: int
    position: int
    title: str
    cost: int | None
    #: Ballots that chose it.
    votes: int
    #: Points given to it (cumulative votes; 1 a ballot elsewhere, so equal to votes).
    points: int


@dataclass(frozen=True)
class VoteResults:
    vote_id: int
    total_ballots: int
    #: In ballot order (position, then id).
    options: tuple[OptionResult, ...]
    #: Winning option ids, in the order the rule chose them.
    winners: tuple[int, ...]


@dataclass(frozen=True)
class GroupResult:
    group: str
    suppressed: bool
    #: None when suppressed.
    participants: int | None
    #: Option id → votes in the group, in ballot order; None when suppressed.
    votes: dict[int, int] | None


def counted_ballots() -> Q:
    """Ballots that count: not held in a quarantine (or held in one since released)."""
    return Q(quarantine_id__isnull=True) | Q(quarantine__released_at__isnull=False)


async def ballots(vote: Vote, *fields: str) -> AsyncIterator[dict[str, object]]:
    """The counted ballots' ``fields``, in batches, ordered by their random ids (an
    order that says nothing of when they were cast)."""
    after = None
    while True:
        query = Ballot.filter(counted_ballots(), vote_id=vote.id)
        if after is not None:
            query = query.filter(id__gt=after)
        rows = await query.order_by("id").limit(BATCH).values("id", *fields)
        for row in rows:
            yield row
        if len(rows) < BATCH:
            return
        after = rows[-1]["id"]


async def options_of(vote: Vote) -> list[dict[str, object]]:
    return await VoteOption.filter(vote_id=vote.id).order_by("position", "id").values(
        "id", "position", "title", "cost")


async def vote_results(vote: Vote) -> VoteResults:
    """Totals and winners: two reads (options, counters), plus the ballots for a budget
    vote decided by equal shares."""
    options = await options_of(vote)
    whole = await tallies.totals(SUBJECT_TYPE, vote.id)
    results = []
    for option in options:
        total = whole.get(("", str(option["id"])), Total(0, 0))
        results.append(OptionResult(
            id=int(option["id"]), position=int(option["position"]),  # type: ignore[call-overload]
            title=str(option["title"]), cost=option["cost"],  # type: ignore[arg-type]
            votes=total.count, points=total.amount))
    total_ballots = whole.get(("", PARTICIPANTS), Total(0, 0)).count
    return VoteResults(vote_id=vote.id, total_ballots=total_ballots, options=tuple(results),
                       winners=tuple(await _winners(vote, results)))


async def _winners(vote: Vote, options: Sequence[OptionResult]) -> list[int]:
    if vote.method != BUDGET:
        return winners.top([winners.Candidate(o.id, o.position, o.points if vote.method ==
                                              CUMULATIVE else o.votes) for o in options],
                           vote.winners_count)
    projects = [winners.Project(o.id, o.position, o.cost or 0, o.votes) for o in options]
    if vote.winner_rule == WinnerRule.EQUAL_SHARES:
        return await _equal_shares(vote, projects)
    return winners.greedy(projects, vote.budget or 0)


async def _equal_shares(vote: Vote, projects: list[winners.Project]) -> list[int]:
    """Equal shares read every ballot, so a sealed board's winners are kept per process
    under the vote and its root (a chart or a subscription tick then reads no ballot).
    They are kept only if the ballots read are the sealed board's, checked by its root:
    a quarantine sealing a new board meanwhile must not leave them under the old one."""
    sealed = (vote.status in (VoteStatus.CLOSED, VoteStatus.RESULTS_PUBLISHED)
              and vote.board_root is not None)
    key = (vote.id, vote.board_root or "")
    known = _sealed_winners.get(key) if sealed else None
    if known is not None:
        return list(known)
    approvals, receipts = [], []
    async for row in ballots(vote, "choices", "receipt"):
        approvals.append(frozenset(int(option) for option, _ in row["choices"]))  # type: ignore[attr-defined]
        receipts.append(str(row["receipt"]))
    found = winners.equal_shares(projects, approvals, vote.budget or 0)
    if sealed and merkle.root_of(merkle.levels(sorted(receipts))) == vote.board_root:
        _sealed_winners.put(key, tuple(found))
    return found


def _group_order(by: Dimension, group: str) -> tuple[int, int, str]:
    """Age bands youngest first, genders as :data:`GENDERS` lists them, territories by
    code; the unknown group last."""
    if group == UNKNOWN:
        return (1, 0, "")
    if by is Dimension.AGE_BAND:
        low = re.match(r"\d+", group)
        return (0, int(low.group()) if low else 0, group)
    if by is Dimension.GENDER:
        return (0, GENDERS.index(group) if group in GENDERS else len(GENDERS), group)
    return (0, 0, group)


async def breakdown(vote: Vote, by: Dimension, option_ids: Sequence[int] | None = None
                    ) -> list[GroupResult]:
    """Each group of ``by`` that has participants: their number and each option's votes,
    or neither where the group is suppressed (fewer than ``vote.min_group_size``
    participants, or hidden with one such, so the total cannot give it back).

    Nothing while the vote is open: between two reads of a running breakdown the one
    ballot cast in between shows up in its groups, beside its age band, gender and
    territory, so a breakdown is read only once the ballots are all in."""
    if vote.status == VoteStatus.OPEN:
        return []
    if option_ids is None:
        option_ids = [int(o["id"]) for o in await options_of(vote)]  # type: ignore[call-overload]
    rows = await tallies.totals(SUBJECT_TYPE, vote.id, by.value)
    participants = {group: total.count for (group, key), total in rows.items()
                    if key == PARTICIPANTS and total.count > 0}
    hidden = suppressed(participants, vote.min_group_size)
    found = []
    for group in sorted(participants, key=lambda g: _group_order(by, g)):
        if group in hidden:
            found.append(GroupResult(group, True, None, None))
            continue
        votes = {option: rows.get((group, str(option)), Total(0, 0)).count
                 for option in option_ids}
        found.append(GroupResult(group, False, participants[group], votes))
    return found


Counters = dict[str, dict[tuple[str, str], Total]]
#: Every dimension the counters keep, the whole (``""``) first.
COUNTED_DIMENSIONS = ("", *tallies.DIMENSIONS)


async def counters(vote: Vote) -> Counters:
    """What the counters hold, per dimension, without the rows summing to nothing (a
    group whose ballots were all quarantined)."""
    found: Counters = {}
    for dimension in COUNTED_DIMENSIONS:
        rows = await tallies.totals(SUBJECT_TYPE, vote.id, dimension)
        found[dimension] = {key: total for key, total in rows.items()
                            if total.count or total.amount}
    return found


async def recount(vote: Vote) -> Counters:
    """The counters computed again from the counted ballots, through the one definition
    casting uses (:mod:`vmeste.platform.votes.counting`): equal to :func:`counters` when
    nothing was lost or counted twice."""
    sums: dict[str, dict[tuple[str, str], list[int]]] = {
        dimension: defaultdict(lambda: [0, 0]) for dimension in COUNTED_DIMENSIONS}
    async for row in ballots(vote, "choices", "age_band", "gender", "territory_group"):
        groups = ballot_groups(str(row["age_band"]), str(row["gender"]),
                               str(row["territory_group"]))
        for count in ballot_counts(row["choices"]):  # type: ignore[arg-type]
            for dimension, group in (("", ""), *groups.items()):
                cell = sums[dimension][(group, count.key)]
                cell[0] += count.count
                cell[1] += count.amount
    return {dimension: {key: Total(c, a) for key, (c, a) in rows.items() if c or a}
            for dimension, rows in sums.items()}


async def counter_state(vote: Vote) -> frozenset[tuple[str, int, int]]:
    """The whole's counters in one read: what a live subscriber compares to see
    whether anything changed."""
    rows = await tallies.totals(SUBJECT_TYPE, vote.id)
    return frozenset((key, total.count, total.amount) for (_, key), total in rows.items())


def live_now(vote: Vote) -> bool:
    """A vote whose organiser chose live results shows its running totals to everyone
    while it is open and once closed (what the subscription streams)."""
    return vote.live_results and vote.status in (VoteStatus.OPEN, VoteStatus.CLOSED)


def may_see_results(principal: Principal, vote: Vote) -> bool:
    """Who reads results now: whoever may read them (published: everyone; before:
    the organisers), and everyone for a vote with live results."""
    return live_now(vote) or may_read_results(principal, vote)
