"""GraphQL types of direct lines and their questions.

A question never names its author to the public; the appeal it became after the line is
shown to its author and the line staff, its moderation reason to its author, the staff
and the moderators (:func:`vmeste.platform.hearings.access.sees_every_question`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any, Self

import strawberry
from strawberry import relay

from vmeste.platform.appeals.access import can_see
from vmeste.platform.hearings import access
from vmeste.platform.hearings import line_models as models
from vmeste.platform.hearings.lines import TOPICS_MAX
from vmeste.platform.identity.principal import Principal
from vmeste.schema.appeals.types import Appeal
from vmeste.schema.compiled.declare import backed_by, to_one
from vmeste.schema.cost import at_most
from vmeste.schema.reference.types import Category, Organization, Territory

LineStatus = strawberry.enum(models.LineStatus, name="DirectLineStatus")
QuestionStatus = strawberry.enum(models.QuestionStatus, name="LineQuestionStatus")


@strawberry.enum(name="LineQuestionOrder")
class QuestionOrder(Enum):
    VOTES = "votes"
    NEWEST = "newest"


def may_read(principal: Principal, line: models.DirectLine, row: models.LineQuestion) -> bool:
    """:func:`vmeste.platform.hearings.access.visible_questions`, for a row in hand."""
    return (row.status in (models.QuestionStatus.PUBLISHED, models.QuestionStatus.MERGED)
            or (principal.user is not None and principal.user.id == row.author_id)
            or access.sees_every_question(principal, line.territory_path,
                                          line.organization_id))


@backed_by(models.LineQuestion)
@strawberry.type(description="A question to a direct line. Its author is never shown.")
class LineQuestion(relay.Node):
    id: relay.NodeID[int]
    text: str
    topic: str
    status: QuestionStatus  # type: ignore[valid-type]
    votes: int = strawberry.field(description="Distinct people supporting it, its author "
                                              "among them.")
    answered_at: datetime | None = strawberry.field(description="When it was answered on air.")
    created_at: datetime
    row: strawberry.Private[models.LineQuestion]

    @classmethod
    def from_model(cls, row: models.LineQuestion) -> Self:
        return cls(id=row.id, text=row.text, topic=row.topic, status=row.status,
                   votes=row.votes, answered_at=row.answered_at, created_at=row.created_at,
                   row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= 2**31 - 1 else -1
               for raw in node_ids]
        principal = info.context.principal
        rows = await models.LineQuestion.filter(id__in=ids)
        lines = {line.id: line for line in await models.DirectLine.filter(
            access.visible_lines(principal), id__in=sorted({row.line_id for row in rows}))}
        found = {row.id: cls.from_model(row) for row in rows
                 if row.line_id in lines and may_read(principal, lines[row.line_id], row)}
        return [found.get(pk) for pk in ids]

    async def _line(self, info: strawberry.Info) -> models.DirectLine:
        line: models.DirectLine = await info.context.loaders.direct_line.load(self.row.line_id)
        return line

    @strawberry.field(description="Whether the caller supports it.")
    async def supported_by_me(self, info: strawberry.Info) -> bool:
        user = info.context.principal.user
        if user is None:
            return False
        return bool(await info.context.loaders.line_votes.load((user.id, self.row.id)))

    @strawberry.field(description="The question it was merged into.")
    async def merged_into(self, info: strawberry.Info) -> LineQuestion | None:
        if self.row.merged_into_id is None:
            return None
        row = await info.context.loaders.line_question.load(self.row.merged_into_id)
        return LineQuestion.from_model(row) if row is not None else None

    async def _insider(self, info: strawberry.Info) -> bool:
        principal = info.context.principal
        if principal.user is not None and principal.user.id == self.row.author_id:
            return True
        line = await self._line(info)
        return access.is_reader(principal, line.territory_path, line.organization_id)

    @strawberry.field(description="The appeal it became after the line: to whoever may "
                                  "read that appeal (its author, the staff it was routed "
                                  "to).")
    async def appeal(self, info: strawberry.Info) -> Appeal | None:
        if self.row.appeal_id is None or not await self._insider(info):
            return None
        row = await info.context.loaders.line_appeal.load(self.row.appeal_id)
        # The appeal's own rule, not the line's: line staff are not the appeal's body.
        if row is None or not await can_see(info.context.principal, row):
            return None
        return Appeal.from_model(row)

    @strawberry.field(description="Why it was rejected (or what the moderation chain said): "
                                  "to its author, the line staff and moderators.")
    async def moderation_reason(self, info: strawberry.Info) -> str | None:
        line = await self._line(info)
        if await self._insider(info) or access.sees_every_question(
                info.context.principal, line.territory_path, line.organization_id):
            return self.row.moderation_reason
        return None


@strawberry.type(description="A question proposed as a near-duplicate of another.")
class LineQuestionDuplicate:
    question: LineQuestion
    score: float = strawberry.field(description="0–100: how alike the two are.")


@backed_by(models.DirectLine)
@strawberry.type(description="A direct line: an official answers questions citizens sent "
                             "in advance and supported. Drafts are visible to their "
                             "organisers only.")
class DirectLine(relay.Node):
    id: relay.NodeID[int]
    title: str
    description: str
    official_name: str
    official_position: str
    topics: list[str] = strawberry.field(metadata=at_most(TOPICS_MAX))
    starts_at: datetime
    questions_close_at: datetime | None = strawberry.field(
        description="Questions are taken until then (until the start when null).")
    status: LineStatus  # type: ignore[valid-type]
    started_at: datetime | None
    finished_at: datetime | None
    row: strawberry.Private[models.DirectLine]

    @classmethod
    def from_model(cls, row: models.DirectLine) -> Self:
        return cls(id=row.id, title=row.title, description=row.description,
                   official_name=row.official_name, official_position=row.official_position,
                   topics=list(row.topics), starts_at=row.starts_at,
                   questions_close_at=row.questions_close_at, status=row.status,
                   started_at=row.started_at, finished_at=row.finished_at, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= 2**31 - 1 else -1
               for raw in node_ids]
        rows = {row.id: row for row in await models.DirectLine.filter(
            access.visible_lines(info.context.principal), id__in=ids)}
        return [cls.from_model(rows[pk]) if pk in rows else None for pk in ids]

    @strawberry.field(metadata=to_one("organization"))
    async def organization(self, info: strawberry.Info) -> Organization:
        return await info.context.loaders.organization.load(self.row.organization_id)

    @strawberry.field(metadata=to_one("territory"))
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.row.territory_id)

    @strawberry.field(description="The category its unanswered questions become appeals in.",
                      metadata=to_one("category"))
    async def category(self, info: strawberry.Info) -> Category | None:
        if self.row.category_id is None:
            return None
        return await info.context.loaders.category.load(self.row.category_id)

    @strawberry.field(description="Its questions the caller may read: the published and "
                                  "merged ones, one's own, and every one for the staff and "
                                  "moderators. VOTES: most supported first.")
    async def questions(self, info: strawberry.Info, first: int | None = None,
                        after: str | None = None,
                        order: QuestionOrder = QuestionOrder.VOTES,
                        status: QuestionStatus | None = None,  # type: ignore[valid-type]
                        ) -> LineQuestionConnection:
        from vmeste.schema.hearings.line_pages import question_page

        return await question_page(info, self.row, first=first, after=after, order=order,
                                   status=status)


@strawberry.type(description="A page of a line's questions, in Relay's shape.")
class LineQuestionConnection(relay.Connection[LineQuestion]):
    total_count: int


@strawberry.enum(name="LineQuestionUpdateKind")
class UpdateKind(Enum):
    ADDED = "added"
    PUBLISHED = "published"
    VOTES = "votes"
    MERGED = "merged"
    ANSWERED = "answered"
    REJECTED = "rejected"


@strawberry.type(description="What changed about a question of a live line.")
class LineQuestionUpdate:
    kind: UpdateKind
    question: LineQuestion

