"""Every role × every direct line operation, as one table (counted by the authorisation
meta-test in ``test_authz_matrix.py``).

The target line lies in region A's municipality, organised by region A's ministry
(organization roles are held there, territory roles on region A), or in region B's,
organised by region B's department; it is brought to the status the operation needs
(a draft to read, update or announce; ``-open``: collecting, which everyone reads), with
two published questions of another citizen asking the same thing (the second pending,
for moderation).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette
from strawberry import relay
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.line_world import STEPS_TO, citizen, line, published
from tests.test_authz_matrix import (
    CALLER_SCOPES,
    REFUSALS,
    _graphql_endpoint,
    _Request,
    assert_query_outcome,
    parse_table,
    result_of,
)
from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, ORG_A, ORG_B, seed_world, user_error_codes
from vmeste.platform.hearings.line_models import (
    DirectLine,
    LineQuestion,
    LineStatus,
    QuestionStatus,
)
from vmeste.platform.identity.authenticate import authenticate
from vmeste.platform.identity.dev_tokens import DevProfile, issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.schema.hearings import line_subscriptions
from vmeste.testing import GraphQLClient

TABLE = """
directLine                  A      empty  empty  ok     empty  ok     empty  ok     ok     ok
directLine                  B      empty  empty  empty  empty  empty  empty  empty  ok     empty
directLine                  A-open ok     ok     ok     ok     ok     ok     ok     ok     ok
directLines                 A      empty  empty  ok     empty  ok     empty  ok     ok     ok
directLines                 B      empty  empty  empty  empty  empty  empty  empty  ok     empty
directLines                 A-open ok     ok     ok     ok     ok     ok     ok     ok     ok
lineQuestionDuplicates      A      unauth forbid forbid forbid forbid ok     ok     ok     forbid
lineQuestionDuplicates      B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
lineQuestionUpdates         A      absent absent ok     absent ok     absent ok     ok     ok
lineQuestionUpdates         B      absent absent absent absent absent absent absent ok     absent
lineQuestionUpdates         A-open ok     ok     ok     ok     ok     ok     ok     ok     ok
createDirectLine            A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
createDirectLine            B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
updateDirectLine            A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
updateDirectLine            B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
announceDirectLine          A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
announceDirectLine          B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
startDirectLine             A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
startDirectLine             B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
finishDirectLine            A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
finishDirectLine            B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
cancelDirectLine            A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
cancelDirectLine            B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
askLineQuestion             A      unauth ok     ok     ok     ok     ok     ok     ok     ok
askLineQuestion             B      unauth ok     ok     ok     ok     ok     ok     ok     ok
moderateLineQuestion        A      unauth forbid forbid forbid forbid ok     ok     ok     forbid
moderateLineQuestion        B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
supportLineQuestion         A      unauth ok     ok     ok     ok     ok     ok     ok     ok
supportLineQuestion         B      unauth ok     ok     ok     ok     ok     ok     ok     ok
withdrawLineQuestionSupport A      unauth ok     ok     ok     ok     ok     ok     ok     ok
withdrawLineQuestionSupport B      unauth ok     ok     ok     ok     ok     ok     ok     ok
mergeLineQuestions          A      unauth forbid forbid forbid forbid ok     ok     ok     forbid
mergeLineQuestions          B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
markLineQuestionAnswered    A      unauth forbid ok     forbid ok     forbid ok     ok     forbid
markLineQuestionAnswered    B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
handOverLineQuestions       A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
handOverLineQuestions       B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
"""

EXPECTED = parse_table(TABLE)
S = LineStatus
Variables = Callable[[str, str, str, str, str], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    kind: str
    document: str
    #: The status the target line is brought to; None seeds no line.
    status: LineStatus | None
    #: From the line's global id, its two questions' ids, the territory and the body.
    variables: Variables
    #: Whether a query's answer shows the target (the line's or the 2nd question's id).
    visible: Callable[[Any, str, str], bool] = lambda result, line, question: (
        result is not None)
    #: The second question is pending (for moderation).
    pending: bool = False


def _line_input(territory: str, organization: str) -> dict[str, Any]:
    return {"title": "Прямая линия", "officialName": "Иванов И. И.",
            "organizationOgrn": organization, "territoryCode": territory,
            "startsAt": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
            "topics": ["Дороги"], "categoryCode": "roads"}


def _step(name: str, status: LineStatus) -> Case:
    return Case("mutation", f"mutation($id: ID!) {{ {name}(id: $id) {{ directLine {{ id "
                "status } userErrors { code } } }", status,
                lambda line, q1, q2, territory, org: {"id": line})


def _on_question(name: str, status: LineStatus = S.COLLECTING) -> Case:
    return Case("mutation", f"mutation($input: LineQuestionInput!) {{ {name}(input: $input) "
                "{ question { id votes } userErrors { code } } }", status,
                lambda line, q1, q2, territory, org: {"input": {"id": q1}})


CASES: dict[str, Case] = {
    "directLine": Case("query", "query($id: ID!) { directLine(id: $id) { id } }", S.DRAFT,
                       lambda line, q1, q2, territory, org: {"id": line}),
    "directLines": Case("query", "{ directLines { edges { node { id } } } }", S.DRAFT,
                        lambda line, q1, q2, territory, org: {},
                        lambda result, line, q: line in {e["node"]["id"]
                                                         for e in result["edges"]}),
    "lineQuestionDuplicates": Case(
        "query", "query($id: ID!) { lineQuestionDuplicates(questionId: $id) { question { id } "
        "score } }", S.COLLECTING, lambda line, q1, q2, territory, org: {"id": q1},
        lambda result, line, q: q in {d["question"]["id"] for d in result}),
    "lineQuestionUpdates": Case(
        "subscription", "subscription($id: ID!) { lineQuestionUpdates(lineId: $id) { kind "
        "question { id votes } } }", S.DRAFT, lambda line, q1, q2, territory, org: {"id": line}),
    "createDirectLine": Case(
        "mutation", "mutation($input: DirectLineInput!) { createDirectLine(input: $input) "
        "{ directLine { id status } userErrors { code } } }", None,
        lambda line, q1, q2, territory, org: {"input": _line_input(territory, org)}),
    "updateDirectLine": Case(
        "mutation", "mutation($input: UpdateDirectLineInput!) { updateDirectLine(input: "
        "$input) { directLine { id title } userErrors { code } } }", S.DRAFT,
        lambda line, q1, q2, territory, org: {"input": {
            "id": line, "line": _line_input(territory, org)}}),
    "announceDirectLine": _step("announceDirectLine", S.DRAFT),
    "startDirectLine": _step("startDirectLine", S.COLLECTING),
    "finishDirectLine": _step("finishDirectLine", S.LIVE),
    "cancelDirectLine": Case(
        "mutation", "mutation($input: CancelDirectLineInput!) { cancelDirectLine(input: "
        "$input) { directLine { id status } userErrors { code } } }", S.COLLECTING,
        lambda line, q1, q2, territory, org: {"input": {"id": line, "reason": "Перенос"}}),
    "askLineQuestion": Case(
        "mutation", "mutation($input: AskLineQuestionInput!) { askLineQuestion(input: "
        "$input) { question { id status } userErrors { code } } }", S.COLLECTING,
        lambda line, q1, q2, territory, org: {"input": {
            "lineId": line, "text": "Когда починят фонари на улице Ленина?"}}),
    "moderateLineQuestion": Case(
        "mutation", "mutation($input: ModerateLineQuestionInput!) { moderateLineQuestion("
        "input: $input) { question { id status } userErrors { code } } }", S.COLLECTING,
        lambda line, q1, q2, territory, org: {"input": {"id": q2, "decision": "PUBLISH"}},
        pending=True),
    "supportLineQuestion": _on_question("supportLineQuestion"),
    "withdrawLineQuestionSupport": _on_question("withdrawLineQuestionSupport"),
    "mergeLineQuestions": Case(
        "mutation", "mutation($input: MergeLineQuestionsInput!) { mergeLineQuestions(input: "
        "$input) { question { id votes } userErrors { code } } }", S.COLLECTING,
        lambda line, q1, q2, territory, org: {"input": {"targetId": q1, "sourceIds": [q2]}}),
    "markLineQuestionAnswered": _on_question("markLineQuestionAnswered", S.LIVE),
    "handOverLineQuestions": Case(
        "mutation", "mutation($input: HandOverLineQuestionsInput!) { handOverLineQuestions("
        "input: $input) { directLine { id } appealsCreated userErrors { code } } }",
        S.FINISHED, lambda line, q1, q2, territory, org: {"input": {"lineId": line}}),
}

assert set(STEPS_TO) >= {case.status for case in CASES.values() if case.status}


async def _state() -> list[Any]:
    """What a refused mutation must leave as it was."""
    return [await DirectLine.all().order_by("id").values_list("id", "status", "revision",
                                                              "title"),
            await LineQuestion.all().order_by("id").values_list(
                "id", "status", "votes", "answered_at", "merged_into_id", "appeal_id")]


class _SignallingAsyncio:
    """Stands in for ``asyncio`` in the feed's module: its waits signal and are short."""

    def __init__(self) -> None:
        self.polling = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.polling.set()
        await asyncio.sleep(0.01)


async def _subscribe(app: Starlette, token: str | None, case: Case, variables: dict[str, Any],
                     question_id: int, signal: _SignallingAsyncio) -> tuple[str | None, Any]:
    """The first update the caller gets once another question's votes change."""
    principal = await authenticate(token, app.state.settings, app.state.plugins)
    endpoint = _graphql_endpoint(app)
    context = await endpoint.get_context(_Request(principal), None)
    stream = await endpoint.schema.subscribe(case.document, context_value=context,
                                             variable_values=variables)
    first = asyncio.ensure_future(stream.__anext__())
    waiting = asyncio.ensure_future(signal.polling.wait())
    await asyncio.wait({first, waiting}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    await LineQuestion.filter(id=question_id).update(votes=F("votes") + 1)
    try:
        result = await asyncio.wait_for(first, timeout=5)
    finally:
        await stream.aclose()
    if result.errors:
        return result.errors[0].extensions.get("code"), None
    return None, result.data["lineQuestionUpdates"]


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_lines_authorisation_matrix(
        operation: str, target: str, db: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        territory, organization = ((MUNICIPALITY_A, ORG_A) if target.startswith("A")
                                   else (MUNICIPALITY_B, ORG_B))
        status = S.COLLECTING if target == "A-open" else case.status
        async with in_transaction():
            await seed_world()
            token = None if role == "anonymous" else await issue_dev_token(
                db, Role(role), subject=f"caller-{role}",
                organization_ogrn=CALLER_SCOPES[role].get("org"),
                territory_code=CALLER_SCOPES[role].get("territory"),
                profile=DevProfile(address_oktmo=MUNICIPALITY_A))
        line_id = q1_id = q2_id = ""
        if status is not None:
            row = await line(status, territory, organization)
            author = await citizen(db, "author")
            first = await published(row, author)
            second = await published(row, author, "Будет ли ремонт дороги по ул. Ленина?",
                                     QuestionStatus.PENDING if case.pending
                                     else QuestionStatus.PUBLISHED)
            line_id = relay.to_base64("DirectLine", row.id)
            q1_id, q2_id = (relay.to_base64("LineQuestion", q.id) for q in (first, second))
        variables = case.variables(line_id, q1_id, q2_id, territory, organization)
        if case.kind == "subscription":
            signal = _SignallingAsyncio()
            monkeypatch.setattr(line_subscriptions, "asyncio", signal)
            code, update = await _subscribe(vmeste_app, token, case, variables, second.id, signal)
            if expected in REFUSALS:
                assert code == REFUSALS[expected], (operation, target, role, code)
            else:
                assert code is None and update["question"]["id"] == q2_id
                assert update["kind"] == "VOTES"
            return
        before = await _state()
        body = await graphql(case.document, variables, token=token)
        if case.kind == "query":
            assert_query_outcome(body, operation, expected,
                                 lambda result: case.visible(result, line_id, q2_id))
            return
        assert "errors" not in body, body
        payload = result_of(body, operation)
        if expected in REFUSALS:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            assert await _state() == before, "a refused change changes nothing"
            return
        assert expected == "ok" and payload["userErrors"] == [], payload
        assert any(v for k, v in payload.items() if k != "userErrors"), payload

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
