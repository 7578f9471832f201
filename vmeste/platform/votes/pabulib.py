"""A vote in the Pabulib format (``.pb``), the open data format of participatory
budgeting that pabutools and the equalshares.net tools read.

Three sections, each a ``;``-separated table with a header row: ``META`` (``key;value``),
``PROJECTS`` (``project_id;cost;votes[;score];name;selected``) and ``VOTES``
(``voter_id;vote[;points]``, lists inside a cell separated by ``,``). Only counted
ballots are written (none held in a quarantine), under sequential voter ids in the
order of the ballots' random ids, and without a single demographic column: the file
is public, and a ballot beside an age and a district could be a person's.

A budget vote is an ``approval`` vote on projects with their costs; the other methods
are written as Pabulib writes top-``k`` votes, every option costing 1 within a budget
of ``winnersCount``, so a greedy rule elects the same options the platform does.
``selected`` marks the platform's winners.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from fractions import Fraction

from vmeste.platform.reference.models import Territory
from vmeste.platform.votes.models import Vote, WinnerRule
from vmeste.platform.votes.results import (
    BUDGET,
    CUMULATIVE,
    VoteResults,
    ballots,
    vote_results,
)

COUNTRY = "Russia"
SINGLE = "single"
#: Pabulib's ``vote_type`` for each method; other (third-party) methods are approvals.
VOTE_TYPES = {SINGLE: "choose-1", CUMULATIVE: "cumulative"}
RULES = {WinnerRule.GREEDY: "greedy", WinnerRule.EQUAL_SHARES: "equalshares"}


def _cell(text: str) -> str:
    """One line: a cell's text may not break the file's lines."""
    return " ".join(text.split())


def _day(moment: datetime | None) -> str | None:
    return moment.strftime("%d.%m.%Y") if moment else None


def meta(vote: Vote, unit: str, projects: int, voters: int) -> list[tuple[str, object]]:
    """The ``META`` rows: what the vote was and the rules its ballots followed."""
    budget_vote = vote.method == BUDGET
    rows: list[tuple[str, object | None]] = [
        ("description", _cell(vote.title)),
        ("country", COUNTRY),
        ("unit", _cell(unit)),
        ("instance", vote.id),
        ("num_projects", projects),
        ("num_votes", voters),
        ("budget", (vote.budget or 0) if budget_vote else vote.winners_count),
        ("vote_type", VOTE_TYPES.get(vote.method, "approval")),
        ("rule", RULES[vote.winner_rule] if budget_vote else "greedy"),
        ("date_begin", _day(vote.opened_at or vote.opens_at)),
        ("date_end", _day(vote.closed_at or vote.closes_at)),
        ("language", "ru"),
    ]
    if budget_vote:
        rows += [("currency", "RUB"), ("min_length", vote.min_projects),
                 ("max_length", vote.max_projects), ("max_sum_cost", vote.budget)]
        if vote.min_budget_share and vote.budget:
            share = Fraction(str(vote.min_budget_share)) * vote.budget
            rows.append(("min_sum_cost", math.ceil(share)))
    elif vote.method == CUMULATIVE:
        rows += [("max_sum_points", vote.points), ("max_points", vote.max_points_per_option)]
    elif vote.method != SINGLE:
        rows.append(("max_length", vote.max_choices))
    return [(key, value) for key, value in rows if value is not None]


def _projects(vote: Vote, results: VoteResults) -> Iterable[Sequence[object]]:
    cumulative = vote.method == CUMULATIVE
    winners = set(results.winners)
    yield ("project_id", "cost", "votes", *(("score",) if cumulative else ()), "name",
           "selected")
    for option in results.options:
        cost = (option.cost or 0) if vote.method == BUDGET else 1
        yield (option.id, cost, option.votes, *((option.points,) if cumulative else ()),
               _cell(option.title), int(option.id in winners))


async def _votes(vote: Vote) -> tuple[str, int]:
    """The ``VOTES`` section and how many ballots it holds (what ``num_votes`` says, so
    the file agrees with itself even were the counters to disagree with the ballots)."""
    cumulative = vote.method == CUMULATIVE
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(("VOTES",))
    writer.writerow(("voter_id", "vote", *(("points",) if cumulative else ())))
    voters = 0
    async for row in ballots(vote, "choices"):
        choices: list[list[int]] = row["choices"]  # type: ignore[assignment]
        voters += 1
        chosen = ",".join(str(option) for option, _ in choices)
        points = ",".join(str(given) for _, given in choices)
        writer.writerow((voters, chosen, *((points,) if cumulative else ())))
    return out.getvalue(), voters


async def pabulib(vote: Vote, results: VoteResults | None = None) -> str:
    """The whole file; ``results`` when the caller has them already."""
    results = results or await vote_results(vote)
    territory = await Territory.get(id=vote.territory_id)
    votes, voters = await _votes(vote)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(("META",))
    writer.writerow(("key", "value"))
    writer.writerows(meta(vote, territory.name, len(results.options), voters))
    writer.writerow(("PROJECTS",))
    writer.writerows(_projects(vote, results))
    return out.getvalue() + votes
