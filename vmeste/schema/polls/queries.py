"""Reading polls, their results, the moderation queue and the population."""

from __future__ import annotations

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.participation.population import population_of
from vmeste.platform.polls import models
from vmeste.platform.polls import results as platform_results
from vmeste.platform.polls.access import visible_polls
from vmeste.platform.polls.texts import moderation_queue
from vmeste.platform.reference.models import Territory, within_territory
from vmeste.schema.compiled.declare import rows
from vmeste.schema.context import Context
from vmeste.schema.errors import global_pk
from vmeste.schema.pagination import CountedConnection, paginate
from vmeste.schema.polls.context import poll_services
from vmeste.schema.polls.results import PollResults, Population, after_id
from vmeste.schema.polls.types import Poll, PollStatus, PollTextConnection, TextStatus


def poll_pk(value: relay.GlobalID, field: str = "id") -> int:
    return global_pk(value, "Poll", field=field, message=_("This is not a poll's id"))


@strawberry.input
class PollFilter:
    status: list[PollStatus] | None = None  # type: ignore[valid-type]
    territory_code: str | None = strawberry.field(
        default=None, description="Polls of a territory and of the ones inside it.")


async def poll_rows(context: Context, id: relay.GlobalID) -> QuerySet[models.Poll]:
    return models.Poll.filter(visible_polls(context.principal), id=poll_pk(id))


async def polls_rows(context: Context, filter: PollFilter | None = None
                     ) -> QuerySet[models.Poll]:
    query = models.Poll.filter(visible_polls(context.principal))
    if filter is None:
        return query
    if filter.status:
        query = query.filter(status__in=filter.status)
    if filter.territory_code is not None:
        query = query.filter(await within_territory(filter.territory_code))
    return query


@strawberry.type
class PollsQuery:
    @strawberry.field(description="A poll by id; null when there is none or it is a draft the "
                                  "caller does not organise.",
                      metadata=rows(poll_rows, stable=True))
    async def poll(self, info: strawberry.Info, id: relay.GlobalID) -> Poll | None:
        row = await (await poll_rows(info.context, id)).first()
        return Poll.from_model(row) if row is not None else None

    @strawberry.field(description="Polls out of draft, and the drafts the caller organises or "
                                  "audits.",
                      metadata=rows(polls_rows, stable=True, unless=("filter",)))
    async def polls(
        self, info: strawberry.Info, filter: PollFilter | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Poll]:
        return await paginate(await polls_rows(info.context, filter), info=info,
                              convert=Poll.from_model, first=first, after=after, last=last,
                              before=before)

    @strawberry.field(description="A poll's results: to everyone once published, to its "
                                  "organisers and auditors before.")
    async def poll_results(self, info: strawberry.Info, poll_id: relay.GlobalID,
                           weighted: bool = False) -> PollResults:
        results = await platform_results.load(
            info.context.principal, poll_pk(poll_id, "pollId"), poll_services(info).bands,
            weighted=weighted)
        return PollResults(total_responses=results.total_responses, r_score=results.r_score,
                           results=results)

    @strawberry.field(description="A poll's free-text answers for moderation: its territory's "
                                  "moderators, organisers and auditors.")
    async def poll_text_answers(
        self, info: strawberry.Info, poll_id: relay.GlobalID,
        status: TextStatus | None = models.TextStatus.PENDING,  # type: ignore[valid-type]
        first: int = 20, after: str | None = None,
    ) -> PollTextConnection:
        page = await moderation_queue(info.context.principal, poll_pk(poll_id, "pollId"),
                                      status=status, first=first, after=after_id(after))
        return PollTextConnection.of(page, moderation=True, after=after)

    @strawberry.field(description="People of a territory by age band and gender: its own "
                                  "imported rows, else the sum of those below it.")
    async def population(self, territory_code: str) -> Population:
        territory = await Territory.get_or_none(code=territory_code)
        if territory is None:
            raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
        return Population.of(territory.code, await population_of(territory.path))
