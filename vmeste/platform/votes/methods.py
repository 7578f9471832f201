"""The ``vote_method`` strategy kind: what a ballot of a method may hold.

A method is a strategy like any other: the built-ins (``single``, ``approval``,
``cumulative``, ``budget``, in :mod:`vmeste.plugins.voting`) register through
``vmeste_strategies`` as a third party's would. Every installed method is available
everywhere by default; a region policy of kind ``vote_method`` can switch a method
off in its territory (a region that runs no budget votes, say), and ``createVote``
then refuses it there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from vmeste.platform.errors import FieldError
from vmeste.platform.strategies import Mode, StrategyKind


@dataclass(frozen=True)
class VoteRules:
    """A vote's method settings, as ``createVote`` takes them."""

    max_choices: int | None = None
    points: int | None = None
    max_points_per_option: int | None = None
    budget: int | None = None
    min_budget_share: float | None = None
    min_projects: int | None = None
    max_projects: int | None = None
    winners_count: int = 1


@dataclass(frozen=True)
class OptionFacts:
    id: int
    cost: int | None = None


@dataclass(frozen=True)
class Choice:
    """One line of a ballot as sent: an option and, for cumulative votes, points."""

    option_id: int
    points: int | None = None


@dataclass(frozen=True)
class MethodRequest:
    """What a method is asked: a vote's settings (``choices`` None: at creation) or a
    ballot (``choices``: the lines sent). ``options`` are all of the vote's options;
    one the voter may not choose, being limited to another sub-territory, is refused
    as ``NOT_ELIGIBLE`` by the casting before the method is asked."""

    rules: VoteRules
    options: Mapping[int, OptionFacts]
    choices: Sequence[Choice] | None = None


@dataclass(frozen=True)
class MethodResult:
    """Problems as typed field errors (the codes of
    :class:`vmeste.platform.errors.ErrorCode`: ``TOO_MANY_CHOICES``,
    ``BUDGET_EXCEEDED``, …) and, for a ballot without problems, its canonical content:
    ``(option_id, points)`` sorted by option, 1 point a line where the method has no
    points."""

    problems: tuple[FieldError, ...] = ()
    content: tuple[tuple[int, int], ...] = ()


class VoteMethod(Protocol):
    """A method's rules for a vote's settings and for its ballots; bad input is a
    problem in the result, never an exception."""

    def __call__(self, request: MethodRequest, settings: Mapping[str, Any], /
                 ) -> MethodResult: ...


VOTE_METHOD_KIND = StrategyKind(
    name="vote_method",
    description="Voting methods a territory's votes may use (single, approval, cumulative, "
                "budget); a policy switches a method off in its subtree.",
    handler=VoteMethod, mode=Mode.SWITCHES)
