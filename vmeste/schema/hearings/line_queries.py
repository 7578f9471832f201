"""Reading direct lines, their questions, and the near-duplicates a moderator merges."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from vmeste.platform.hearings import duplicates
from vmeste.platform.hearings import line_models as models
from vmeste.platform.hearings.access import visible_lines
from vmeste.platform.i18n import _
from vmeste.platform.reference.models import within_territory
from vmeste.schema.compiled.declare import rows
from vmeste.schema.context import Context
from vmeste.schema.cost import at_most
from vmeste.schema.errors import global_pk
from vmeste.schema.hearings.line_types import (
    DirectLine,
    LineQuestion,
    LineQuestionDuplicate,
    LineStatus,
)
from vmeste.schema.pagination import CountedConnection, paginate


def line_pk(value: relay.GlobalID, field: str = "id") -> int:
    return global_pk(value, "DirectLine", field=field,
                     message=_("This is not a direct line's id"))


def question_pk(value: relay.GlobalID, field: str = "id") -> int:
    return global_pk(value, "LineQuestion", field=field,
                     message=_("This is not a line question's id"))


async def line_rows(context: Context, id: relay.GlobalID) -> QuerySet[models.DirectLine]:
    return models.DirectLine.filter(visible_lines(context.principal), id=line_pk(id))


async def lines_rows(context: Context, status: list[models.LineStatus] | None = None,
                     territory_code: str | None = None) -> QuerySet[models.DirectLine]:
    query = models.DirectLine.filter(visible_lines(context.principal))
    if status:
        query = query.filter(status__in=status)
    if territory_code is not None:
        query = query.filter(await within_territory(territory_code))
    return query


@strawberry.type
class LinesQuery:
    @strawberry.field(description="A direct line by id; null when there is none or it is a "
                                  "draft the caller does not organise.",
                      metadata=rows(line_rows, stable=True))
    async def direct_line(self, info: strawberry.Info, id: relay.GlobalID) -> DirectLine | None:
        row = await (await line_rows(info.context, id)).first()
        return DirectLine.from_model(row) if row is not None else None

    @strawberry.field(description="Direct lines out of draft, and the drafts the caller "
                                  "organises or audits; newest first.",
                      metadata=rows(lines_rows, descending=True, stable=True,
                                    unless=("territoryCode",)))
    async def direct_lines(
        self, info: strawberry.Info,
        status: list[LineStatus] | None = None,  # type: ignore[valid-type]
        territory_code: Annotated[str | None, strawberry.argument(
            description="Lines of a territory and of the ones inside it.")] = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[DirectLine]:
        return await paginate(await lines_rows(info.context, status, territory_code),
                              info=info, convert=DirectLine.from_model, first=first,
                              after=after, last=last, before=before, descending=True)

    @strawberry.field(description="The published and pending questions of the same line "
                                  "that ask what this one asks, best first: for the "
                                  "moderators of its territory, who merge them.",
                      metadata=at_most(duplicates.LIMIT))
    async def line_question_duplicates(self, info: strawberry.Info,
                                       question_id: relay.GlobalID
                                       ) -> list[LineQuestionDuplicate]:
        found = await duplicates.candidates(info.context.principal,
                                            question_pk(question_id, "questionId"))
        return [LineQuestionDuplicate(question=LineQuestion.from_model(row), score=value)
                for row, value in found]
