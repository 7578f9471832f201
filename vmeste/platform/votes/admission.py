"""What a ballot must pass before it is written, online or on paper: the vote open at
this moment, the voter eligible on this day, every chosen option open to them, and the
vote's method satisfied. The checks read only; the writing is in
:mod:`vmeste.platform.votes.ballot_rows`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.participation import eligibility
from vmeste.platform.participation.eligibility import Facts, Rules
from vmeste.platform.policies.services import PolicyResolver, kind_of
from vmeste.platform.reference.models import PATH_SEPARATOR
from vmeste.platform.votes.access import visible_votes
from vmeste.platform.votes.methods import (
    Choice,
    MethodRequest,
    OptionFacts,
    VoteMethod,
    VoteRules,
)
from vmeste.platform.votes.models import Vote, VoteOption, VoteStatus

KIND = "vote_method"


def vote_not_found() -> DomainError:
    return DomainError.of("voteId", _("Vote not found"), ErrorCode.NOT_FOUND)


async def vote_of(principal: Principal, vote_id: int) -> Vote:
    """The vote with its audience territory (whose time zone the voting day is in),
    if the caller may see it (:func:`access.visible_votes`): a draft is ``NOT_FOUND``
    to anyone outside its organisers, as it is to ``vote(id:)``."""
    vote = await Vote.filter(visible_votes(principal), id=vote_id).select_related(
        "territory").first()
    if vote is None:
        raise vote_not_found()
    return vote


def is_open(vote: Vote, now: datetime) -> bool:
    """Opened and not closed, and ``now`` within ``[opensAt, closesAt)`` (the watchdog
    closes a vote at ``closesAt`` a moment later: a ballot in between is refused). A
    template is never voted in, only its instances."""
    return (vote.status == VoteStatus.OPEN and not vote.is_template
            and (vote.opens_at is None or vote.opens_at <= now)
            and (vote.closes_at is None or now < vote.closes_at))


def require_open(vote: Vote, now: datetime) -> None:
    if not is_open(vote, now):
        raise DomainError.of("voteId", _("The vote is not open for ballots"),
                             ErrorCode.VOTE_NOT_OPEN)


def rules_of(vote: Vote) -> Rules:
    """The eligibility rules a vote asks, in its audience territory's time zone."""
    return Rules(territory_path=vote.territory_path, timezone=vote.territory.timezone,
                 min_age=vote.min_age, verified_only=vote.verified_only)


def method_rules(vote: Vote) -> VoteRules:
    return VoteRules(max_choices=vote.max_choices, points=vote.points,
                     max_points_per_option=vote.max_points_per_option, budget=vote.budget,
                     min_budget_share=vote.min_budget_share, min_projects=vote.min_projects,
                     max_projects=vote.max_projects, winners_count=vote.winners_count)


@dataclass(frozen=True)
class Method:
    handler: VoteMethod
    settings: Mapping[str, Any]


async def method_of(resolver: PolicyResolver, vote: Vote) -> Method:
    """The vote's method and its settings in the vote's territory. A policy that
    switches the method off there afterwards refuses new votes (``createVote``), not
    the ballots of a vote already open: stopping a running vote is closing it, an
    audited step, not a policy's side effect. A method whose plugin is gone cannot
    count, so its vote takes no ballots."""
    spec = resolver.catalog.get((KIND, vote.method))
    if spec is None or spec.handler is None:
        raise DomainError.of("voteId", _("This vote's method is not installed"),
                             ErrorCode.VOTE_NOT_OPEN)
    code = vote.territory_path.rsplit(PATH_SEPARATOR, 1)[-1]
    for strategy in await resolver.resolve(code, KIND):
        if strategy.plugin == vote.method:
            return Method(spec.handler, strategy.settings)
    return Method(spec.handler, kind_of(resolver.pm, KIND).settings(spec, {}))


async def option_rows(vote: Vote) -> list[dict[str, Any]]:
    """What a ballot's check needs of the vote's options."""
    return list(await VoteOption.filter(vote_id=vote.id).values("id", "cost",
                                                                "territory_path"))


async def checked_content(resolver: PolicyResolver, vote: Vote, facts: Facts,
                          choices: Sequence[Choice],
                          rows: list[dict[str, Any]] | None = None
                          ) -> tuple[tuple[int, int], ...]:
    """The ballot's canonical content, or its problems: ``NOT_ELIGIBLE`` on ``choices``
    for an option limited to another sub-territory, then the method's own codes."""
    method = await method_of(resolver, vote)
    if rows is None:
        rows = await option_rows(vote)
    if len(choices) > max(len(rows), 1):  # each option at most once
        raise DomainError.of("choices", _("A ballot has more lines than the vote has options"),
                             ErrorCode.TOO_MANY_CHOICES)
    paths = {row["id"]: row["territory_path"] for row in rows}
    # An unknown option is the method's to refuse (UNKNOWN_OPTION).
    if not all(eligibility.may_choose(facts, paths.get(c.option_id)) for c in choices):
        raise eligibility.not_eligible(
            _("This option is open only to residents of its territory"), "choices")
    options = {row["id"]: OptionFacts(row["id"], row["cost"]) for row in rows}
    result = method.handler(MethodRequest(rules=method_rules(vote), options=options,
                                          choices=tuple(choices)), method.settings)
    if result.problems:
        raise DomainError(*result.problems)
    return result.content
