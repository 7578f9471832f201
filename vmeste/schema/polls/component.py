"""Polls' part of the schema."""

from __future__ import annotations

from vmeste.platform.polls.models import PollQuestion
from vmeste.schema.loaders import grouped
from vmeste.schema.parts import SchemaPart
from vmeste.schema.polls.mutations import PollsMutation
from vmeste.schema.polls.queries import PollsQuery

SCHEMA = SchemaPart(name="polls", query=PollsQuery, mutation=PollsMutation,
                    loaders={"poll_questions": lambda: grouped(PollQuestion, "poll_id")})
