"""Organising polls, answering them, and moderating their free-text answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from uuid import UUID

import strawberry
from strawberry import relay

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.polls import models
from vmeste.platform.polls.answers import AnswerInput, MatrixCell
from vmeste.platform.polls.questions import Choice, QuestionInput, ShowIf
from vmeste.platform.polls.services import PollInput
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.polls.context import poll_services
from vmeste.schema.polls.queries import poll_pk
from vmeste.schema.polls.types import Poll, PollResponse, PollText, QuestionKind


@strawberry.input
class PollChoiceInput:
    key: str = strawberry.field(description="1–32 Latin letters, digits, «_» or «-».")
    title: str


@strawberry.input
class PollShowIfInput:
    question: int = strawberry.field(description="An earlier question's position (0 is the "
                                                 "first), of single or multiple choice.")
    any_of: list[str] = strawberry.field(description="Its choice keys that show this question.")


@strawberry.input
class PollQuestionInput:
    kind: QuestionKind  # type: ignore[valid-type]
    title: str
    required: bool = True
    choices: list[PollChoiceInput] = strawberry.field(
        default_factory=list, description="Single, multiple, ranking; a matrix's columns.")
    rows: list[PollChoiceInput] = strawberry.field(default_factory=list,
                                                   description="A matrix's rows.")
    min_choices: int | None = strawberry.field(
        default=None, description="Multiple (default 1) and ranking (default all).")
    max_choices: int | None = strawberry.field(
        default=None, description="Multiple and ranking (default all).")
    scale_min: int | None = None
    scale_max: int | None = None
    show_if: PollShowIfInput | None = None


@strawberry.input
class CreatePollInput:
    title: str
    territory_code: str = strawberry.field(description="The audience: residents of this "
                                                       "territory's subtree.")
    questions: list[PollQuestionInput]
    description: str = ""
    min_age: int | None = None
    verified_only: bool = True
    min_group_size: int | None = strawberry.field(
        default=None, description="Default, and the least a poll may set (a smaller one is "
                                  "INVALID): the installation's VMESTE_MIN_GROUP_SIZE.")
    opens_at: datetime | None = None
    closes_at: datetime | None = None


@strawberry.input
class PollMatrixAnswerInput:
    row: str
    choice_key: str


@strawberry.input(description="An answer fills the one field of its question's kind.")
class PollAnswerInput:
    question_id: int
    choice_keys: list[str] | None = strawberry.field(default=None,
                                                     description="Single and multiple.")
    text: str | None = None
    value: int | None = strawberry.field(default=None, description="A scale's value.")
    ranking: list[str] | None = strawberry.field(default=None,
                                                 description="Choice keys, first first.")
    matrix: list[PollMatrixAnswerInput] | None = strawberry.field(
        default=None, description="One column per row.")


@strawberry.input
class SubmitPollResponseInput:
    poll_id: relay.GlobalID
    answers: list[PollAnswerInput]
    idempotency_key: str | None = strawberry.field(
        default=None, description="Sending again with the same key returns the first response.")


@strawberry.input
class ModeratePollTextInput:
    text_id: strawberry.ID
    approve: bool
    reason: str = strawberry.field(default="", description="Required to reject.")


@strawberry.type
class PollPayload:
    poll: Poll | None
    user_errors: list[UserError]


@strawberry.type
class PollResponsePayload:
    response: PollResponse | None
    user_errors: list[UserError]


@strawberry.type
class PollTextPayload:
    text: PollText | None
    user_errors: list[UserError]


def _choices(items: list[PollChoiceInput]) -> tuple[Choice, ...]:
    return tuple(Choice(key=c.key, title=c.title) for c in items)


def _question(q: PollQuestionInput) -> QuestionInput:
    return QuestionInput(
        kind=models.QuestionKind(q.kind), title=q.title, required=q.required,
        choices=_choices(q.choices), rows=_choices(q.rows), min_choices=q.min_choices,
        max_choices=q.max_choices, scale_min=q.scale_min, scale_max=q.scale_max,
        show_if=ShowIf(question=q.show_if.question, any_of=tuple(q.show_if.any_of))
        if q.show_if else None)


def _answer(a: PollAnswerInput) -> AnswerInput:
    def keys(values: list[str] | None) -> tuple[str, ...] | None:
        return None if values is None else tuple(values)

    return AnswerInput(
        question_id=a.question_id, choice_keys=keys(a.choice_keys), text=a.text,
        value=a.value, ranking=keys(a.ranking),
        matrix=None if a.matrix is None else tuple(
            MatrixCell(row=m.row, choice_key=m.choice_key) for m in a.matrix))


def _text_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise DomainError.of("textId", _("This is not a free-text answer's id"),
                             ErrorCode.INVALID) from None


async def _step(step: Callable[[int], Awaitable[models.Poll]], poll_id: relay.GlobalID
                ) -> PollPayload:
    async def call() -> models.Poll:
        return await step(poll_pk(poll_id))

    row, errors = await run_mutation(call())
    return PollPayload(poll=Poll.from_model(row) if row else None, user_errors=errors)


@strawberry.type
class PollsMutation:
    @strawberry.mutation(description="Create a poll as a draft: regional administrators within "
                                     "their territory, federal configurators anywhere.")
    async def create_poll(self, info: strawberry.Info, input: CreatePollInput) -> PollPayload:
        data = PollInput(
            title=input.title, territory_code=input.territory_code,
            questions=[_question(q) for q in input.questions], description=input.description,
            min_age=input.min_age, verified_only=input.verified_only,
            min_group_size=input.min_group_size, opens_at=input.opens_at,
            closes_at=input.closes_at)
        row, errors = await run_mutation(poll_services(info).create(info.context.principal,
                                                                    data))
        return PollPayload(poll=Poll.from_model(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Open a draft poll for responses.")
    async def open_poll(self, info: strawberry.Info, id: relay.GlobalID) -> PollPayload:
        return await _step(lambda pk: poll_services(info).open(info.context.principal, pk), id)

    @strawberry.mutation(description="Close an open poll (it also closes itself at closesAt).")
    async def close_poll(self, info: strawberry.Info, id: relay.GlobalID) -> PollPayload:
        return await _step(lambda pk: poll_services(info).close(info.context.principal, pk), id)

    @strawberry.mutation(description="Publish a closed poll's results to everyone.")
    async def publish_poll_results(self, info: strawberry.Info, id: relay.GlobalID
                                   ) -> PollPayload:
        return await _step(lambda pk: poll_services(info).publish(info.context.principal, pk),
                           id)

    @strawberry.mutation(description="Answer a poll, once: NOT_ELIGIBLE, POLL_NOT_OPEN, "
                                     "ALREADY_ANSWERED or INVALID_ANSWER (on the answer's "
                                     "field) otherwise.")
    async def submit_poll_response(self, info: strawberry.Info, input: SubmitPollResponseInput
                                   ) -> PollResponsePayload:
        async def call() -> models.PollResponse:
            return await poll_services(info).responses.submit(
                info.context.principal, poll_pk(input.poll_id, "pollId"),
                [_answer(a) for a in input.answers], input.idempotency_key)

        row, errors = await run_mutation(call())
        return PollResponsePayload(
            response=PollResponse(id=strawberry.ID(str(row.id))) if row else None,
            user_errors=errors)

    @strawberry.mutation(description="Approve a free-text answer for the results, or reject it "
                                     "with a reason; the moderator is recorded.")
    async def moderate_poll_text(self, info: strawberry.Info, input: ModeratePollTextInput
                                 ) -> PollTextPayload:
        async def call() -> models.PollTextAnswer:
            return await poll_services(info).moderate_text(
                info.context.principal, _text_id(input.text_id), approve=input.approve,
                reason=input.reason)

        row, errors = await run_mutation(call())
        return PollTextPayload(text=PollText.from_model(row, moderation=True) if row else None,
                               user_errors=errors)
