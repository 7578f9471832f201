"""Every role × every operations field (dead letters, the outbox backlog), as one table
(a component half of ``test_authz_matrix.py``, whose completeness check counts it).

A dead letter is seeded in the target's territory: ``A`` in a municipality of region A
(where territory roles are held), ``B`` in region B, ``national`` about nothing
territorial. Cells mean what they mean in the main matrix; ``ok`` for the re-drive is
a queued job with its audit event, and a refusal queues nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.test_authz_matrix import (
    REFUSALS,
    assert_query_outcome,
    caller_token,
    parse_table,
    result_of,
)
from tests.worlds import MUNICIPALITY_A, REGION_B, seed_world, user_error_codes
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.outbox.models import DeadLetter, OutboxMessage
from vmeste.platform.reference.models import Territory
from vmeste.testing import GraphQLClient

TABLE = """
deadLetters          A        unauth forbid forbid forbid forbid forbid ok     ok     forbid
deadLetters          B        unauth forbid forbid forbid forbid forbid empty  ok     forbid
deadLetters          national unauth forbid forbid forbid forbid forbid empty  ok     forbid
outboxBacklog        -        unauth forbid forbid forbid forbid forbid ok     ok     forbid
redriveDeadLetters   A        unauth forbid forbid forbid forbid forbid ok     ok     forbid
redriveDeadLetters   B        unauth forbid forbid forbid forbid forbid absent ok     forbid
redriveDeadLetters   national unauth forbid forbid forbid forbid forbid absent ok     forbid
"""

EXPECTED = parse_table(TABLE)
SCOPES = {"A": MUNICIPALITY_A, "B": REGION_B}


@dataclass(frozen=True)
class Case:
    kind: str  # "query" or "mutation"
    document: str
    visible: Any = lambda result, letter: result is not None


def _listed(result: Any, letter: str) -> bool:
    return letter in {edge["node"]["id"] for edge in result["edges"]}


CASES: dict[str, Case] = {
    "deadLetters": Case("query", "query { deadLetters(first: 50) { edges { node { id } } } }",
                        _listed),
    "outboxBacklog": Case("query", "query { outboxBacklog { unrelayed oldestAgeSeconds } }",
                          lambda result, _: result["unrelayed"] == 1),
    "redriveDeadLetters": Case(
        "mutation", "mutation($ids: [ID!]!) { redriveDeadLetters(ids: $ids) { "
        "deadLetters { id redrivenBy } userErrors { field code message } } }"),
}


async def _seed(target: str) -> DeadLetter:
    await seed_world()
    path = ""
    if target in SCOPES:
        path = (await Territory.get(code=SCOPES[target])).path
    await OutboxMessage.create(topic="notification.deliver", payload={"notification_id": 1},
                               dedupe_key="waiting")
    return await DeadLetter.create(actor="vmeste.deliver", queue="vmeste.deliveries",
                                   message_id="m-1", kwargs={"notification_id": 999_999},
                                   error="DeliveryError: SMTP 451", attempts=9,
                                   scope_path=path)


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_operations_authorisation_matrix(
        operation: str, target: str, db: Any, make_token: Any,
) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        async with in_transaction():
            letter = await _seed(target)
            _, token = await caller_token(make_token, role)
        body = await graphql(case.document, {"ids": [str(letter.id)]}
                             if case.kind == "mutation" else None, token=token)
        if case.kind == "query":
            assert_query_outcome(body, operation, expected,
                                 lambda result: case.visible(result, str(letter.id)))
            return
        assert "errors" not in body, body
        payload = result_of(body, operation)
        redriven = await OutboxMessage.filter(dedupe_key=f"redrive:{letter.id}").exists()
        audited = await AuditEvent.filter(action="dead_letter.redrive").exists()
        if expected in REFUSALS:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            assert not redriven and not audited, "a refused re-drive queues nothing"
            assert (await DeadLetter.get(id=letter.id)).redriven_at is None
            return
        assert expected == "ok"
        assert payload["userErrors"] == [], payload
        assert [d["id"] for d in payload["deadLetters"]] == [str(letter.id)]
        assert redriven and audited

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
