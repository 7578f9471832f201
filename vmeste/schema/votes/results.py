"""A vote's results in GraphQL: ``voteResults`` and, where the vote shows them live,
``voteResultsUpdated``.

The numbers come from the platform's counters (:mod:`vmeste.platform.votes.results`),
read in constant time; breakdowns hide small groups exactly as the CSV and the charts
do, and are empty while the vote is open (live totals, never live breakdowns). Before
publication only the organisers read results (FORBIDDEN for anyone else,
UNAUTHENTICATED when signed out), unless the vote shows live results to everyone.

The subscription polls the counters (one indexed read per subscriber every
``POLL_SECONDS``) and sends the results whenever they changed, the current ones
first; that works across API pods without a pub/sub bus, as the audit trail's does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Self

import strawberry
from strawberry import relay

from vmeste.platform.errors import DomainError, ErrorCode, Forbidden, Unauthenticated
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.votes import results
from vmeste.platform.votes.http import results_path
from vmeste.platform.votes.models import Vote, VoteStatus
from vmeste.schema.errors import global_pk

POLL_SECONDS = 3.0
#: Groups a breakdown answers unless ``limit`` asks for more: a country's regions fit,
#: and the whole contract query (options, winners, a breakdown with every option)
#: stays within an anonymous caller's cost budget at the default page cap, since the
#: cost model prices a breakdown at ``limit`` groups times every option.
DEFAULT_GROUPS = 90

VoteBreakdownBy = strawberry.enum(results.Dimension, name="VoteBreakdownBy",
                                  description="What a breakdown groups participants by.")


def option_id(pk: int) -> strawberry.ID:
    return strawberry.ID(relay.to_base64("VoteOption", pk))


@strawberry.type(description="An option's totals.")
class VoteOptionResult:
    id: strawberry.ID = strawberry.field(description="The option's global id (VoteOption).")
    title: str
    votes: int = strawberry.field(description="Ballots that chose the option.")
    points: int = strawberry.field(description="Points given to it (cumulative votes; "
                                               "equal to votes for other methods).")

    @classmethod
    def of(cls, option: results.OptionResult) -> Self:
        return cls(id=option_id(option.id), title=option.title, votes=option.votes,
                   points=option.points)


@strawberry.type(description="An option's votes within one group; null where the group "
                             "is suppressed.")
class VoteGroupOption:
    id: strawberry.ID
    votes: int | None


@strawberry.type(description="One group of a breakdown. A suppressed group (too few "
                             "participants, or hidden with such a group so that totals "
                             "cannot give it back) shows no numbers at all.")
class VoteGroupResult:
    group: str = strawberry.field(description="An age band, a gender (male, female, "
                                              "unknown) or a territory code.")
    participants: int | None
    suppressed: bool
    options: list[VoteGroupOption]

    @classmethod
    def of(cls, group: results.GroupResult, option_ids: list[int]) -> Self:
        votes = group.votes
        return cls(group=group.group, participants=group.participants,
                   suppressed=group.suppressed,
                   options=[VoteGroupOption(id=option_id(pk),
                                            votes=None if votes is None else votes[pk])
                            for pk in option_ids])


@strawberry.type(description="A vote's results: totals, winners and breakdowns.")
class VoteResults:
    vote_id: strawberry.ID = strawberry.field(description="The vote's global id (Vote).")
    total_ballots: int = strawberry.field(description="Ballots counted (quarantined ones "
                                                      "are not).")
    options: list[VoteOptionResult] = strawberry.field(description="In ballot order.")
    winners: list[VoteOptionResult] = strawberry.field(
        description="By the vote's rule: the top winnersCount for single, approval and "
                    "cumulative votes; GREEDY or EQUAL_SHARES for budget votes.")
    row: strawberry.Private[Vote]
    data: strawberry.Private[results.VoteResults]

    @classmethod
    def of(cls, vote: Vote, data: results.VoteResults) -> Self:
        by_id = {option.id: VoteOptionResult.of(option) for option in data.options}
        return cls(vote_id=strawberry.ID(relay.to_base64("Vote", vote.id)),
                   total_ballots=data.total_ballots, options=list(by_id.values()),
                   winners=[by_id[pk] for pk in data.winners], row=vote, data=data)

    @strawberry.field(description="Participants and votes per group of one dimension, "
                                  "in order (age bands youngest first, territories by "
                                  "code, the unknown group last); at most `limit` groups. "
                                  "Empty while the vote is OPEN, for everyone: two reads "
                                  "of a running breakdown would show the groups of the "
                                  "ballots cast in between.")
    async def breakdown(self, by: VoteBreakdownBy,  # type: ignore[valid-type]
                        limit: int = DEFAULT_GROUPS) -> list[VoteGroupResult]:
        ids = [option.id for option in self.data.options]
        groups = await results.breakdown(self.row, results.Dimension(by), ids)
        return [VoteGroupResult.of(group, ids) for group in groups[:max(limit, 0)]]

    def _url(self, kind: str) -> str | None:
        published = self.row.status == VoteStatus.RESULTS_PUBLISHED
        return results_path(self.row.id, kind) if published else None

    @strawberry.field(description="The SVG chart's stable URL (a path on this server): "
                                  "bars per option, or a breakdown's with `by`; null "
                                  "until the results are published.")
    def chart_url(self, by: VoteBreakdownBy | None = None) -> str | None:  # type: ignore[valid-type]
        if by is None:
            return self._url("results.svg")
        return self._url(f"breakdown/{results.Dimension(by).value}.svg")

    @strawberry.field(description="The CSV of the totals and every breakdown; null until "
                                  "published.")
    def csv_url(self) -> str | None:
        return self._url("results.csv")

    @strawberry.field(description="The ballots in the Pabulib format (.pb); null until "
                                  "published.")
    def pabulib_url(self) -> str | None:
        return self._url("results.pb")


async def readable_vote(principal: Principal, vote_id: relay.GlobalID) -> Vote:
    """The vote, if the caller may read its results now."""
    pk = global_pk(vote_id, "Vote", field="voteId", message=_("This is not a vote's id"))
    vote = await Vote.get_or_none(id=pk)
    if vote is None:
        raise DomainError.of("voteId", _("There is no such vote"), ErrorCode.NOT_FOUND)
    if not results.may_see_results(principal, vote):
        if not principal.authenticated:
            raise Unauthenticated()
        raise Forbidden(_("The results of this vote are not published yet"))
    return vote


@strawberry.type
class VoteResultsQuery:
    @strawberry.field(description="A vote's results: everyone's once published (and while "
                                  "a vote with live results runs), the organisers' before.")
    async def vote_results(self, info: strawberry.Info, vote_id: relay.GlobalID
                           ) -> VoteResults:
        vote = await readable_vote(info.context.principal, vote_id)
        return VoteResults.of(vote, await results.vote_results(vote))


@strawberry.type
class VoteResultsSubscription:
    @strawberry.subscription(description="A vote's results now, then again whenever they "
                                         "change; only for a vote with live results.")
    async def vote_results_updated(self, info: strawberry.Info, vote_id: relay.GlobalID
                                   ) -> AsyncGenerator[VoteResults, None]:
        vote = await readable_vote(info.context.principal, vote_id)
        if not vote.live_results:
            raise DomainError.of("voteId", _("This vote does not show live results"),
                                 ErrorCode.INVALID)
        seen = None
        while True:
            state = await results.counter_state(vote)
            if state != seen:
                seen = state
                vote = await Vote.get(id=vote.id)  # its status moves on as the vote runs
                yield VoteResults.of(vote, await results.vote_results(vote))
            await asyncio.sleep(POLL_SECONDS)
