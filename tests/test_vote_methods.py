"""The built-in voting methods, on their handlers: every rule a vote's settings must
keep, every ballot rule with its refusal code, and the canonical content of a ballot
that keeps them (``vmeste.plugins.voting``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from vmeste.platform.errors import ErrorCode
from vmeste.platform.plugins import build_plugin_manager, strategy_catalog
from vmeste.platform.settings import load_settings
from vmeste.platform.strategies import call_signature, kind_registry
from vmeste.platform.votes.methods import (
    VOTE_METHOD_KIND,
    Choice,
    MethodRequest,
    MethodResult,
    OptionFacts,
    VoteMethod,
)
from vmeste.platform.votes.methods import VoteRules as Rules
from vmeste.plugins.voting import approval, budget, cumulative, single

OPTIONS = {1: OptionFacts(1), 2: OptionFacts(2), 3: OptionFacts(3)}
#: Projects costing 100, 200, 300 and 400 within a budget of 500.
PROJECTS = {n: OptionFacts(n, 100 * n) for n in (1, 2, 3, 4)}
BUDGET = Rules(budget=500)


def _ballot(handler: Any, rules: Rules, lines: list[tuple[int, int | None]],
            options: dict[int, OptionFacts] = OPTIONS) -> MethodResult:
    choices = [Choice(option, points) for option, points in lines]
    result: MethodResult = handler(MethodRequest(rules, options, choices), {})
    return result


def _codes(result: MethodResult) -> list[tuple[str | None, str]]:
    return [(p.field, p.code.value) for p in result.problems]


def _settings(handler: Any, rules: Rules, options: dict[int, OptionFacts] = OPTIONS
              ) -> list[tuple[str | None, str]]:
    return _codes(handler(MethodRequest(rules, options), {}))


def test_kind_vote_method() -> None:
    """The kind lists the four built-ins as switches, all on by default, each handler
    callable as the kind's Protocol."""
    pm = build_plugin_manager(load_settings({}))
    assert kind_registry(pm)["vote_method"] == VOTE_METHOD_KIND
    assert VOTE_METHOD_KIND.handler is VoteMethod
    assert list(call_signature(VoteMethod).parameters) == ["request", "settings"]
    built_in = {name: spec for (kind, name), spec in strategy_catalog(pm).items()
                if kind == "vote_method"}
    assert set(built_in) == {"single", "approval", "cumulative", "budget"}
    assert all(spec.default for spec in built_in.values())
    assert built_in["budget"].handler is budget


# --- what every method refuses ------------------------------------------------------------


@pytest.mark.parametrize("handler", [single, approval, cumulative, budget],
                         ids=["single", "approval", "cumulative", "budget"])
def test_every_method_refuses_empty_unknown_and_repeated_choices(handler: Any) -> None:
    rules = Rules(max_choices=3, points=5, budget=1000)
    options = {n: OptionFacts(n, 100) for n in (1, 2, 3)}
    assert _codes(_ballot(handler, rules, [], options)) == [("choices", "TOO_FEW_CHOICES")]
    points = 1 if handler is cumulative else None
    assert _codes(_ballot(handler, rules, [(9, points)], options)) == [
        ("choices", "UNKNOWN_OPTION")]
    assert ("choices", "INVALID") in _codes(_ballot(handler, rules, [(1, points), (1, points)],
                                                    options))


@pytest.mark.parametrize("handler", [single, approval, budget],
                         ids=["single", "approval", "budget"])
def test_points_are_refused_where_the_method_has_none(handler: Any) -> None:
    rules = Rules(max_choices=3, budget=1000)
    options = {n: OptionFacts(n, 100) for n in (1, 2, 3)}
    assert _codes(_ballot(handler, rules, [(1, 2)], options)) == [("choices", "INVALID_POINTS")]


# --- single -----------------------------------------------------------------------------------


def test_single_takes_exactly_one_option() -> None:
    assert _ballot(single, Rules(), [(2, None)]).content == ((2, 1),)
    assert _codes(_ballot(single, Rules(), [(1, None), (2, None)])) == [
        ("choices", "TOO_MANY_CHOICES")]


# --- approval ------------------------------------------------------------------------------


def test_approval_takes_one_to_max_choices_distinct_options() -> None:
    rules = Rules(max_choices=2)
    assert _ballot(approval, rules, [(3, None), (1, None)]).content == ((1, 1), (3, 1))
    assert _ballot(approval, rules, [(2, None)]).content == ((2, 1),)
    assert _codes(_ballot(approval, rules, [(1, None), (2, None), (3, None)])) == [
        ("choices", "TOO_MANY_CHOICES")]


def test_approval_needs_max_choices() -> None:
    assert _settings(approval, Rules()) == [("maxChoices", "REQUIRED")]
    assert _settings(approval, Rules(max_choices=0)) == [("maxChoices", "INVALID")]
    assert _settings(approval, Rules(max_choices=2)) == []


# --- cumulative -----------------------------------------------------------------------------


def test_cumulative_spreads_points_within_the_total_and_the_cap() -> None:
    rules = Rules(points=5, max_points_per_option=3)
    assert _ballot(cumulative, rules, [(2, 3), (1, 2)]).content == ((1, 2), (2, 3))
    assert _ballot(cumulative, rules, [(3, 1)]).content == ((3, 1),)
    for lines in ([(1, 3), (2, 3)],   # 6 points of 5
                  [(1, 4)],           # over the cap of 3
                  [(1, 0)],           # each line at least 1
                  [(1, -1), (2, 3)],
                  [(1, None)]):       # a line without points
        assert _codes(_ballot(cumulative, rules, lines)) == [("choices", "INVALID_POINTS")], lines


def test_cumulative_without_a_cap_allows_every_point_on_one_option() -> None:
    assert _ballot(cumulative, Rules(points=4), [(1, 4)]).content == ((1, 4),)
    assert _codes(_ballot(cumulative, Rules(points=4), [(1, 5)])) == [
        ("choices", "INVALID_POINTS")]


def test_cumulative_needs_points_and_a_cap_within_them() -> None:
    assert _settings(cumulative, Rules()) == [("points", "REQUIRED")]
    assert _settings(cumulative, Rules(points=0)) == [("points", "INVALID")]
    assert _settings(cumulative, Rules(points=5, max_points_per_option=6)) == [
        ("maxPointsPerOption", "INVALID")]
    assert _settings(cumulative, Rules(points=5, max_points_per_option=0)) == [
        ("maxPointsPerOption", "INVALID")]
    assert _settings(cumulative, Rules(points=5, max_points_per_option=5)) == []


# --- budget ---------------------------------------------------------------------------------


def test_budget_keeps_the_total_within_the_budget() -> None:
    assert _ballot(budget, BUDGET, [(4, None), (1, None)], PROJECTS).content == ((1, 1), (4, 1))
    assert _codes(_ballot(budget, BUDGET, [(3, None), (4, None)], PROJECTS)) == [
        ("choices", "BUDGET_EXCEEDED")]


def test_budget_spends_at_least_the_minimum_share() -> None:
    rules = replace(BUDGET, min_budget_share=0.7)
    assert _ballot(budget, rules, [(4, None)], PROJECTS).content == ((4, 1),)  # 400 of 500
    assert _codes(_ballot(budget, rules, [(3, None)], PROJECTS)) == [
        ("choices", "BUDGET_SHARE_TOO_LOW")]  # 300 < 350


def test_budget_counts_projects_within_the_bounds() -> None:
    rules = Rules(budget=1000, min_projects=2, max_projects=3)
    assert _codes(_ballot(budget, rules, [(4, None)], PROJECTS)) == [
        ("choices", "TOO_FEW_CHOICES")]
    assert _codes(_ballot(budget, rules, [(1, None), (2, None), (3, None), (4, None)],
                          PROJECTS)) == [("choices", "TOO_MANY_CHOICES")]
    assert _ballot(budget, rules, [(1, None), (2, None)], PROJECTS).content == ((1, 1), (2, 1))


def test_budget_needs_a_budget_and_a_cost_for_every_project() -> None:
    assert _settings(budget, Rules(), PROJECTS) == [("budget", "REQUIRED")]
    assert _settings(budget, Rules(budget=0), PROJECTS) == [("budget", "INVALID")]
    unpriced = {0: OptionFacts(0, 100), 1: OptionFacts(1)}
    assert _settings(budget, BUDGET, unpriced) == [("options.1.cost", "REQUIRED")]
    too_dear = {0: OptionFacts(0, 100), 1: OptionFacts(1, 501)}
    assert _settings(budget, BUDGET, too_dear) == [("options.1.cost", "INVALID")]
    assert _settings(budget, BUDGET, PROJECTS) == []


def test_budget_bounds_must_be_reachable() -> None:
    assert _settings(budget, replace(BUDGET, min_budget_share=1.5), PROJECTS) == [
        ("minBudgetShare", "INVALID")]
    cheap = {0: OptionFacts(0, 100), 1: OptionFacts(1, 100)}
    assert _settings(budget, replace(BUDGET, min_budget_share=0.5), cheap) == [
        ("minBudgetShare", "INVALID")]  # 200 in all cannot reach 250
    assert _settings(budget, replace(BUDGET, min_projects=5), PROJECTS) == [
        ("minProjects", "INVALID")]
    assert _settings(budget, replace(BUDGET, min_projects=3, max_projects=2), PROJECTS) == [
        ("maxProjects", "INVALID")]
    assert _settings(budget, replace(BUDGET, max_projects=0), PROJECTS) == [
        ("maxProjects", "INVALID")]


def test_budget_rules_some_ballot_can_meet() -> None:
    """Projects of 100, 200, 300 and 400 within 500: three of them cost 600 at least,
    and one spends 400 at most."""
    assert _settings(budget, replace(BUDGET, min_projects=3), PROJECTS) == [
        ("minProjects", "INVALID")]
    assert _settings(budget, replace(BUDGET, min_projects=2), PROJECTS) == []
    share = replace(BUDGET, min_budget_share=0.9)  # 450
    assert _settings(budget, replace(share, max_projects=1), PROJECTS) == [
        ("maxProjects", "INVALID")]
    assert _settings(budget, replace(share, max_projects=2), PROJECTS) == []
    # A template brings no projects: its rules alone are checked.
    assert _settings(budget, replace(share, min_projects=3, max_projects=3), {}) == []


# --- settings every method checks ---------------------------------------------------------


@pytest.mark.parametrize(("handler", "rules"), [
    (single, Rules()), (approval, Rules(max_choices=1)), (cumulative, Rules(points=3)),
    (budget, Rules(budget=10_000))], ids=["single", "approval", "cumulative", "budget"])
def test_winners_count_is_between_one_and_the_options(handler: Any, rules: Rules) -> None:
    assert _settings(handler, replace(rules, winners_count=4), PROJECTS) == []
    assert _settings(handler, replace(rules, winners_count=5), PROJECTS) == [
        ("winnersCount", "INVALID")]
    assert _settings(handler, replace(rules, winners_count=0), PROJECTS) == [
        ("winnersCount", "INVALID")]
    # A template without options is checked for its rules alone.
    assert _settings(handler, replace(rules, winners_count=3), {}) == []


def test_a_rule_the_method_does_not_use_is_refused() -> None:
    assert _settings(single, Rules(points=5, budget=100)) == [("points", "INVALID"),
                                                             ("budget", "INVALID")]
    assert _settings(approval, Rules(max_choices=2, min_projects=1)) == [
        ("minProjects", "INVALID")]
    assert _settings(budget, Rules(budget=500, max_choices=2), PROJECTS) == [
        ("maxChoices", "INVALID")]
    assert _settings(cumulative, Rules(points=3, min_budget_share=0.5)) == [
        ("minBudgetShare", "INVALID")]


def test_problems_carry_translated_messages_and_typed_codes() -> None:
    result = _ballot(budget, BUDGET, [(3, None), (4, None)], PROJECTS)
    problem = result.problems[0]
    assert problem.code is ErrorCode.BUDGET_EXCEEDED
    assert "700" in problem.message and "500" in problem.message
    assert result.content == ()

