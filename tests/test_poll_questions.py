"""Defining a poll: every question kind with its limits, every invalid definition
refused on its own field, and the poll's own fields checked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.poll_world import AB, ABC, every_kind, organised, question, refusal, services_of
from tests.worlds import MUNICIPALITY_A, REGION_A, World
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.errors import DomainError
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.polls.models import Poll, PollEvent
from vmeste.platform.polls.models import QuestionKind as K
from vmeste.platform.polls.questions import Choice, ShowIf
from vmeste.platform.polls.services import PollInput

CREATE = """mutation($input: CreatePollInput!) { createPoll(input: $input) {
  poll { id status questions { id kind minChoices maxChoices showIf { question anyOf } } }
  userErrors { field code message } } }"""


async def test_a_regional_admin_creates_a_poll_with_every_kind_of_question(
        world: World, graphql: Any, make_token: Any) -> None:
    admin = await make_token("regional_admin", territory=REGION_A)
    q = [{"kind": "SINGLE", "title": "Что?", "choices": [{"key": "a", "title": "А"},
                                                         {"key": "b", "title": "Б"}]},
         {"kind": "MULTIPLE", "title": "Что ещё?", "choices": [{"key": "a", "title": "А"},
                                                               {"key": "b", "title": "Б"},
                                                               {"key": "c", "title": "В"}]},
         {"kind": "TEXT", "title": "Почему?", "required": False,
          "showIf": {"question": 0, "anyOf": ["b"]}},
         {"kind": "SCALE", "title": "Оценка", "scaleMin": 0, "scaleMax": 10},
         {"kind": "RANKING", "title": "Порядок", "choices": [{"key": "x", "title": "X"},
                                                             {"key": "y", "title": "Y"}]},
         {"kind": "MATRIX", "title": "Матрица", "rows": [{"key": "r", "title": "R"}],
          "choices": [{"key": "y", "title": "Да"}, {"key": "n", "title": "Нет"}]}]
    body = await graphql(CREATE, {"input": {"title": "Опрос", "territoryCode": MUNICIPALITY_A,
                                            "questions": q}}, token=admin)
    payload = body["data"]["createPoll"]
    assert payload["userErrors"] == []
    assert payload["poll"]["status"] == "DRAFT"
    made = payload["poll"]["questions"]
    assert [m["kind"] for m in made] == ["SINGLE", "MULTIPLE", "TEXT", "SCALE", "RANKING",
                                         "MATRIX"]
    # Defaults: choose 1 to all of a multiple, rank all of a ranking.
    assert (made[1]["minChoices"], made[1]["maxChoices"]) == (1, 3)
    assert (made[4]["minChoices"], made[4]["maxChoices"]) == (2, 2)
    assert made[2]["showIf"] == {"question": 0, "anyOf": ["b"]}
    poll = await Poll.get()
    assert await PollEvent.filter(poll_id=poll.id).values_list("action", flat=True) == ["create"]
    assert await AuditEvent.filter(object_type="poll", action="poll.create").count() == 1


INVALID_QUESTIONS = {
    "single with one choice": ([question(K.SINGLE, choices=AB[:1])], "questions.0.choices"),
    "single with maxChoices": ([question(K.SINGLE, choices=AB, max_choices=1)],
                               "questions.0.maxChoices"),
    "a key used twice": ([question(K.SINGLE, choices=(AB[0], AB[0]))], "questions.0.choices.1.key"),
    "a key with a space": ([question(K.SINGLE, choices=(Choice("a b", "А"), AB[1]))],
                           "questions.0.choices.0.key"),
    "a choice without a title": ([question(K.SINGLE, choices=(AB[0], Choice("b", " ")))],
                                 "questions.0.choices.1.title"),
    "a question without a title": ([question(K.TEXT, title="  ")], "questions.0.title"),
    "multiple min above max": ([question(K.MULTIPLE, choices=ABC, min_choices=3, max_choices=2)],
                               "questions.0.maxChoices"),
    "multiple min of 0": ([question(K.MULTIPLE, choices=ABC, min_choices=0)],
                          "questions.0.minChoices"),
    "text with choices": ([question(K.TEXT, choices=AB)], "questions.0.choices"),
    "text with a scale": ([question(K.TEXT, scale_min=1)], "questions.0.scaleMin"),
    "scale without an end": ([question(K.SCALE, scale_min=1)], "questions.0.scaleMax"),
    "scale upside down": ([question(K.SCALE, scale_min=5, scale_max=1)], "questions.0.scaleMax"),
    "scale too wide": ([question(K.SCALE, scale_min=0, scale_max=101)], "questions.0.scaleMax"),
    "scale with choices": ([question(K.SCALE, scale_min=1, scale_max=5, choices=AB)],
                           "questions.0.choices"),
    "ranking of more than it has": ([question(K.RANKING, choices=ABC, max_choices=4)],
                                    "questions.0.maxChoices"),
    "matrix without rows": ([question(K.MATRIX, choices=AB)], "questions.0.rows"),
    "rows outside a matrix": ([question(K.SINGLE, choices=AB, rows=AB)], "questions.0.rows"),
    "matrix with minChoices": ([question(K.MATRIX, choices=AB, rows=AB, min_choices=1)],
                               "questions.0.minChoices"),
    "showIf on the first question": ([question(K.TEXT, show_if=ShowIf(0, ("a",)))],
                                     "questions.0.showIf.question"),
    "showIf after a later question": ([question(K.SINGLE, choices=AB, show_if=ShowIf(1, ("a",))),
                                       question(K.SINGLE, choices=AB)],
                                      "questions.0.showIf.question"),
    "showIf after a text": ([question(K.TEXT), question(K.TEXT, show_if=ShowIf(0, ("a",)))],
                            "questions.1.showIf.question"),
    "showIf with an unknown key": ([question(K.SINGLE, choices=AB),
                                    question(K.TEXT, show_if=ShowIf(0, ("a", "z")))],
                                   "questions.1.showIf.anyOf.1"),
    "showIf with no keys": ([question(K.SINGLE, choices=AB),
                             question(K.TEXT, show_if=ShowIf(0, ()))],
                            "questions.1.showIf.anyOf"),
    "no questions": ([], "questions"),
}


@pytest.mark.parametrize("case", list(INVALID_QUESTIONS))
async def test_an_invalid_question_is_refused_on_its_field(case: str, world: World,
                                                           vmeste_app: Any) -> None:
    questions, field = INVALID_QUESTIONS[case]
    with pytest.raises(DomainError) as refused:
        await organised(services_of(vmeste_app), questions=questions, open_it=False)
    assert refusal(refused.value) == [(field, "INVALID")]
    assert not await Poll.exists()


@pytest.mark.parametrize(("fields", "expected"), [
    ({"title": " "}, ("title", "REQUIRED")),
    ({"min_age": 200}, ("minAge", "INVALID")),
    ({"min_group_size": 0}, ("minGroupSize", "INVALID")),
    # Below the installation's VMESTE_MIN_GROUP_SIZE (10 in the tests).
    ({"min_group_size": 9}, ("minGroupSize", "INVALID")),
    ({"closes_at": datetime(2020, 1, 1, tzinfo=UTC)}, ("closesAt", "INVALID")),
    ({"opens_at": datetime(2100, 2, 1, tzinfo=UTC), "closes_at": datetime(2100, 1, 1,
                                                                           tzinfo=UTC)},
     ("closesAt", "INVALID")),
    ({"territory_code": "99999999"}, ("territoryCode", "NOT_FOUND")),
])
async def test_an_invalid_poll_is_refused_on_its_field(fields: dict[str, Any], expected: Any,
                                                       world: World, vmeste_app: Any) -> None:
    data = {"title": "Опрос", "territory_code": REGION_A, "questions": every_kind(), **fields}
    with pytest.raises(DomainError) as refused:
        await services_of(vmeste_app).create(SYSTEM, PollInput(**data))
    assert refusal(refused.value) == [expected]


@pytest.mark.parametrize("size", [None, 10, 25])
async def test_a_poll_publishes_no_group_smaller_than_the_installation_does(
        size: int | None, world: World, vmeste_app: Any) -> None:
    poll = await organised(services_of(vmeste_app), open_it=False, min_group_size=size)
    assert poll.min_group_size == (size or 10)
