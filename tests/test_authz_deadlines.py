"""Every role × every deadlines operation (calendars and previews), as one table; the
authorisation meta-test in ``test_authz_matrix.py`` counts it with the others.

Calendars and previews are public. A calendar import is the federal configurator's for
a base calendar and a regional administrator's (region A) for their region's."""

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
from tests.worlds import MUNICIPALITY_A, REGION_A, seed_world, user_error_codes
from vmeste.platform.deadlines.models import StoredCalendar
from vmeste.platform.deadlines.store import packaged_document
from vmeste.testing import GraphQLClient

TABLE = """
calendars        -        ok     ok     ok     ok     ok     ok     ok     ok     ok
previewDeadline  -        ok     ok     ok     ok     ok     ok     ok     ok     ok
importCalendar   A        unauth forbid forbid forbid forbid forbid ok     ok     forbid
importCalendar   B        unauth forbid forbid forbid forbid forbid forbid ok     forbid
importCalendar   federal  unauth forbid forbid forbid forbid forbid forbid ok     forbid
"""

EXPECTED = parse_table(TABLE)


@dataclass(frozen=True)
class Case:
    kind: str
    document: str


# Region B carries the Tatarstan calendar's code in the test world.
DOCUMENTS = {"A": {"name": "ru_33_test", "version": "2030-01-01", "territory": REGION_A,
                   "base": "ru_federal", "years": {"2025": {"holidays": ["2025-07-01"]}}},
             "B": packaged_document("ru_92_tatarstan") | {"version": "2030-01-01"},
             "federal": packaged_document("ru_federal") | {"version": "2030-01-01"}}

CASES: dict[str, Case] = {
    "calendars": Case("query", "{ calendars { name version } }"),
    "previewDeadline": Case("query", 'query { previewDeadline(territoryCode: "' + MUNICIPALITY_A
                            + '", start: "2025-10-31", policy: "working-days:1") { dueAt } }'),
    "importCalendar": Case("mutation", "mutation($d: JSON!) { importCalendar(document: $d) "
                                       "{ calendar { name } affected userErrors { code } } }"),
}


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_deadlines_authorisation_matrix(
        operation: str, target: str, db: Any, make_token: Any,
) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        async with in_transaction():
            await seed_world()
            _, token = await caller_token(make_token, role)
        variables = {"d": DOCUMENTS[target]} if operation == "importCalendar" else None
        body = await graphql(case.document, variables, token=token)
        if case.kind == "query":
            assert_query_outcome(body, operation, expected, bool)
            return
        assert "errors" not in body, body
        payload = result_of(body, operation)
        if expected in REFUSALS:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            assert not await StoredCalendar.filter(version="2030-01-01").exists()
            return
        assert payload["userErrors"] == [] and payload["calendar"], payload

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
