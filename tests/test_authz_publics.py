"""Every role × every operation on official pages and their compliance, as one table
(counted by the authorisation meta-test in ``test_authz_matrix.py``).

The target page is region A's ministry's VK page in region A's municipality, or region
B's department's in region B's (``B``); a declaration awaiting its decision is seeded
for ``confirmPageDeclaration``. The registry, the rules and the shares are public;
``officialPage`` probes the responsible official, whom only the body's staff, the
territory's administrators and its auditors see. Snapshots read the local VK fake.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
from starlette.applications import Starlette
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.publics_world import ENV, complete_group, vk_fake, vk_page
from tests.social_fakes import FlakyTransport
from tests.test_authz_matrix import (
    CALLER_SCOPES,
    REFUSALS,
    assert_query_outcome,
    parse_table,
    result_of,
)
from tests.worlds import (
    MUNICIPALITY_A,
    MUNICIPALITY_B,
    ORG_A,
    ORG_B,
    REGION_A,
    REGION_B,
    seed_world,
    user_error_codes,
)
from vmeste.platform.identity.dev_tokens import issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.publics.models import OfficialPage, PageDeclaration, PageSnapshot
from vmeste.platform.publics.services import PublicsServices
from vmeste.platform.reference.models import Organization
from vmeste.testing import GraphQLClient

TABLE = """
officialPages            -      ok     ok     ok     ok     ok     ok     ok     ok     ok
officialPage             A      empty  empty  ok     ok     ok     empty  ok     ok     ok
officialPage             B      empty  empty  empty  empty  empty  empty  empty  ok     empty
complianceRules          -      ok     ok     ok     ok     ok     ok     ok     ok     ok
complianceShares         -      ok     ok     ok     ok     ok     ok     ok     ok     ok
pageComplianceHistory    -      ok     ok     ok     ok     ok     ok     ok     ok     ok
registerOfficialPage     A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
registerOfficialPage     B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
updateOfficialPage       A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
updateOfficialPage       B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
retireOfficialPage       A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
retireOfficialPage       B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
declarePageCompliance    A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
declarePageCompliance    B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
confirmPageDeclaration   A      unauth forbid forbid forbid forbid forbid ok     ok     forbid
confirmPageDeclaration   B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
takePageSnapshot         A      unauth forbid forbid forbid ok     forbid ok     ok     forbid
takePageSnapshot         B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
"""
EXPECTED = parse_table(TABLE)
PAGE_FIELDS = "page { id status } userErrors { code }"
DECLARATION_FIELDS = "declaration { id confirmed } userErrors { code }"


@dataclass(frozen=True)
class Case:
    kind: str
    document: str
    variables: Any
    visible: Any = lambda result, targets: result is not None


CASES: dict[str, Case] = {
    "officialPages": Case(
        "query", "{ officialPages(first: 50) { edges { node { id } } } }", lambda t: {},
        lambda result, t: t["page"] in {e["node"]["id"] for e in result["edges"]}),
    "officialPage": Case(
        "query", "query($id: ID!) { officialPage(id: $id) { id responsibleName } }",
        lambda t: {"id": t["page"]}, lambda result, t: result["responsibleName"] is not None),
    "complianceRules": Case("query", "{ complianceRules { code version } }", lambda t: {},
                            lambda result, t: len(result) == 9),
    "complianceShares": Case(
        "query", "query($r: String) { complianceShares(regionCode: $r) { ruleCode pages } }",
        lambda t: {"r": REGION_A}, lambda result, t: result[0]["pages"] == 1),
    "pageComplianceHistory": Case(
        "query", "query($p: ID!) { pageComplianceHistory(pageId: $p, first: 5) { "
        "edges { node { ruleCode } } } }", lambda t: {"p": t["page"]},
        lambda result, t: len(result["edges"]) == 5),
    "registerOfficialPage": Case(
        "mutation", "mutation($i: RegisterOfficialPageInput!) { registerOfficialPage("
        f"input: $i) {{ {PAGE_FIELDS} }} }}", lambda t: {"i": {
            "organizationId": t["organization"], "territoryCode": t["territory"],
            "network": "vk", "pageRef": "999", "registeredName": "Новая страница"}}),
    "updateOfficialPage": Case(
        "mutation", "mutation($i: UpdateOfficialPageInput!) { updateOfficialPage(input: $i) "
        f"{{ {PAGE_FIELDS} }} }}", lambda t: {"i": {"id": t["page"], "url": "https://vk.com/x"}}),
    "retireOfficialPage": Case(
        "mutation", f"mutation($id: ID!) {{ retireOfficialPage(id: $id) {{ {PAGE_FIELDS} }} }}",
        lambda t: {"id": t["page"]}),
    "declarePageCompliance": Case(
        "mutation", "mutation($p: ID!) { declarePageCompliance(pageId: $p, ruleCode: "
        f'"widgets", value: true) {{ {DECLARATION_FIELDS} }} }}', lambda t: {"p": t["page"]}),
    "confirmPageDeclaration": Case(
        "mutation", "mutation($id: ID!) { confirmPageDeclaration(id: $id, accept: true) "
        f"{{ {DECLARATION_FIELDS} }} }}", lambda t: {"id": t["declaration"]}),
    "takePageSnapshot": Case(
        "mutation", "mutation($p: ID!) { takePageSnapshot(pageId: $p) { "
        "snapshot { id error } userErrors { code } } }", lambda t: {"p": t["page"]}),
}


async def _counts() -> tuple[int, ...]:
    return (await OfficialPage.all().count(), await PageSnapshot.all().count(),
            await PageDeclaration.filter(confirmed__isnull=True).count(),
            await OfficialPage.filter(status="active", url="").count())


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_publics_authorisation_matrix(operation: str, target: str, db: Any) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        in_a = target != "B"
        fake = vk_fake()
        fake.groups["11"] = fake.groups["22"] = complete_group()
        services = vmeste_app.state.runtime.service(PublicsServices)
        hub = services.hub
        hub.transport, hub.clock, hub.sleep, hub.env = (
            FlakyTransport(fake, fake.app()), fake.clock, fake.clock.sleep, ENV)
        hub.settings = replace(hub.settings, vk_api_url="http://fake.test/method")
        async with in_transaction():
            await seed_world()
            token = None if role == "anonymous" else await issue_dev_token(
                db, Role(role), subject=f"caller-{role}",
                organization_ogrn=CALLER_SCOPES[role].get("org"),
                territory_code=CALLER_SCOPES[role].get("territory"))
            page = await vk_page(services, "11" if in_a else "22",
                                 org=ORG_A if in_a else ORG_B,
                                 territory=MUNICIPALITY_A if in_a else MUNICIPALITY_B)
            await services.take_snapshot(SYSTEM, page.id)
            declaration = await services.declare(SYSTEM, page.id, "site_link", True)
            organization = await Organization.get(ogrn=ORG_A if in_a else ORG_B)
            targets = {"page": relay.to_base64("OfficialPage", page.id),
                       "declaration": relay.to_base64("PageDeclaration", declaration.id),
                       "organization": relay.to_base64("Organization", organization.id),
                       "territory": MUNICIPALITY_A if in_a else MUNICIPALITY_B,
                       "region": REGION_A if in_a else REGION_B}
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
        assert any(v for k, v in payload.items() if k != "userErrors"), payload
        assert await _counts() != before, "the write happened"
        if operation == "takePageSnapshot":
            assert payload["snapshot"]["error"] == "", payload

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
