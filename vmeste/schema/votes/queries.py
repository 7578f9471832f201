"""Reading votes: one by id, or a page of those the caller may see."""

from __future__ import annotations

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from vmeste.platform.i18n import _
from vmeste.platform.reference.models import within_territory
from vmeste.platform.votes import access, models
from vmeste.schema.compiled.declare import rows
from vmeste.schema.context import Context
from vmeste.schema.errors import global_pk
from vmeste.schema.pagination import CountedConnection, paginate
from vmeste.schema.votes.types import Vote, VoteStatus


def vote_pk(value: relay.GlobalID, field: str = "id") -> int:
    """The key of a vote's global id (``INVALID`` on ``field`` for anything else)."""
    return global_pk(value, "Vote", field=field, message=_("This is not a vote's id"))


def option_pk(value: relay.GlobalID, field: str = "optionId") -> int:
    """The key of a vote option's global id."""
    return global_pk(value, "VoteOption", field=field,
                     message=_("This is not a vote option's id"))


@strawberry.input
class VoteFilter:
    territory_code: str | None = strawberry.field(
        default=None, description="Votes whose audience is exactly this territory.")
    within_code: str | None = strawberry.field(
        default=None, description="Votes whose audience lies in this territory or inside it.")
    status: list[VoteStatus] | None = None  # type: ignore[valid-type]
    is_template: bool | None = None


async def vote_rows(context: Context, id: relay.GlobalID) -> QuerySet[models.Vote]:
    return models.Vote.filter(access.visible_votes(context.principal), id=vote_pk(id))


async def votes_rows(context: Context, filter: VoteFilter | None = None
                     ) -> QuerySet[models.Vote]:
    query = models.Vote.filter(access.visible_votes(context.principal))
    if filter is None:
        return query
    if filter.territory_code is not None:
        query = query.filter(territory__code=filter.territory_code)
    if filter.within_code is not None:
        query = query.filter(await within_territory(filter.within_code))
    if filter.status:
        query = query.filter(status__in=filter.status)
    if filter.is_template is not None:
        query = query.filter(is_template=filter.is_template)
    return query


@strawberry.type
class VotesQuery:
    @strawberry.field(description="A vote by id; null when there is none or it is not visible "
                                  "(drafts and templates are their organisers').",
                      metadata=rows(vote_rows, stable=True))
    async def vote(self, info: strawberry.Info, id: relay.GlobalID) -> Vote | None:
        row = await (await vote_rows(info.context, id)).first()
        return Vote.from_model(row) if row is not None else None

    @strawberry.field(description="Votes the caller may see, oldest first: every vote past its "
                                  "draft, and the drafts and templates of the caller's "
                                  "territory.",
                      metadata=rows(votes_rows, stable=True, unless=("filter",)))
    async def votes(
        self, info: strawberry.Info, filter: VoteFilter | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Vote]:
        return await paginate(await votes_rows(info.context, filter), info=info,
                              convert=Vote.from_model, first=first, after=after, last=last,
                              before=before)
