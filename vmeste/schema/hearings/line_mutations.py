"""Organising direct lines, asking and supporting questions, moderating and merging
them, the studio's marks, and the hand-over of the unanswered ones as appeals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.hearings import duplicates, handover, lines, questions
from vmeste.platform.hearings import line_models as models
from vmeste.platform.hearings.lines import LineInput
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.hearings.line_queries import line_pk, question_pk
from vmeste.schema.hearings.line_types import DirectLine, LineQuestion


@strawberry.input
class DirectLineInput:
    title: str
    official_name: str = strawberry.field(description="The official who answers.")
    organization_ogrn: str = strawberry.field(description="The organising body.")
    territory_code: str
    starts_at: datetime
    official_position: str = ""
    description: str = ""
    topics: list[str] = strawberry.field(default_factory=list)
    questions_close_at: datetime | None = strawberry.field(
        default=None, description="Questions are taken until then (null: until the start).")
    category_code: str | None = strawberry.field(
        default=None, description="The appeal category the unanswered questions are handed "
                                  "over in.")

    def data(self) -> LineInput:
        return LineInput(
            title=self.title, official_name=self.official_name,
            organization_ogrn=self.organization_ogrn, territory_code=self.territory_code,
            starts_at=self.starts_at, official_position=self.official_position,
            description=self.description, topics=list(self.topics),
            questions_close_at=self.questions_close_at, category_code=self.category_code)


@strawberry.input
class UpdateDirectLineInput:
    id: relay.GlobalID
    line: DirectLineInput


@strawberry.input
class CancelDirectLineInput:
    id: relay.GlobalID
    reason: str = ""


@strawberry.input
class AskLineQuestionInput:
    line_id: relay.GlobalID
    text: str
    topic: str = strawberry.field(default="", description="One of the line's topics, or empty.")


@strawberry.enum(name="LineQuestionDecision")
class Decision(Enum):
    PUBLISH = "publish"
    REJECT = "reject"


@strawberry.input
class ModerateLineQuestionInput:
    id: relay.GlobalID
    decision: Decision
    reason: str = strawberry.field(default="", description="Required to reject.")


@strawberry.input
class LineQuestionInput:
    id: relay.GlobalID


@strawberry.input
class MergeLineQuestionsInput:
    target_id: relay.GlobalID
    source_ids: list[relay.GlobalID] = strawberry.field(
        description="Questions asking what the target asks: they become MERGED, their "
                    "supporters the target's.")


@strawberry.input
class HandOverLineQuestionsInput:
    line_id: relay.GlobalID


@strawberry.type
class DirectLinePayload:
    direct_line: DirectLine | None
    user_errors: list[UserError]


@strawberry.type
class LineQuestionPayload:
    question: LineQuestion | None
    user_errors: list[UserError]


@strawberry.type
class HandOverPayload:
    direct_line: DirectLine | None
    appeals_created: int = strawberry.field(description="Appeals made by this call (0 when "
                                                        "the hand-over was done before).")
    refused: int = strawberry.field(description="Questions the appeals intake refused.")
    user_errors: list[UserError]


def _now(info: strawberry.Info) -> datetime:
    return info.context.runtime.clock()  # type: ignore[no-any-return]


async def _line(call: Callable[[], Awaitable[models.DirectLine]]) -> DirectLinePayload:
    row, errors = await run_mutation(call())
    return DirectLinePayload(direct_line=DirectLine.from_model(row) if row else None,
                             user_errors=errors)


async def _question(call: Callable[[], Awaitable[models.LineQuestion]]) -> LineQuestionPayload:
    row, errors = await run_mutation(call())
    return LineQuestionPayload(question=LineQuestion.from_model(row) if row else None,
                               user_errors=errors)


@strawberry.type
class LinesMutation:
    @strawberry.mutation(description="Create a direct line as a draft: the organising body's "
                                     "administrators, regional administrators of the "
                                     "territory, federal configurators.")
    async def create_direct_line(self, info: strawberry.Info, input: DirectLineInput
                                 ) -> DirectLinePayload:
        return await _line(lambda: lines.create_line(info.context.principal, input.data(),
                                                     _now(info)))

    @strawberry.mutation(description="Change a draft or collecting line.")
    async def update_direct_line(self, info: strawberry.Info, input: UpdateDirectLineInput
                                 ) -> DirectLinePayload:
        return await _line(lambda: lines.update_line(
            info.context.principal, line_pk(input.id), input.line.data(), _now(info)))

    @strawberry.mutation(description="Announce a draft line: questions are taken until "
                                     "questionsCloseAt.")
    async def announce_direct_line(self, info: strawberry.Info, id: relay.GlobalID
                                   ) -> DirectLinePayload:
        return await _line(lambda: lines.announce(info.context.principal, line_pk(id),
                                                  _now(info)))

    @strawberry.mutation(description="Go on air: the studio marks questions answered.")
    async def start_direct_line(self, info: strawberry.Info, id: relay.GlobalID
                                ) -> DirectLinePayload:
        return await _line(lambda: lines.start(info.context.principal, line_pk(id),
                                               _now(info)))

    @strawberry.mutation(description="End the broadcast.")
    async def finish_direct_line(self, info: strawberry.Info, id: relay.GlobalID
                                 ) -> DirectLinePayload:
        return await _line(lambda: lines.finish(info.context.principal, line_pk(id),
                                                _now(info)))

    @strawberry.mutation(description="Cancel a line before it goes on air.")
    async def cancel_direct_line(self, info: strawberry.Info, input: CancelDirectLineInput
                                 ) -> DirectLinePayload:
        return await _line(lambda: lines.cancel(info.context.principal, line_pk(input.id),
                                                input.reason))

    @strawberry.mutation(description="Send a question to a line that collects them; "
                                     "moderated as appeals are (PENDING when a moderator "
                                     "reviews it).")
    async def ask_line_question(self, info: strawberry.Info, input: AskLineQuestionInput
                                ) -> LineQuestionPayload:
        return await _question(lambda: questions.ask(
            info.context.principal, line_pk(input.line_id, "lineId"), input.text, input.topic,
            resolver=info.context.runtime.resolver, now=_now(info)))

    @strawberry.mutation(description="Publish a pending question, or reject one with a "
                                     "reason: moderators of the territory.")
    async def moderate_line_question(self, info: strawberry.Info,
                                     input: ModerateLineQuestionInput) -> LineQuestionPayload:
        return await _question(lambda: questions.moderate_question(
            info.context.principal, question_pk(input.id),
            publish=input.decision == Decision.PUBLISH, reason=input.reason, now=_now(info)))

    @strawberry.mutation(description="Support a published question, once per person (the "
                                     "question it was merged into, for a merged one).")
    async def support_line_question(self, info: strawberry.Info, input: LineQuestionInput
                                    ) -> LineQuestionPayload:
        return await _question(lambda: questions.support(info.context.principal,
                                                         question_pk(input.id)))

    @strawberry.mutation(description="Take back one's support of a question.")
    async def withdraw_line_question_support(self, info: strawberry.Info,
                                             input: LineQuestionInput) -> LineQuestionPayload:
        return await _question(lambda: questions.withdraw_support(info.context.principal,
                                                                  question_pk(input.id)))

    @strawberry.mutation(description="Merge near-duplicate questions into a published one; "
                                     "their supporters carry over, each person once.")
    async def merge_line_questions(self, info: strawberry.Info, input: MergeLineQuestionsInput
                                   ) -> LineQuestionPayload:
        return await _question(lambda: duplicates.merge(
            info.context.principal, question_pk(input.target_id, "targetId"),
            [question_pk(pk, "sourceIds") for pk in input.source_ids]))

    @strawberry.mutation(description="The studio: the question was answered on air now "
                                     "(the line's staff, while it is live).")
    async def mark_line_question_answered(self, info: strawberry.Info,
                                          input: LineQuestionInput) -> LineQuestionPayload:
        return await _question(lambda: questions.mark_answered(
            info.context.principal, question_pk(input.id), _now(info)))

    @strawberry.mutation(description="After a finished line, turn its published questions "
                                     "not answered on air into appeals of their authors, "
                                     "routed as any appeal; once (a second call does "
                                     "nothing).")
    async def hand_over_line_questions(self, info: strawberry.Info,
                                       input: HandOverLineQuestionsInput) -> HandOverPayload:
        async def call() -> handover.HandOver:
            return await handover.hand_over(
                info.context.principal, line_pk(input.line_id, "lineId"),
                info.context.runtime.service(AppealServices))

        done, errors = await run_mutation(call())
        return HandOverPayload(
            direct_line=DirectLine.from_model(done.line) if done else None,
            appeals_created=len(done.appeals) if done else 0,
            refused=len(done.refused) if done else 0, user_errors=errors)
