"""Every role × every operation on site widgets, as one table (counted by the
authorisation meta-test in ``test_authz_matrix.py``).

The target is a widget of region A's ministry (``A``) or of region B's department
(``B``), with one day's placement. A body's ``org_admin`` and the territory's regional
administrators and federal configurators keep widgets; auditors read them; nobody else
sees them (the public page is found by its key, without GraphQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
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
from tests.worlds import ORG_A, ORG_B, seed_world, user_error_codes
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.identity.dev_tokens import issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.reference.models import Organization
from vmeste.platform.widgets.configuration import WidgetInput, create_widget
from vmeste.platform.widgets.models import Widget, WidgetPlacement
from vmeste.testing import GraphQLClient

TABLE = """
widgets              A      unauth empty  empty  empty  ok     empty  ok     ok     ok
widgets              B      unauth empty  empty  empty  empty  empty  empty  ok     empty
widget               A      unauth empty  empty  empty  ok     empty  ok     ok     ok
widget               B      unauth empty  empty  empty  empty  empty  empty  ok     empty
widgetPlacements     A      unauth empty  empty  empty  ok     empty  ok     ok     ok
widgetPlacements     B      unauth empty  empty  empty  empty  empty  empty  ok     empty
createWidget         A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
createWidget         B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
updateWidget         A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
updateWidget         B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
"""
EXPECTED = parse_table(TABLE)
FIELDS = "widget { id title } userErrors { code }"


@dataclass(frozen=True)
class Case:
    kind: str
    document: str
    variables: Any
    visible: Any = lambda result, targets: result is not None


CASES: dict[str, Case] = {
    "widgets": Case(
        "query", "{ widgets(first: 50) { edges { node { id } } } }", lambda t: {},
        lambda result, t: t["widget"] in {e["node"]["id"] for e in result["edges"]}),
    "widget": Case("query", "query($id: ID!) { widget(id: $id) { id sites { opens } } }",
                   lambda t: {"id": t["widget"]}),
    "widgetPlacements": Case(
        "query", "query($w: ID!) { widgetPlacements(widgetId: $w, first: 5) { "
        "edges { node { opens } } } }", lambda t: {"w": t["widget"]},
        lambda result, t: len(result["edges"]) == 1),
    "createWidget": Case(
        "mutation", "mutation($i: CreateWidgetInput!) { createWidget(input: $i) "
        f"{{ {FIELDS} }} }}", lambda t: {"i": {
            "organizationId": t["organization"], "title": "Новый виджет",
            "categoryCodes": ["roads"], "allowedOrigins": ["https://new.example"]}}),
    "updateWidget": Case(
        "mutation", "mutation($i: UpdateWidgetInput!) { updateWidget(input: $i) "
        f"{{ {FIELDS} }} }}", lambda t: {"i": {"id": t["widget"], "title": "Другое"}}),
}


async def _counts() -> tuple[int, ...]:
    return (await Widget.all().count(), await Widget.filter(title="Другое").count(),
            await AuditEvent.filter(object_type="widget").count())


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_widgets_authorisation_matrix(operation: str, target: str, db: Any) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        async with in_transaction():
            await seed_world()
            token = None if role == "anonymous" else await issue_dev_token(
                db, Role(role), subject=f"caller-{role}",
                organization_ogrn=CALLER_SCOPES[role].get("org"),
                territory_code=CALLER_SCOPES[role].get("territory"))
            organization = await Organization.get(ogrn=ORG_A if target != "B" else ORG_B)
            widget = await create_widget(SYSTEM, WidgetInput(
                title="Виджет", category_codes=("roads",),
                allowed_origins=("https://site.example",), organization_id=organization.id),
                dev_mode=True)
            await WidgetPlacement.create(widget_id=widget.id, origin="https://site.example",
                                         day=date(2026, 12, 1), opens=3)
            targets = {"widget": relay.to_base64("Widget", widget.id),
                       "organization": relay.to_base64("Organization", organization.id)}
        before = await _counts()
        body = await graphql(case.document, case.variables(targets), token=token)
        if case.kind == "query":
            assert_query_outcome(body, operation, expected,
                                 lambda result: case.visible(result, targets))
            return
        assert "errors" not in body, body
        payload = result_of(body, operation)
        if expected in REFUSALS:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            assert await _counts() == before, "nothing changed"
            return
        assert expected == "ok" and payload["userErrors"] == [], payload
        assert payload["widget"] is not None, payload
        assert await _counts() != before, "the write happened"

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
