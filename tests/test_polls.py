"""Polls: every question kind answered, valid and not (their definitions are
``test_poll_questions.py``); questions shown after given answers; every refusal of a
response; one response per person, concurrent submissions included; the counters equal
a recount from the responses."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest
from strawberry import relay

from tests.poll_world import (
    AB,
    ABC,
    answers_for,
    organised,
    question,
    questions_of,
    refusal,
    respondent,
    services_of,
)
from tests.vote_world import voter
from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, World
from vmeste.platform.errors import DomainError
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.participation import tallies
from vmeste.platform.polls.answers import AnswerInput, MatrixCell
from vmeste.platform.polls.counting import SUBJECT_TYPE, recount
from vmeste.platform.polls.models import (
    Poll,
    PollParticipation,
    PollResponse,
    PollTextAnswer,
    TextStatus,
)
from vmeste.platform.polls.models import QuestionKind as K
from vmeste.platform.polls.questions import ShowIf

SUBMIT = """mutation($input: SubmitPollResponseInput!) { submitPollResponse(input: $input) {
  response { id } userErrors { field code message } } }"""


def gid(poll: Poll) -> str:
    return str(relay.GlobalID("Poll", str(poll.id)))


# --- answering ------------------------------------------------------------------------


async def test_a_valid_response_writes_participation_response_texts_and_tallies(
        world: World, db: Any, vmeste_app: Any, clock: Any) -> None:
    clock.set(datetime(2026, 5, 1, tzinfo=UTC))
    services = services_of(vmeste_app)
    poll = await organised(services)
    questions = await questions_of(poll)
    person = await respondent(db, "ivanov", gender="female")
    response = await services.responses.submit(person, poll.id, answers_for(questions))
    q = [question.id for question in questions]
    stored = await PollResponse.get(id=response.id)
    assert stored.answers == {str(q[0]): ["a"], str(q[1]): ["a", "c"], str(q[2]): True,
                              str(q[3]): 4, str(q[4]): ["c", "a", "b"],
                              str(q[5]): {"roads": "bad", "light": "good"}}
    assert (stored.age_band, stored.gender, stored.territory_group) == (
        "35-44", "female", MUNICIPALITY_A)
    # The response names nobody; the participation says who, never what.
    assert not {"user_id", "participation_id"} & set(PollResponse._meta.fields_map)
    participation = await PollParticipation.get(poll_id=poll.id)
    assert (participation.user_id, participation.age_band) == (person.user.id, "35-44")
    text = await PollTextAnswer.get()
    assert (text.text, text.status, text.question_id) == ("Больше лавочек", TextStatus.PENDING,
                                                          q[2])
    totals = {key: t for (_g, key), t in (await tallies.totals(SUBJECT_TYPE, poll.id)).items()}
    assert totals["*"].count == 1
    assert totals[f"q{q[0]}:a"].count == 1 and f"q{q[0]}:b" not in totals
    assert (totals[f"q{q[3]}:=4"].count, totals[f"q{q[3]}:=4"].amount) == (1, 4)
    # Borda: n − 1 points for the first of n.
    assert [totals[f"q{q[4]}:rank:{k}"].amount for k in "cab"] == [2, 1, 0]
    assert totals[f"q{q[5]}:roads:bad"].count == 1
    assert totals[f"q{q[2]}:*"].count == 1
    assert f"q{q[6]}:*" not in totals  # hidden, unanswered


INVALID_ANSWERS: dict[str, tuple[int, dict[str, Any], str]] = {
    # question position, the answer's fields, the field at fault
    "single with two choices": (0, {"choice_keys": ("a", "b")}, "choiceKeys"),
    "single with an unknown choice": (0, {"choice_keys": ("z",)}, "choiceKeys"),
    "single answered with a text": (0, {"text": "a"}, "text"),
    "multiple with too many": (1, {"choice_keys": ("a", "b", "c")}, "choiceKeys"),
    "multiple with a repeat": (1, {"choice_keys": ("a", "a")}, "choiceKeys"),
    "text too long": (2, {"text": "я" * 5001}, "text"),
    "text answered with a value": (2, {"value": 3}, "value"),
    "scale out of range": (3, {"value": 6}, "value"),
    "scale answered with choices": (3, {"choice_keys": ("a",)}, "choiceKeys"),
    "ranking with a repeat": (4, {"ranking": ("a", "a", "b")}, "ranking"),
    "ranking of two of three": (4, {"ranking": ("a", "b")}, "ranking"),
    "ranking of an unknown choice": (4, {"ranking": ("a", "b", "z")}, "ranking"),
    "matrix with an unknown row": (5, {"matrix": (MatrixCell("roads", "bad"),
                                                  MatrixCell("light", "good"),
                                                  MatrixCell("parks", "good"))}, "matrix"),
    "matrix row twice": (5, {"matrix": (MatrixCell("roads", "bad"),
                                        MatrixCell("roads", "good"))}, "matrix"),
    "matrix with an unknown column": (5, {"matrix": (MatrixCell("roads", "bad"),
                                                     MatrixCell("light", "meh"))}, "matrix"),
    "matrix with a row left out": (5, {"matrix": (MatrixCell("roads", "bad"),)}, "matrix"),
    "required single left empty": (0, {"choice_keys": ()}, "choiceKeys"),
}


@pytest.mark.parametrize("case", list(INVALID_ANSWERS))
async def test_an_invalid_answer_is_refused_on_its_field(case: str, world: World, db: Any,
                                                         vmeste_app: Any) -> None:
    position, fields, field = INVALID_ANSWERS[case]
    services = services_of(vmeste_app)
    poll = await organised(services)
    questions = await questions_of(poll)
    answers = [a for a in answers_for(questions) if a.question_id != questions[position].id]
    answers.append(AnswerInput(questions[position].id, **fields))
    with pytest.raises(DomainError) as refused:
        await services.responses.submit(await respondent(db, "ivanov"), poll.id, answers)
    assert refusal(refused.value) == [(f"answers.{len(answers) - 1}.{field}", "INVALID_ANSWER")]
    assert not await PollResponse.exists() and not await PollParticipation.exists()
    assert not await tallies.totals(SUBJECT_TYPE, poll.id)


async def test_answers_to_unknown_repeated_missing_and_hidden_questions_are_refused(
        world: World, db: Any, vmeste_app: Any) -> None:
    services = services_of(vmeste_app)
    poll = await organised(services)
    questions = await questions_of(poll)
    person = await respondent(db, "ivanov")
    answers = answers_for(questions)

    async def refused(given: list[AnswerInput]) -> list[tuple[str | None, str]]:
        with pytest.raises(DomainError) as error:
            await services.responses.submit(person, poll.id, given)
        return refusal(error.value)

    n = len(answers)
    assert await refused([*answers, AnswerInput(10**6, text="?")]) == [
        (f"answers.{n}.questionId", "INVALID_ANSWER")]
    assert await refused([*answers, answers[0]]) == [(f"answers.{n}.questionId",
                                                      "INVALID_ANSWER")]
    # The scale (position 3) is required and left out.
    assert await refused([a for a in answers if a.question_id != questions[3].id]) == [
        ("answers", "INVALID_ANSWER")]
    # "Why the square?" is shown after single = "b" only.
    hidden = [*answers, AnswerInput(questions[6].id, text="Просто так")]
    assert await refused(hidden) == [(f"answers.{n}.questionId", "INVALID_ANSWER")]
    # Once shown, it is required.
    shown = [a for a in answers_for(questions, single="b") if a.question_id != questions[6].id]
    assert await refused(shown) == [("answers", "INVALID_ANSWER")]
    assert not await PollResponse.exists()
    # The optional text may be left out; the shown conditional one is then answered.
    await services.responses.submit(person, poll.id, answers_for(questions, single="b",
                                                                 text=None))
    assert await PollTextAnswer.filter().values_list("text", flat=True) == ["Там тень"]


async def test_a_question_after_a_hidden_question_is_hidden_too(world: World, db: Any,
                                                                vmeste_app: Any) -> None:
    services = services_of(vmeste_app)
    poll = await organised(services, questions=[
        question(K.SINGLE, choices=AB),
        question(K.MULTIPLE, choices=ABC, show_if=ShowIf(0, ("b",))),
        question(K.TEXT, show_if=ShowIf(1, ("c",)))])
    q = [question.id for question in await questions_of(poll)]
    person = await respondent(db, "ivanov")
    with pytest.raises(DomainError) as refused:
        await services.responses.submit(person, poll.id, [
            AnswerInput(q[0], choice_keys=("a",)), AnswerInput(q[2], text="?")])
    assert refusal(refused.value) == [("answers.1.questionId", "INVALID_ANSWER")]
    # A refused answer to the condition is reported once, not again in what follows it.
    with pytest.raises(DomainError) as refused:
        await services.responses.submit(person, poll.id, [
            AnswerInput(q[0], choice_keys=("z",)), AnswerInput(q[2], text="?")])
    assert refusal(refused.value) == [("answers.0.choiceKeys", "INVALID_ANSWER")]
    response = await services.responses.submit(person, poll.id, [
        AnswerInput(q[0], choice_keys=("b",)), AnswerInput(q[1], choice_keys=("c",)),
        AnswerInput(q[2], text="Потому что")])
    assert set(response.answers) == {str(i) for i in q}


# --- refusals ---------------------------------------------------------------------------


async def _submit(graphql: Any, poll: Poll, token: str | None, answers: list[AnswerInput],
                  key: str | None = None) -> dict[str, Any]:
    def wire(a: AnswerInput) -> dict[str, Any]:
        out: dict[str, Any] = {"questionId": a.question_id}
        for name, value in a.given().items():
            out[name] = ([{"row": m.row, "choiceKey": m.choice_key} for m in value]
                         if name == "matrix" else list(value) if isinstance(value, tuple)
                         else value)
        return out

    body = await graphql(SUBMIT, {"input": {"pollId": gid(poll), "idempotencyKey": key,
                                            "answers": [wire(a) for a in answers]}},
                         token=token)
    return body["data"]["submitPollResponse"]


def _codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def test_every_refusal_of_a_response_over_graphql(world: World, db: Any, graphql: Any,
                                                        vmeste_app: Any, clock: Any) -> None:
    clock.set(datetime(2026, 5, 1, 12, tzinfo=UTC))
    services = services_of(vmeste_app)
    poll = await organised(services, min_age=18,
                           opens_at=datetime(2026, 5, 1, 10, tzinfo=UTC),
                           closes_at=datetime(2026, 5, 10, tzinfo=UTC))
    answers = answers_for(await questions_of(poll))
    teen = await voter(db, "teen", birthdate=date(2010, 1, 1))
    unverified = await voter(db, "anon", verified=False)
    elsewhere = await voter(db, "sevastopol", oktmo=MUNICIPALITY_B)
    for token in (teen, unverified, elsewhere):
        assert _codes(await _submit(graphql, poll, token, answers)) == [(None, "NOT_ELIGIBLE")]
    assert _codes(await _submit(graphql, poll, None, answers)) == [(None, "UNAUTHENTICATED")]
    citizen = await voter(db, "ivanov")
    ok = await _submit(graphql, poll, citizen, answers)
    assert ok["userErrors"] == [] and ok["response"]["id"]
    assert _codes(await _submit(graphql, poll, citizen, answers)) == [
        ("pollId", "ALREADY_ANSWERED")]
    # Past closesAt no response is taken, before the watchdog has closed the poll.
    clock.set(datetime(2026, 5, 10, tzinfo=UTC))
    late = await voter(db, "late")
    assert _codes(await _submit(graphql, poll, late, answers)) == [("pollId", "POLL_NOT_OPEN")]
    clock.set(datetime(2026, 5, 2, tzinfo=UTC))
    await services.close(SYSTEM, poll.id)
    assert _codes(await _submit(graphql, poll, late, answers)) == [("pollId", "POLL_NOT_OPEN")]
    assert await PollResponse.filter(poll_id=poll.id).count() == 1


async def test_a_poll_not_yet_open_takes_no_response_and_a_draft_is_not_there(
        world: World, db: Any, graphql: Any, vmeste_app: Any, clock: Any) -> None:
    clock.set(datetime(2026, 5, 1, tzinfo=UTC))
    services = services_of(vmeste_app)
    early = await organised(services, opens_at=datetime(2026, 5, 2, tzinfo=UTC))
    draft = await organised(services, open_it=False)
    citizen = await voter(db, "ivanov")
    answers = answers_for(await questions_of(early))
    assert _codes(await _submit(graphql, early, citizen, answers)) == [
        ("pollId", "POLL_NOT_OPEN")]
    assert _codes(await _submit(graphql, draft, citizen, answers)) == [("pollId", "NOT_FOUND")]


async def test_the_same_idempotency_key_returns_the_first_response(
        world: World, db: Any, graphql: Any, vmeste_app: Any) -> None:
    poll = await organised(services_of(vmeste_app))
    answers = answers_for(await questions_of(poll))
    citizen = await voter(db, "ivanov")
    first = await _submit(graphql, poll, citizen, answers, key="k-1")
    again = await _submit(graphql, poll, citizen, answers_for(await questions_of(poll),
                                                               single="c"), key="k-1")
    assert again == first
    assert _codes(await _submit(graphql, poll, citizen, answers, key="k-2")) == [
        ("pollId", "ALREADY_ANSWERED")]
    # Another person's key of the same text is another key.
    other = await _submit(graphql, poll, await voter(db, "petrov"), answers, key="k-1")
    assert other["response"]["id"] != first["response"]["id"]
    stored = await PollResponse.get(id=first["response"]["id"])
    assert stored.replay_key and "k-1" not in stored.replay_key


@pytest.mark.parametrize("key", [None, "same-key"])
async def test_concurrent_submissions_of_one_person_make_one_response(
        key: str | None, world: World, db: Any, vmeste_app: Any, monkeypatch: Any) -> None:
    services = services_of(vmeste_app)
    poll = await organised(services)
    answers = answers_for(await questions_of(poll))
    person = await respondent(db, "ivanov")

    async def nobody_yet(**_: Any) -> bool:
        return False

    # Past the early check every attempt reaches the insert: the unique index decides.
    monkeypatch.setattr(PollParticipation, "exists", nobody_yet)

    async def attempt() -> str:
        try:
            return str((await services.responses.submit(person, poll.id, answers, key)).id)
        except DomainError as error:
            return error.errors[0].code.value

    outcomes = await asyncio.gather(*(attempt() for _ in range(8)))
    assert await PollResponse.filter(poll_id=poll.id).count() == 1
    assert await PollParticipation.filter(poll_id=poll.id).count() == 1
    first = str((await PollResponse.get(poll_id=poll.id)).id)
    if key is None:
        assert sorted(outcomes) == sorted([first] + ["ALREADY_ANSWERED"] * 7)
    else:
        assert outcomes == [first] * 8
    totals = await tallies.totals(SUBJECT_TYPE, poll.id)
    assert totals[("", "*")].count == 1


async def test_the_counters_equal_a_recount_from_the_responses(world: World, db: Any,
                                                               vmeste_app: Any) -> None:
    services = services_of(vmeste_app)
    poll = await organised(services)
    questions = await questions_of(poll)
    profiles = [("m1", "male", 1990, "a", 5), ("f1", "female", 1960, "b", 1),
                ("f2", "female", 2001, "c", 3), ("m2", "male", 1975, "b", 3),
                ("m3", "male", 1990, "a", 2)]
    for sub, gender, year, single, scale in profiles:
        person = await respondent(db, sub, gender=gender, birthdate=date(year, 3, 1))
        await services.responses.submit(person, poll.id, answers_for(
            questions, single=single, scale=scale, ranking=("a", "b", "c") if single == "a"
            else ("b", "c", "a")))
    counted = await tallies.totals(SUBJECT_TYPE, poll.id)
    recounted = await recount(poll.id)
    assert {key: total for (_g, key), total in counted.items()} == recounted
    assert recounted["*"].count == 5
    # Every dimension sums to the whole, key by key.
    for dimension in tallies.DIMENSIONS:
        sums: dict[str, list[int]] = {}
        for (_group, key), total in (await tallies.totals(SUBJECT_TYPE, poll.id,
                                                          dimension)).items():
            sums.setdefault(key, [0, 0])
            sums[key][0] += total.count
            sums[key][1] += total.amount
        assert {k: tuple(v) for k, v in sums.items()} == {
            k: (t.count, t.amount) for k, t in recounted.items()}, dimension
