"""The built-in voting methods: single choice, approval, cumulative points and budget.

Each handler answers two questions (:class:`vmeste.platform.votes.methods.VoteMethod`):
at ``createVote`` (``choices`` None), whether a vote's settings make sense for the
method; at casting, whether a ballot keeps the method's rules, and its canonical
content. A setting the method does not use is refused rather than stored, so a vote
never shows rules that nothing enforces.

The budget rules are Decidim's (a minimum share of the budget, a minimum and a maximum
number of projects) together with CONSUL's knapsack (the total cost within the budget).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from vmeste.platform.errors import ErrorCode, FieldError
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.i18n import N_, _
from vmeste.platform.votes.methods import VOTE_METHOD_KIND, MethodRequest, MethodResult, VoteRules

#: The API's name of each rule (``createVote``'s input fields).
RULE_FIELDS = {"max_choices": "maxChoices", "points": "points",
               "max_points_per_option": "maxPointsPerOption", "budget": "budget",
               "min_budget_share": "minBudgetShare", "min_projects": "minProjects",
               "max_projects": "maxProjects"}
CHOICES = "choices"

Problems = list[FieldError]


def _problem(field: str | None, message: str, code: ErrorCode = ErrorCode.INVALID
             ) -> FieldError:
    return FieldError(field, message, code)


# --- the vote's settings ----------------------------------------------------------------


def _settings_problems(rules: VoteRules, options: int, used: frozenset[str]) -> Problems:
    """What every method checks of a vote: no rule it does not use, and a number of
    winners the options can fill (a template without options is checked for its rules
    alone: its instances bring the options)."""
    problems = [_problem(RULE_FIELDS[name], _("This rule does not apply to the chosen method"))
                for name in RULE_FIELDS
                if name not in used and getattr(rules, name) is not None]
    if rules.winners_count < 1 or (options and rules.winners_count > options):
        problems.append(_problem("winnersCount", _("The number of winners is from 1 to the "
                                                   "number of options")))
    return problems


def _positive(rules: VoteRules, name: str, problems: Problems) -> int | None:
    """The rule's value if it is at least 1; a problem on its field otherwise."""
    value = getattr(rules, name)
    if value is None:
        problems.append(_problem(RULE_FIELDS[name], _("This method needs this rule"),
                                 ErrorCode.REQUIRED))
        return None
    if value < 1:
        problems.append(_problem(RULE_FIELDS[name], _("The value must be at least 1")))
        return None
    return int(value)


def _check_approval(request: MethodRequest) -> Problems:
    problems = _settings_problems(request.rules, len(request.options),
                                  frozenset({"max_choices"}))
    _positive(request.rules, "max_choices", problems)
    return problems


def _check_cumulative(request: MethodRequest) -> Problems:
    rules = request.rules
    problems = _settings_problems(rules, len(request.options),
                                  frozenset({"points", "max_points_per_option"}))
    points = _positive(rules, "points", problems)
    cap = rules.max_points_per_option
    if cap is not None and (cap < 1 or (points is not None and cap > points)):
        problems.append(_problem("maxPointsPerOption", _("The cap per option is from 1 to the "
                                                         "points a voter has")))
    return problems


def _check_budget(request: MethodRequest) -> Problems:
    rules = request.rules
    problems = _settings_problems(rules, len(request.options), frozenset(
        {"budget", "min_budget_share", "min_projects", "max_projects"}))
    budget = _positive(rules, "budget", problems)
    for number, (_id, option) in enumerate(sorted(request.options.items())):
        if option.cost is None:
            problems.append(_problem(f"options.{number}.cost", _("A project of a budget vote "
                                                                 "needs a cost"),
                                     ErrorCode.REQUIRED))
        elif option.cost < 0 or (budget is not None and option.cost > budget):
            problems.append(_problem(f"options.{number}.cost", _("A project's cost is from 0 "
                                                                 "to the budget")))
    share = rules.min_budget_share
    if share is not None and not 0 <= share <= 1:
        problems.append(_problem("minBudgetShare", _("The minimum share is from 0 to 1")))
    elif share and budget is not None and request.options and sum(
            o.cost or 0 for o in request.options.values()) < share * budget:
        problems.append(_problem("minBudgetShare", _("All the projects together cost less than "
                                                     "the minimum share of the budget")))
    low, high = rules.min_projects, rules.max_projects
    if low is not None and (low < 1 or (request.options and low > len(request.options))):
        problems.append(_problem("minProjects", _("The minimum number of projects is from 1 "
                                                  "to the number of projects")))
    if high is not None and (high < 1 or (low is not None and high < low)):
        problems.append(_problem("maxProjects", _("The maximum number of projects is at least "
                                                  "1 and at least the minimum")))
    if not problems and budget is not None:
        problems += _reachable(rules, budget, [o.cost or 0 for o in request.options.values()])
    return problems


def _reachable(rules: VoteRules, budget: int, costs: list[int]) -> Problems:
    """Rules that some ballot can meet: the ``minProjects`` cheapest projects fit the
    budget, and the ``maxProjects`` dearest reach its minimum share (a template brings
    no projects: its instances are checked)."""
    if not costs:
        return []
    costs = sorted(costs)
    low, high, share = rules.min_projects, rules.max_projects, rules.min_budget_share
    if low is not None and sum(costs[:low]) > budget:
        return [_problem("minProjects", _("The {count} cheapest projects together cost more "
                                          "than the budget: no ballot could choose enough",
                                          count=low))]
    if share and high is not None and sum(costs[-high:]) < share * budget:
        return [_problem("maxProjects", _("The {count} most expensive projects together cost "
                                          "less than the minimum share of the budget: no "
                                          "ballot could spend enough", count=high))]
    return []


# --- ballots ----------------------------------------------------------------------------


def _ballot_problems(request: MethodRequest, with_points: bool) -> Problems:
    """What every method refuses: an empty ballot, an option the vote lacks, an option
    twice, and points where the method has none."""
    choices = request.choices or ()
    if not choices:
        return [_problem(CHOICES, _("Choose at least one option"), ErrorCode.TOO_FEW_CHOICES)]
    if any(c.option_id not in request.options for c in choices):
        return [_problem(CHOICES, _("The vote has no such option"), ErrorCode.UNKNOWN_OPTION)]
    problems = []
    if any(count > 1 for count in Counter(c.option_id for c in choices).values()):
        problems.append(_problem(CHOICES, _("Each option can be chosen once")))
    if not with_points and any(c.points is not None for c in choices):
        problems.append(_problem(CHOICES, _("This vote does not take points"),
                                 ErrorCode.INVALID_POINTS))
    return problems


def _count_problems(count: int, low: int | None, high: int | None) -> Problems:
    if low is not None and count < low:
        return [_problem(CHOICES, _("Choose at least {count} options", count=low),
                         ErrorCode.TOO_FEW_CHOICES)]
    if high is not None and count > high:
        return [_problem(CHOICES, _("Choose at most {count} options", count=high),
                         ErrorCode.TOO_MANY_CHOICES)]
    return []


def _ballot_single(request: MethodRequest) -> Problems:
    return _count_problems(len(request.choices or ()), 1, 1)


def _ballot_approval(request: MethodRequest) -> Problems:
    return _count_problems(len(request.choices or ()), 1, request.rules.max_choices)


def _ballot_cumulative(request: MethodRequest) -> Problems:
    rules = request.rules
    total = rules.points or 0
    cap = rules.max_points_per_option or total
    given = [c.points for c in request.choices or ()]
    if any(p is None or p < 1 for p in given):
        return [_problem(CHOICES, _("Give each chosen option at least 1 point"),
                         ErrorCode.INVALID_POINTS)]
    if any(p is not None and p > cap for p in given):
        return [_problem(CHOICES, _("At most {points} points on one option", points=cap),
                         ErrorCode.INVALID_POINTS)]
    if sum(p or 0 for p in given) > total:
        return [_problem(CHOICES, _("At most {points} points in all", points=total),
                         ErrorCode.INVALID_POINTS)]
    return []


def _ballot_budget(request: MethodRequest) -> Problems:
    rules = request.rules
    chosen = request.choices or ()
    budget = rules.budget or 0
    spent = sum(request.options[c.option_id].cost or 0 for c in chosen)
    problems = _count_problems(len(chosen), rules.min_projects, rules.max_projects)
    if spent > budget:
        problems.append(_problem(CHOICES, _("The chosen projects cost {spent}, more than the "
                                            "budget of {budget}", spent=spent, budget=budget),
                                 ErrorCode.BUDGET_EXCEEDED))
    elif rules.min_budget_share and spent < rules.min_budget_share * budget:
        problems.append(_problem(CHOICES, _("Spend at least {share:.0%} of the budget",
                                            share=rules.min_budget_share),
                                 ErrorCode.BUDGET_SHARE_TOO_LOW))
    return problems


# --- the handlers -----------------------------------------------------------------------

Check = Callable[[MethodRequest], Problems]


def _method(check: Check, ballot: Check, *, with_points: bool
            ) -> Callable[[MethodRequest, Mapping[str, Any]], MethodResult]:
    """A handler from a method's settings check and its ballot rules."""

    def handle(request: MethodRequest, settings: Mapping[str, Any], /) -> MethodResult:
        if request.choices is None:
            return MethodResult(problems=tuple(check(request)))
        problems = _ballot_problems(request, with_points) or ballot(request)
        if problems:
            return MethodResult(problems=tuple(problems))
        content = sorted((c.option_id, c.points if with_points and c.points else 1)
                         for c in request.choices)
        return MethodResult(content=tuple(content))

    return handle


def _check_single(request: MethodRequest) -> Problems:
    return _settings_problems(request.rules, len(request.options), frozenset())


single = _method(_check_single, _ballot_single, with_points=False)
approval = _method(_check_approval, _ballot_approval, with_points=False)
cumulative = _method(_check_cumulative, _ballot_cumulative, with_points=True)
budget = _method(_check_budget, _ballot_budget, with_points=False)


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    kind = VOTE_METHOD_KIND.name
    return [
        StrategySpec(kind=kind, name="single", description=N_("One option"), handler=single,
                     default=True),
        StrategySpec(kind=kind, name="approval", description=N_("Up to maxChoices options"),
                     handler=approval, default=True),
        StrategySpec(kind=kind, name="cumulative",
                     description=N_("Points spread over options, at most maxPointsPerOption "
                                    "on one"), handler=cumulative, default=True),
        StrategySpec(kind=kind, name="budget",
                     description=N_("Projects whose total cost fits the budget"),
                     handler=budget, default=True),
    ]
