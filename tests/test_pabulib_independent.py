"""A Pabulib export read by an independent implementation gives the platform's winners.

pabutools (GPL, a test-only dependency: never imported from ``vmeste``) parses the
exported file and computes greedy (``greedy_utilitarian_welfare`` with cost
satisfaction: projects by votes) and the method of equal shares (``Cost_Sat``)
completed greedily, on random budget votes. Both sides break ties by the ballot order,
which the file lists its projects in. The platform never funds a project nobody voted
for, while pabutools' greedy would fill what budget is left with one; such projects
are taken out of pabutools' instance, as the only difference in the rules.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from pabutools.election import Cost_Sat
from pabutools.election.pabulib import parse_pabulib_from_string
from pabutools.rules import (
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)
from pabutools.tiebreaking import TieBreakingRule

from tests.test_vote_exports import sections
from tests.vote_world import draft_vote, record_ballot
from vmeste.platform.votes.models import Vote, VoteOption, WinnerRule
from vmeste.platform.votes.pabulib import pabulib
from vmeste.platform.votes.results import vote_results


async def random_budget_vote(rng: random.Random, rule: WinnerRule) -> Vote:
    vote = await draft_vote(method="budget", options=0, budget=rng.randint(300, 1500),
                            winner_rule=rule)
    # Few distinct costs and few voters, so ties (of votes, and of equal shares' rho)
    # happen and the tie-breaking is compared too.
    costs = [rng.choice((100, 150, 200, 300, 450, 600)) for _ in range(rng.randint(3, 8))]
    projects = [await VoteOption.create(vote=vote, position=i, title=f"Проект {i}", cost=c)
                for i, c in enumerate(costs)]
    # Two camps of voters, each mostly for its own projects, as where a majority and a
    # minority want different things (what the two rules divide differently).
    split = rng.randint(1, len(projects) - 1)
    camps = (projects[:split], projects[split:])
    for _ in range(rng.randint(4, 30)):
        own = camps[rng.random() < 0.3]
        pool = own if rng.random() < 0.8 else projects
        chosen = rng.sample(pool, rng.randint(1, min(4, len(pool))))
        await record_ballot(vote, [(p.id, 1) for p in chosen])
    return vote


def independent_winners(text: str, rule: WinnerRule) -> set[str]:
    instance, profile = parse_pabulib_from_string(text)
    order = [row[0] for row in sections(text)["PROJECTS"][1:]]
    ballot_order = TieBreakingRule(lambda inst, prof, project: order.index(project.name))
    supported = {project for ballot in profile for project in ballot}
    for project in [p for p in instance if p not in supported]:
        instance.remove(project)
    params = {"sat_class": Cost_Sat, "tie_breaking": ballot_order}
    if rule is WinnerRule.GREEDY:
        chosen = greedy_utilitarian_welfare(instance, profile, **params)
    else:
        chosen = completion_by_rule_combination(
            instance, profile, [method_of_equal_shares, greedy_utilitarian_welfare],
            [params, params])
    return {project.name for project in chosen}


@pytest.mark.parametrize("rule", list(WinnerRule))
async def test_pabutools_finds_the_platforms_winners(world: Any, rule: WinnerRule) -> None:
    rng = random.Random(f"pabulib-{rule.value}")
    differs = 0
    for _ in range(8):
        vote = await random_budget_vote(rng, rule)
        results = await vote_results(vote)
        text = await pabulib(vote, results)
        assert independent_winners(text, rule) == {str(w) for w in results.winners}
        selected = {row[0] for row in sections(text)["PROJECTS"][1:] if row[-1] == "1"}
        assert selected == {str(w) for w in results.winners}
        other = WinnerRule.GREEDY if rule is WinnerRule.EQUAL_SHARES else WinnerRule.EQUAL_SHARES
        vote.winner_rule = other
        differs += set((await vote_results(vote)).winners) != set(results.winners)
    # The instances are not all ones where the two rules agree anyway.
    assert differs > 0
