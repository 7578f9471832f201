"""GraphQL types of polls, their questions, responses and free-text answers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay

from vmeste.platform.polls import models
from vmeste.platform.polls.access import visible_polls
from vmeste.platform.polls.questions import MAX_CHOICES, MAX_QUESTIONS, MAX_ROWS
from vmeste.platform.polls.texts import TextPage
from vmeste.schema.compiled.declare import backed_by, to_one
from vmeste.schema.cost import at_most
from vmeste.schema.reference.types import Territory

PollStatus = strawberry.enum(models.PollStatus, name="PollStatus")
QuestionKind = strawberry.enum(models.QuestionKind, name="PollQuestionKind")
TextStatus = strawberry.enum(models.TextStatus, name="PollTextStatus")


@strawberry.type(description="A choice of a question, or a row of a matrix.")
class PollChoice:
    key: str
    title: str


@strawberry.type(description="The question is shown only when an earlier single or multiple "
                             "choice question was answered with one of these keys.")
class PollShowIf:
    question: int = strawberry.field(description="The earlier question's position (0 is the "
                                                 "first).")
    any_of: list[str]


@strawberry.type(description="A question of a poll.")
class PollQuestion:
    id: int = strawberry.field(description="What an answer names as questionId.")
    position: int = strawberry.field(description="0 for the first question.")
    kind: QuestionKind  # type: ignore[valid-type]
    title: str
    required: bool
    choices: list[PollChoice] = strawberry.field(
        description="Choices of single, multiple and ranking questions; a matrix's columns.",
        metadata=at_most(MAX_CHOICES))
    rows: list[PollChoice] = strawberry.field(description="A matrix's rows.",
                                              metadata=at_most(MAX_ROWS))
    min_choices: int | None = strawberry.field(
        description="Multiple: the fewest choices; ranking: the fewest ranked.")
    max_choices: int | None = strawberry.field(
        description="Multiple: the most choices; ranking: the most ranked.")
    scale_min: int | None
    scale_max: int | None
    show_if: PollShowIf | None

    @classmethod
    def from_model(cls, row: models.PollQuestion) -> Self:
        condition = row.show_if
        return cls(
            id=row.id, position=row.position, kind=row.kind, title=row.title,
            required=row.required, choices=[PollChoice(key=c["key"], title=c["title"])
                                            for c in row.choices],
            rows=[PollChoice(key=r["key"], title=r["title"]) for r in row.rows],
            min_choices=row.min_choices, max_choices=row.max_choices,
            scale_min=row.scale_min, scale_max=row.scale_max,
            show_if=PollShowIf(question=condition["question"], any_of=condition["anyOf"])
            if condition else None)


@backed_by(models.Poll)
@strawberry.type(description="A poll (survey). Drafts are visible to their organisers and "
                             "auditors only.")
class Poll(relay.Node):
    id: relay.NodeID[int]
    title: str
    description: str
    status: PollStatus  # type: ignore[valid-type]
    min_age: int | None = strawberry.field(description="The youngest age that may answer, on "
                                                       "the day in the territory's time zone.")
    verified_only: bool
    min_group_size: int = strawberry.field(
        description="A breakdown group that fewer answered is suppressed (with complementary "
                    "groups).")
    opens_at: datetime | None = strawberry.field(
        description="Responses are taken from this moment, once the poll is open.")
    closes_at: datetime | None = strawberry.field(
        description="The poll closes itself at this moment.")
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    published_at: datetime | None
    row: strawberry.Private[models.Poll]

    @classmethod
    def from_model(cls, row: models.Poll) -> Self:
        return cls(id=row.id, title=row.title, description=row.description, status=row.status,
                   min_age=row.min_age, verified_only=row.verified_only,
                   min_group_size=row.min_group_size, opens_at=row.opens_at,
                   closes_at=row.closes_at, created_at=row.created_at,
                   opened_at=row.opened_at, closed_at=row.closed_at,
                   published_at=row.published_at, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= 2**31 - 1 else -1
               for raw in node_ids]
        rows = {row.id: row for row in await models.Poll.filter(
            visible_polls(info.context.principal), id__in=ids)}
        return [cls.from_model(rows[pk]) if pk in rows else None for pk in ids]

    @strawberry.field(description="The audience: residents of this territory's subtree.",
                      metadata=to_one("territory"))
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.row.territory_id)

    @strawberry.field(description="The questions, in order.", metadata=at_most(MAX_QUESTIONS))
    async def questions(self, info: strawberry.Info) -> list[PollQuestion]:
        rows = await info.context.loaders.poll_questions.load(self.row.id)
        return [PollQuestion.from_model(row) for row in sorted(rows, key=lambda r: r.position)]


@strawberry.type(description="A response: anonymous, it names no person.")
class PollResponse:
    id: strawberry.ID


@strawberry.type(description="A free-text answer. Its author is never shown; moderation "
                             "details are for the poll's moderators, organisers and auditors.")
class PollText:
    id: strawberry.ID
    text: str
    question_id: int
    status: TextStatus  # type: ignore[valid-type]
    reason: str | None = strawberry.field(description="Why it was rejected; null in results.")
    moderated_by: str | None = strawberry.field(description="Null in results.")
    moderated_at: datetime | None

    @classmethod
    def from_model(cls, row: models.PollTextAnswer, *, moderation: bool) -> Self:
        return cls(id=strawberry.ID(str(row.id)), text=row.text, question_id=row.question_id,
                   status=row.status, reason=row.reason if moderation else None,
                   moderated_by=row.moderated_by if moderation else None,
                   moderated_at=row.moderated_at if moderation else None)


@strawberry.type(description="A page of free-text answers, in Relay's shape; the order (by "
                             "random id) tells nothing about when they were written.")
class PollTextConnection(relay.Connection[PollText]):
    total_count: int

    @classmethod
    def of(cls, page: TextPage, *, moderation: bool, after: str | None) -> Self:
        edges = [relay.Edge(node=PollText.from_model(row, moderation=moderation),
                            cursor=str(row.id)) for row in page.items]
        return cls(edges=edges, total_count=page.total, page_info=relay.PageInfo(
            has_next_page=page.has_more, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None))
