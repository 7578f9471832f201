"""A poll's results: every kind's counts on hand-computed responses, breakdowns with
complementary suppression, free-text answers only once approved, and the R-score and
weighted shares against an imported population."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from graphql import parse
from strawberry import relay

from tests.poll_world import ABC, answers_for, organised, questions_of, respondent
from tests.worlds import MUNICIPALITY_A, REGION_A, REGION_B, World
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.participation.population import import_population
from vmeste.platform.polls.answers import AnswerInput
from vmeste.platform.polls.models import Poll, PollTextAnswer, TextStatus
from vmeste.platform.polls.models import QuestionKind as K
from vmeste.platform.polls.questions import MAX_CHOICES, MAX_ROWS, QuestionInput
from vmeste.platform.polls.services import PollServices
from vmeste.platform.settings import load_settings
from vmeste.schema import build_schema
from vmeste.schema.cost import operation_cost

RESULTS = """query($id: ID!, $w: Boolean!) { pollResults(pollId: $id, weighted: $w) {
  totalResponses rScore population { source total groups { ageBand gender count } }
  questions(limit: 7) { id kind answered mean distribution { value count }
    choices { key count share weightedShare }
    ranking { key score ranked }
    matrix { key choices { key count share } }
    texts { totalCount edges { node { text reason moderatedBy } } } } } }"""
BREAKDOWN = """query($id: ID!, $by: PollBreakdownDimension!) { pollResults(pollId: $id) {
  breakdown(by: $by) { group participants suppressed }
  questions(limit: 2) { breakdown(by: $by) { group participants suppressed choices { key count }
    mean } } } }"""
QUEUE = """query($id: ID!, $s: PollTextStatus) { pollTextAnswers(pollId: $id, status: $s) {
  totalCount edges { node { id text status } } } }"""
MODERATE = """mutation($input: ModeratePollTextInput!) { moderatePollText(input: $input) {
  text { id status reason moderatedBy } userErrors { field code } } }"""
NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


def born(age: int) -> date:
    return date(NOW.year - age, 1, 1)


def gid(poll: Poll) -> str:
    return str(relay.GlobalID("Poll", str(poll.id)))


@pytest.fixture
def services(vmeste_app: Any, clock: Any) -> PollServices:
    clock.set(NOW)
    return vmeste_app.state.runtime.service(PollServices)  # type: ignore[no-any-return]


async def test_every_kinds_counts_from_hand_computed_responses(
        world: World, db: Any, graphql: Any, make_token: Any, services: PollServices) -> None:
    poll = await organised(services)
    questions = await questions_of(poll)
    for n, (single, scale, ranking, text) in enumerate([
            ("a", 4, ("c", "a", "b"), "Лавочки"), ("a", 5, ("a", "b", "c"), "Фонтан"),
            ("b", 1, ("a", "c", "b"), None), ("c", 4, ("b", "a", "c"), "Клумбы")]):
        await services.responses.submit(await respondent(db, f"p{n}"), poll.id, answers_for(
            questions, single=single, scale=scale, ranking=ranking, text=text))
    organiser = await make_token("regional_admin", territory=REGION_A)
    body = await graphql(RESULTS, {"id": gid(poll), "w": False}, token=organiser)
    assert "errors" not in body, body
    result = body["data"]["pollResults"]
    assert result["totalResponses"] == 4
    single, multiple, text, scale, ranking, matrix, why = result["questions"]
    assert [(c["key"], c["count"], c["share"]) for c in single["choices"]] == [
        ("a", 2, 0.5), ("b", 1, 0.25), ("c", 1, 0.25)]
    assert [(c["key"], c["count"], c["share"]) for c in multiple["choices"]] == [
        ("a", 4, 1.0), ("b", 0, 0.0), ("c", 4, 1.0)]
    assert (scale["answered"], scale["mean"]) == (4, 3.5)
    assert [(d["value"], d["count"]) for d in scale["distribution"]] == [
        (1, 1), (2, 0), (3, 0), (4, 2), (5, 1)]
    # Borda over 3 choices: 2, 1 and 0 points a place.
    assert [(r["key"], r["score"], r["ranked"]) for r in ranking["ranking"]] == [
        ("a", 6, 4), ("b", 3, 4), ("c", 3, 4)]
    assert [(row["key"], [(c["key"], c["count"], c["share"]) for c in row["choices"]])
            for row in matrix["matrix"]] == [
        ("roads", [("good", 0, 0.0), ("bad", 4, 1.0)]),
        ("light", [("good", 4, 1.0), ("bad", 0, 0.0)])]
    assert (text["answered"], why["answered"]) == (3, 1)
    # Nothing is moderated yet, so no text is published.
    assert text["texts"] == {"totalCount": 0, "edges": []}
    assert all(c["weightedShare"] is None for c in single["choices"])


async def test_results_are_the_organisers_until_published_then_everyones(
        world: World, db: Any, graphql: Any, make_token: Any, services: PollServices) -> None:
    poll = await organised(services)
    query = "query($id: ID!) { pollResults(pollId: $id) { totalResponses } }"

    async def code(token: str | None) -> str | None:
        body = await graphql(query, {"id": gid(poll)}, token=token)
        return body["errors"][0]["extensions"]["code"] if "errors" in body else None

    citizen = await make_token("citizen")
    auditor = await make_token("auditor", territory=REGION_A)
    stranger = await make_token("regional_admin", territory=REGION_B)
    assert [await code(t) for t in (None, citizen, stranger, auditor)] == [
        "UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN", None]
    await services.close(SYSTEM, poll.id)
    await services.publish(SYSTEM, poll.id)
    assert [await code(t) for t in (None, citizen, stranger)] == [None, None, None]


async def test_breakdowns_suppress_small_groups_and_their_complements(
        world: World, db: Any, graphql: Any, services: PollServices, monkeypatch: Any) -> None:
    # An installation whose VMESTE_MIN_GROUP_SIZE is 3.
    monkeypatch.setattr(services, "min_group_size", 3)
    poll = await organised(services, min_group_size=3, questions=[
        QuestionInput(K.SINGLE, "Что?", choices=ABC),
        QuestionInput(K.SCALE, "Оценка", required=False, scale_min=1, scale_max=5)])
    single, scale = [q.id for q in await questions_of(poll)]
    people = ([("young", 30, "male", "a", 5)] * 4 + [("middle", 40, "female", "b", None)] * 2
              + [("middle", 40, "female", "b", 1)] + [("old", 70, "female", "a", None)])
    for n, (name, age, gender, choice, value) in enumerate(people):
        answers = [AnswerInput(single, choice_keys=(choice,))]
        if value is not None:
            answers.append(AnswerInput(scale, value=value))
        await services.responses.submit(await respondent(
            db, f"{name}{n}", birthdate=born(age), gender=gender), poll.id, answers)
    await services.close(SYSTEM, poll.id)
    await services.publish(SYSTEM, poll.id)

    async def breakdown(by: str) -> dict[str, Any]:
        body = await graphql(BREAKDOWN, {"id": gid(poll), "by": by})
        assert "errors" not in body, body
        return body["data"]["pollResults"]  # type: ignore[no-any-return]

    ages = await breakdown("AGE_BAND")
    # 60+ (1) is too small; 35-44 (3) goes with it, or 60+ = total − the rest.
    assert ages["breakdown"] == [
        {"group": "25-34", "participants": 4, "suppressed": False},
        {"group": "35-44", "participants": None, "suppressed": True},
        {"group": "60+", "participants": None, "suppressed": True}]
    by_single, by_scale = ages["questions"]
    assert by_single["breakdown"][0]["choices"] == [{"key": "a", "count": 4},
                                                    {"key": "b", "count": 0},
                                                    {"key": "c", "count": 0}]
    assert [g["choices"] for g in by_single["breakdown"][1:]] == [[], []]
    # Of the optional scale's five answers one is 35-44's: it and its complement hide.
    assert by_scale["breakdown"] == [
        {"group": "25-34", "participants": None, "suppressed": True, "choices": [],
         "mean": None},
        {"group": "35-44", "participants": None, "suppressed": True, "choices": [],
         "mean": None}]
    genders = await breakdown("GENDER")
    assert genders["breakdown"] == [
        {"group": "male", "participants": 4, "suppressed": False},
        {"group": "female", "participants": 4, "suppressed": False}]
    assert [(g["group"], [c["count"] for c in g["choices"]])
            for g in genders["questions"][0]["breakdown"]] == [
        ("male", [4, 0, 0]), ("female", [1, 3, 0])]
    territories = await breakdown("TERRITORY")
    assert territories["breakdown"] == [
        {"group": MUNICIPALITY_A, "participants": 8, "suppressed": False}]


async def test_breakdowns_are_given_only_once_the_poll_is_closed(
        world: World, db: Any, graphql: Any, make_token: Any, services: PollServices) -> None:
    """Read twice while responses come in, a group's counts would show the responses
    between the reads with their group."""
    poll = await organised(services, questions=[QuestionInput(K.SINGLE, "Что?", choices=ABC)])
    (question,) = await questions_of(poll)
    for n in range(2):
        await services.responses.submit(await respondent(db, f"p{n}"), poll.id,
                                        [AnswerInput(question.id, choice_keys=("a",))])
    organiser = await make_token("regional_admin", territory=REGION_A)

    async def read() -> dict[str, Any]:
        body = await graphql(BREAKDOWN, {"id": gid(poll), "by": "AGE_BAND"}, token=organiser)
        assert "errors" not in body, body
        return body["data"]["pollResults"]  # type: ignore[no-any-return]

    assert await read() == {"breakdown": [], "questions": [{"breakdown": []}]}
    await services.close(SYSTEM, poll.id)
    hidden = [{"group": "35-44", "participants": None, "suppressed": True}]
    assert await read() == {"breakdown": hidden, "questions": [{"breakdown": [
        {**hidden[0], "choices": [], "mean": None}]}]}


async def test_free_text_answers_are_published_only_once_approved(
        world: World, db: Any, graphql: Any, make_token: Any, services: PollServices) -> None:
    poll = await organised(services, territory=MUNICIPALITY_A,
                           questions=[QuestionInput(K.TEXT, "Предложения")])
    (question,) = await questions_of(poll)
    for n, text in enumerate(["Больше лавочек", "Позвоните мне: +7 900 000-00-00", "Фонтан"]):
        await services.responses.submit(await respondent(db, f"p{n}"), poll.id,
                                        [AnswerInput(question.id, text=text)])
    moderator = await make_token("moderator", territory=MUNICIPALITY_A, sub="moder")
    stranger = await make_token("moderator", territory=REGION_B)
    queue = (await graphql(QUEUE, {"id": gid(poll), "s": "PENDING"}, token=moderator))
    assert "errors" not in queue, queue
    assert queue["data"]["pollTextAnswers"]["totalCount"] == 3
    texts = {e["node"]["text"]: e["node"]["id"]
             for e in queue["data"]["pollTextAnswers"]["edges"]}
    denied = await graphql(QUEUE, {"id": gid(poll), "s": None}, token=stranger)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    async def moderate(text: str, approve: bool, reason: str = "", token: str = moderator
                       ) -> dict[str, Any]:
        body = await graphql(MODERATE, {"input": {"textId": texts[text], "approve": approve,
                                                  "reason": reason}}, token=token)
        return body["data"]["moderatePollText"]  # type: ignore[no-any-return]

    assert (await moderate("Фонтан", False))["userErrors"] == [
        {"field": "reason", "code": "REQUIRED"}]
    assert (await moderate("Фонтан", True, token=stranger))["userErrors"] == [
        {"field": None, "code": "FORBIDDEN"}]
    approved = await moderate("Больше лавочек", True)
    assert approved["text"]["status"] == "APPROVED"
    rejected = await moderate("Позвоните мне: +7 900 000-00-00", False, "Личные данные")
    assert rejected["text"] == {"id": texts["Позвоните мне: +7 900 000-00-00"],
                                "status": "REJECTED", "reason": "Личные данные",
                                "moderatedBy": "vmeste-dev:moder"}
    await services.close(SYSTEM, poll.id)
    await services.publish(SYSTEM, poll.id)
    published = (await graphql(RESULTS, {"id": gid(poll), "w": False}))["data"][
        "pollResults"]["questions"][0]["texts"]
    # The results show the approved text and nothing of its moderation.
    assert published == {"totalCount": 1, "edges": [
        {"node": {"text": "Больше лавочек", "reason": None, "moderatedBy": None}}]}
    # A decision can be taken back: an approved text found to be personal is withdrawn.
    await moderate("Больше лавочек", False, "Передумали")
    again = (await graphql(RESULTS, {"id": gid(poll), "w": False}))["data"]["pollResults"]
    assert again["questions"][0]["texts"]["totalCount"] == 0
    assert await AuditEvent.filter(action="poll.moderate_text").count() == 3
    assert await PollTextAnswer.filter(status=TextStatus.PENDING).values_list(
        "text", flat=True) == ["Фонтан"]


async def test_the_r_score_and_weighted_shares_of_a_hand_computed_example(
        world: World, db: Any, graphql: Any, make_token: Any, services: PollServices,
        monkeypatch: Any) -> None:
    """Population (in the municipality; the poll is the region's, so it is summed from
    below): 25-34 men 100, women 100; 60+ men 50, women 150 (400 people). Participants:
    4, 2, 1 and 1 (8). Rates 0.04, 0.02, 0.02 and 1/150: R = (1/150) / 0.04 = 1/6.
    With a smallest group of 2 the two 60+ cells (1 each) are pooled: 200 people, 2
    participants. Weights (population share / sample share): 0.5, 1 and 2 (unpooled the
    old man alone would weigh 1 and the old woman 3). Young men and old men chose a, the
    women b: a is 5/8 raw, (0.5·4 + 2·1) / 8 = 1/2 weighted. With the default smallest
    group (10) no cell is large enough, and nothing is weighted."""
    monkeypatch.setattr(services, "min_group_size", 2)
    await import_population(io.StringIO(
        "territory_code,age_band,gender,count\n"
        f"{MUNICIPALITY_A},25-34,male,100\n{MUNICIPALITY_A},25-34,female,100\n"
        f"{MUNICIPALITY_A},60+,male,50\n{MUNICIPALITY_A},60+,female,150\n"),
        bands=db.age_bands, actor="test")
    poll = await organised(services, min_group_size=2,
                           questions=[QuestionInput(K.SINGLE, "Что?", choices=ABC)])
    default = await organised(services, min_group_size=10,
                              questions=[QuestionInput(K.SINGLE, "Что?", choices=ABC)])
    groups = [(30, "male", "a")] * 4 + [(30, "female", "b")] * 2 + [(70, "male", "a"),
                                                                   (70, "female", "b")]
    for each in (poll, default):
        (question,) = await questions_of(each)
        for n, (age, gender, choice) in enumerate(groups):
            await services.responses.submit(
                await respondent(db, f"p{n}", birthdate=born(age), gender=gender), each.id,
                [AnswerInput(question.id, choice_keys=(choice,))])
    organiser = await make_token("regional_admin", territory=REGION_A)

    async def read(of: Poll, weighted: bool) -> dict[str, Any]:
        body = await graphql(RESULTS, {"id": gid(of), "w": weighted}, token=organiser)
        assert "errors" not in body, body
        return body["data"]["pollResults"]  # type: ignore[no-any-return]

    result = await read(poll, True)
    assert result["rScore"] == pytest.approx(1 / 6)
    assert (result["population"]["source"], result["population"]["total"]) == (
        "descendants", 400)
    choices = result["questions"][0]["choices"]
    assert [(c["key"], c["share"]) for c in choices] == [("a", 5 / 8), ("b", 3 / 8),
                                                         ("c", 0.0)]
    assert [c["weightedShare"] for c in choices] == pytest.approx([1 / 2, 1 / 2, 0.0])
    raw = await read(poll, False)
    assert raw["rScore"] == pytest.approx(1 / 6)
    assert [c["weightedShare"] for c in raw["questions"][0]["choices"]] == [None] * 3
    # The R-score counts participation only, so it stands whatever the group size.
    unweighted = await read(default, True)
    assert unweighted["rScore"] == pytest.approx(1 / 6)
    assert [c["weightedShare"] for c in unweighted["questions"][0]["choices"]] == [None] * 3


async def test_without_a_population_there_is_no_r_score_and_nothing_weighted(
        world: World, db: Any, graphql: Any, make_token: Any, services: PollServices) -> None:
    poll = await organised(services, questions=[QuestionInput(K.SINGLE, "Что?", choices=ABC)])
    (question,) = await questions_of(poll)
    await services.responses.submit(await respondent(db, "p"), poll.id,
                                    [AnswerInput(question.id, choice_keys=("a",))])
    organiser = await make_token("regional_admin", territory=REGION_A)
    result = (await graphql(RESULTS, {"id": gid(poll), "w": True}, token=organiser))[
        "data"]["pollResults"]
    assert result["rScore"] is None
    assert result["population"] == {"source": "none", "total": 0, "groups": []}
    assert [c["weightedShare"] for c in result["questions"][0]["choices"]] == [None] * 3


def test_a_results_read_is_priced_at_the_bounds_a_poll_keeps() -> None:
    """Plain lists whose length the platform bounds (30 choices, 10 matrix rows) are
    priced at that bound, not at the page cap; questions at the asked limit."""
    schema = build_schema(load_settings({}))._schema
    document = parse('{ pollResults(pollId: "UG9sbDox") { questions(limit: 3) { choices '
                     '{ key } matrix { choices { key } } } } }')
    cost = operation_cost(schema, document.definitions[0], {}, None, page_cap=100)  # type: ignore[arg-type]
    question = (1 + MAX_CHOICES) + (1 + MAX_ROWS * (1 + MAX_CHOICES))
    assert cost == 1 + (1 + 3 * question)
