"""Votes' part of the schema: one Query, Mutation and Subscription, each composed of
the area's mixins (the vote itself, ballots, results, integrity)."""

from __future__ import annotations

import strawberry

from vmeste.platform.votes.models import Vote, VoteOption
from vmeste.schema.loaders import by_id, grouped
from vmeste.schema.parts import SchemaPart
from vmeste.schema.votes.ballots import BallotsMutation, BallotsQuery
from vmeste.schema.votes.integrity import IntegrityMutation, IntegrityQuery
from vmeste.schema.votes.mutations import VotesMutation
from vmeste.schema.votes.queries import VotesQuery
from vmeste.schema.votes.results import VoteResultsQuery, VoteResultsSubscription


@strawberry.type
class Query(VotesQuery, BallotsQuery, VoteResultsQuery, IntegrityQuery):
    pass


@strawberry.type
class Mutation(VotesMutation, BallotsMutation, IntegrityMutation):
    pass


@strawberry.type
class Subscription(VoteResultsSubscription):
    pass


SCHEMA = SchemaPart(name="votes", query=Query, mutation=Mutation, subscription=Subscription,
                    loaders={"vote": lambda: by_id(Vote, lambda row: row),
                             "vote_options": lambda: grouped(VoteOption, "vote_id")})
