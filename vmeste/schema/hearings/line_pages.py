"""Pages of a line's questions, most supported or newest first, and the loaders their
fields use.

NEWEST is the platform's keyset on the id (:func:`vmeste.schema.pagination.paginate`);
VOTES pages by the pair (votes, id), most votes first and the older question first
among equals, with a cursor holding both: a keyset too, so page 100 of a line with
thousands of questions costs what page 1 does. Votes move while someone pages, so a
question may show on two pages or none at a page edge, as with any live ranking.
"""

from __future__ import annotations

import base64
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from tortoise.expressions import Q

from vmeste.platform.appeals.models import Appeal
from vmeste.platform.hearings import access
from vmeste.platform.hearings import line_models as models
from vmeste.platform.i18n import _
from vmeste.schema.hearings.line_types import (
    LineQuestion,
    LineQuestionConnection,
    QuestionOrder,
)
from vmeste.schema.loaders import LoaderFactory, by_id, linked
from vmeste.schema.pagination import PageRequest, paginate

_PREFIX = "votes:"


def _encode(row: models.LineQuestion) -> str:
    return base64.b64encode(f"{_PREFIX}{row.votes}:{row.id}".encode()).decode()


def _decode(cursor: str) -> tuple[int, int]:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError(raw)
        votes, pk = (int(part) for part in raw[len(_PREFIX):].split(":"))
        if not (0 <= votes < 2**31 and 0 <= pk < 2**31):
            raise ValueError(raw)
        return votes, pk
    except ValueError:
        raise GraphQLError(_("Invalid page cursor"),
                           extensions={"code": "INVALID_CURSOR"}) from None


async def question_page(info: strawberry.Info, line: models.DirectLine, *, first: int | None,
                        after: str | None, order: QuestionOrder,
                        status: models.QuestionStatus | None) -> LineQuestionConnection:
    query = models.LineQuestion.filter(access.visible_questions(
        info.context.principal, line.territory_path, line.organization_id), line_id=line.id)
    if status is not None:
        query = query.filter(status=status)
    if order == QuestionOrder.NEWEST:
        page = await paginate(query, info=info, convert=LineQuestion.from_model, first=first,
                              after=after, last=None, before=None, descending=True)
        return LineQuestionConnection(edges=page.edges, page_info=page.page_info,
                                      total_count=await query.count())
    size = PageRequest.of(query, info.context.settings, first=first, after=None, last=None,
                          before=None).size
    window = query
    if after is not None:
        votes, pk = _decode(after)
        window = window.filter(Q(votes__lt=votes) | Q(votes=votes, id__gt=pk))
    rows = await window.order_by("-votes", "id").limit(size + 1)
    has_more = len(rows) > size
    edges = [relay.Edge(node=LineQuestion.from_model(row), cursor=_encode(row))
             for row in rows[:size]]
    return LineQuestionConnection(edges=edges, total_count=await query.count(),
                                  page_info=relay.PageInfo(
                                      has_next_page=has_more,
                                      has_previous_page=after is not None,
                                      start_cursor=edges[0].cursor if edges else None,
                                      end_cursor=edges[-1].cursor if edges else None))


def _same(row: Any) -> Any:
    return row


LOADERS: dict[str, LoaderFactory] = {
    "direct_line": lambda: by_id(models.DirectLine, _same),
    "line_question": lambda: by_id(models.LineQuestion, _same),
    "line_appeal": lambda: by_id(Appeal, _same),
    "line_votes": lambda: linked(models.QuestionVote, "user_id", "question_id"),
}
