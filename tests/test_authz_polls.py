"""Every role × every polls operation, as one table (counted by the authorisation
meta-test in ``test_authz_matrix.py``).

The target poll lies in region A's municipality (territory roles are held on region A)
or in region B's, and is seeded straight into the status the operation needs: a draft
to read or open, an open one to answer or close, a closed one to publish, an
unpublished one for results (``-published``: published, which everyone reads), and one
with a pending free-text answer to moderate. Every caller lives in region A's
municipality, so that answering a poll there is a matter of authorisation alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.test_authz_matrix import (
    CALLER_SCOPES,
    REFUSALS,
    assert_query_outcome,
    parse_table,
    result_of,
)
from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, REGION_A, seed_world, user_error_codes
from vmeste.platform.identity.dev_tokens import DevProfile, issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.polls.models import Poll, PollQuestion, PollStatus, PollTextAnswer
from vmeste.platform.polls.models import QuestionKind as K
from vmeste.platform.polls.questions import QuestionInput
from vmeste.platform.polls.services import PollInput, PollServices
from vmeste.testing import GraphQLClient

TABLE = """
poll                 A            empty  empty  empty  empty  empty  empty  ok     ok     ok
poll                 B            empty  empty  empty  empty  empty  empty  empty  ok     empty
poll                 A-open       ok     ok     ok     ok     ok     ok     ok     ok     ok
polls                A            empty  empty  empty  empty  empty  empty  ok     ok     ok
polls                B            empty  empty  empty  empty  empty  empty  empty  ok     empty
polls                A-open       ok     ok     ok     ok     ok     ok     ok     ok     ok
pollResults          A            unauth forbid forbid forbid forbid forbid ok     ok     ok
pollResults          B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
pollResults          A-published  ok     ok     ok     ok     ok     ok     ok     ok     ok
pollTextAnswers      A            unauth forbid forbid forbid forbid ok     ok     ok     ok
pollTextAnswers      B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
population           A            ok     ok     ok     ok     ok     ok     ok     ok     ok
createPoll           A            unauth forbid forbid forbid forbid forbid ok     ok     forbid
createPoll           B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
openPoll             A            unauth forbid forbid forbid forbid forbid ok     ok     forbid
openPoll             B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
closePoll            A            unauth forbid forbid forbid forbid forbid ok     ok     forbid
closePoll            B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
publishPollResults   A            unauth forbid forbid forbid forbid forbid ok     ok     forbid
publishPollResults   B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
submitPollResponse   A            unauth ok     ok     ok     ok     ok     ok     ok     ok
moderatePollText     A            unauth forbid forbid forbid forbid ok     ok     ok     forbid
moderatePollText     B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
"""

EXPECTED = parse_table(TABLE)
S = PollStatus


@dataclass(frozen=True)
class Case:
    kind: str
    document: str
    #: The status the target poll is brought to; None seeds no poll.
    status: PollStatus | None
    #: Variables from the poll's global id, its question's id, the pending text's id and
    #: the target's municipality.
    variables: Any
    #: Whether a query's answer shows the target (the poll's global id).
    visible: Any = lambda result, poll: result is not None


def _step(name: str, status: PollStatus) -> Case:
    return Case("mutation", f"mutation($id: ID!) {{ {name}(id: $id) {{ poll {{ id status }} "
                "userErrors { code } } }", status,
                lambda poll, question, text, territory: {"id": poll})


CASES: dict[str, Case] = {
    "poll": Case("query", "query($id: ID!) { poll(id: $id) { id } }", S.DRAFT,
                 lambda poll, question, text, territory: {"id": poll}),
    "polls": Case("query", "{ polls { edges { node { id } } } }", S.DRAFT,
                  lambda poll, question, text, territory: {},
                  lambda result, poll: poll in {e["node"]["id"] for e in result["edges"]}),
    "pollResults": Case("query", "query($id: ID!) { pollResults(pollId: $id) "
                        "{ totalResponses } }", S.OPEN,
                        lambda poll, question, text, territory: {"id": poll}),
    "pollTextAnswers": Case("query", "query($id: ID!) { pollTextAnswers(pollId: $id) "
                            "{ totalCount } }", S.OPEN,
                            lambda poll, question, text, territory: {"id": poll}),
    "population": Case("query", "query($c: String!) { population(territoryCode: $c) "
                       "{ total } }", None,
                       lambda poll, question, text, territory: {"c": REGION_A}),
    "createPoll": Case(
        "mutation", "mutation($input: CreatePollInput!) { createPoll(input: $input) "
        "{ poll { id status questions { id } } userErrors { code } } }", None,
        lambda poll, question, text, territory: {"input": {
            "title": "Опрос", "territoryCode": territory, "questions": [
                {"kind": "SCALE", "title": "Оценка", "scaleMin": 1, "scaleMax": 5}]}}),
    "openPoll": _step("openPoll", S.DRAFT),
    "closePoll": _step("closePoll", S.OPEN),
    "publishPollResults": _step("publishPollResults", S.CLOSED),
    "submitPollResponse": Case(
        "mutation", "mutation($input: SubmitPollResponseInput!) { submitPollResponse("
        "input: $input) { response { id } userErrors { code } } }", S.OPEN,
        lambda poll, question, text, territory: {"input": {"pollId": poll, "answers": [
            {"questionId": question, "value": 3}]}}),
    "moderatePollText": Case(
        "mutation", "mutation($input: ModeratePollTextInput!) { moderatePollText(input: "
        "$input) { text { id status } userErrors { code } } }", S.OPEN,
        lambda poll, question, text, territory: {"input": {"textId": text, "approve": True}}),
}

STEPS_TO = {S.DRAFT: (), S.OPEN: ("open",), S.CLOSED: ("open", "close"),
            S.RESULTS_PUBLISHED: ("open", "close", "publish")}


async def _poll(services: PollServices, territory: str, status: PollStatus) -> Poll:
    poll = await services.create(SYSTEM, PollInput(
        title="Опрос", territory_code=territory, questions=[
            QuestionInput(K.SCALE, "Оценка", scale_min=1, scale_max=5)]))
    for step in STEPS_TO[status]:
        poll = await getattr(services, step)(SYSTEM, poll.id)
    return poll


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_polls_authorisation_matrix(operation: str, target: str, db: Any) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        municipality = MUNICIPALITY_A if target.startswith("A") else MUNICIPALITY_B
        status = {"A-open": S.OPEN, "A-published": S.RESULTS_PUBLISHED}.get(target, case.status)
        services = vmeste_app.state.runtime.service(PollServices)
        async with in_transaction():
            await seed_world()
            token = None if role == "anonymous" else await issue_dev_token(
                db, Role(role), subject=f"caller-{role}",
                organization_ogrn=CALLER_SCOPES[role].get("org"),
                territory_code=CALLER_SCOPES[role].get("territory"),
                profile=DevProfile(address_oktmo=MUNICIPALITY_A))
        poll_id, question_id, text_id = "", 0, ""
        if status is not None:
            poll = await _poll(services, municipality, status)
            poll_id = relay.to_base64("Poll", poll.id)
            question = await PollQuestion.get(poll_id=poll.id)
            question_id = question.id
            text = await PollTextAnswer.create(
                poll_id=poll.id, question_id=question.id, text="Предложение",
                territory_group=municipality, submitted_minute=datetime.now(UTC))
            text_id = str(text.id)
        body = await graphql(case.document, case.variables(poll_id, question_id, text_id,
                                                            municipality), token=token)
        if case.kind == "query":
            assert_query_outcome(body, operation, expected,
                                 lambda result: case.visible(result, poll_id))
            return
        assert "errors" not in body, body
        payload = result_of(body, operation)
        if expected in REFUSALS:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            if status is not None:
                assert (await Poll.get(id=poll.id)).status == status, "nothing changed"
            else:
                assert not await Poll.exists()
            return
        assert expected == "ok" and payload["userErrors"] == [], payload
        assert any(v for k, v in payload.items() if k != "userErrors"), payload

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
