"""Every role × every GraphQL operation, as one table.

Scoped callers hold their role in region A (territory roles on the region, organization
roles in the regional ministry of region A); each territorial operation is tried on
region A (in scope) and on region B (out of scope). A cell says what the caller gets:

- ``ok``: the answer contains the target (queries), or the change is made and audited
  (mutations);
- ``empty``: the answer is allowed but the target is filtered out of it;
- ``forbid`` / ``unauth`` / ``absent``: refused with code FORBIDDEN / UNAUTHENTICATED /
  NOT_FOUND, as a GraphQL error for queries and subscriptions and as ``userErrors`` for
  mutations; a refused mutation changes nothing and writes no audit event.

Adding a Query, Mutation or Subscription field without a row here fails the suite.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.worlds import (
    COUNTRY,
    MUNICIPALITY_A,
    MUNICIPALITY_B,
    ORG_A,
    ORG_A_SCHOOL,
    ORG_B,
    REGION_A,
    REGION_B,
    World,
    error_code,
    inn,
    ogrn,
    seed_policies,
    seed_world,
    user_error_codes,
)
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.identity.authenticate import authenticate
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.plugins import build_plugin_manager
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.reference import services as ref
from vmeste.platform.settings import load_settings
from vmeste.schema import build_schema
from vmeste.schema.audit import subscriptions
from vmeste.testing import GraphQLClient

ROLES = ("anonymous", "citizen", "operator", "executor", "org_admin", "moderator",
         "regional_admin", "federal_configurator", "auditor")
REFUSALS = {"forbid": "FORBIDDEN", "unauth": "UNAUTHENTICATED", "absent": "NOT_FOUND"}
OUTCOMES = {"ok", "empty", *REFUSALS}

# Columns follow ROLES: anonymous, citizen, operator, executor, org_admin, moderator,
# regional_admin, federal_configurator, auditor.
TABLE = """
territories          A             ok     ok     ok     ok     ok     ok     ok     ok     ok
territories          B             ok     ok     ok     ok     ok     ok     ok     ok     ok
territory            A             ok     ok     ok     ok     ok     ok     ok     ok     ok
territory            B             ok     ok     ok     ok     ok     ok     ok     ok     ok
organizations        A             ok     ok     ok     ok     ok     ok     ok     ok     ok
organizations        B             ok     ok     ok     ok     ok     ok     ok     ok     ok
organization         A             ok     ok     ok     ok     ok     ok     ok     ok     ok
organization         B             ok     ok     ok     ok     ok     ok     ok     ok     ok
categories           -             ok     ok     ok     ok     ok     ok     ok     ok     ok
category             -             ok     ok     ok     ok     ok     ok     ok     ok     ok
node                 A             ok     ok     ok     ok     ok     ok     ok     ok     ok
node                 B             ok     ok     ok     ok     ok     ok     ok     ok     ok
strategies           -             ok     ok     ok     ok     ok     ok     ok     ok     ok
strategyKinds        -             ok     ok     ok     ok     ok     ok     ok     ok     ok
me                   self          empty  ok     ok     ok     ok     ok     ok     ok     ok
roleAssignments      A             unauth forbid forbid forbid ok     forbid ok     ok     ok
roleAssignments      A-territory   unauth forbid forbid forbid empty  forbid ok     ok     ok
roleAssignments      B             unauth forbid forbid forbid empty  forbid empty  ok     empty
regionPolicies       A             unauth forbid forbid forbid forbid forbid ok     ok     ok
regionPolicies       B             unauth forbid forbid forbid forbid forbid empty  ok     empty
effectivePolicy      A             unauth forbid forbid forbid forbid forbid ok     ok     ok
effectivePolicy      B             unauth forbid forbid forbid forbid forbid forbid ok     forbid
effectivePolicy      unknown       unauth forbid forbid forbid forbid forbid absent absent absent
auditEvents          A             unauth forbid forbid forbid forbid forbid forbid ok     ok
auditEvents          B             unauth forbid forbid forbid forbid forbid forbid ok     empty
auditEvents          national      unauth forbid forbid forbid forbid forbid forbid ok     empty
auditEventAdded      A             unauth forbid forbid forbid forbid forbid forbid ok     ok
auditEventAdded      B             unauth forbid forbid forbid forbid forbid forbid ok     empty
auditEventAdded      national      unauth forbid forbid forbid forbid forbid forbid ok     empty
createTerritory      A             unauth forbid forbid forbid forbid forbid ok     ok     forbid
createTerritory      B             unauth forbid forbid forbid forbid forbid forbid ok     forbid
createTerritory      country       unauth forbid forbid forbid forbid forbid forbid ok     forbid
updateTerritory      A             unauth forbid forbid forbid forbid forbid ok     ok     forbid
updateTerritory      B             unauth forbid forbid forbid forbid forbid forbid ok     forbid
updateTerritory      A-to-B        unauth forbid forbid forbid forbid forbid forbid ok     forbid
createOrganization   A             unauth forbid forbid forbid forbid forbid ok     ok     forbid
createOrganization   B             unauth forbid forbid forbid forbid forbid forbid ok     forbid
updateOrganization   A             unauth forbid forbid forbid forbid forbid ok     ok     forbid
updateOrganization   B             unauth forbid forbid forbid forbid forbid forbid ok     forbid
updateOrganization   A-contacts    unauth forbid forbid forbid ok     forbid ok     ok     forbid
updateOrganization   A-child       unauth forbid forbid forbid forbid forbid ok     ok     forbid
updateOrganization   B-contacts    unauth forbid forbid forbid forbid forbid forbid ok     forbid
createCategory       -             unauth forbid forbid forbid forbid forbid forbid ok     forbid
updateCategory       -             unauth forbid forbid forbid forbid forbid forbid ok     forbid
assignRole           A             unauth forbid forbid forbid ok     forbid ok     ok     forbid
assignRole           B             unauth forbid forbid forbid forbid forbid forbid ok     forbid
assignRole           A-territory   unauth forbid forbid forbid forbid forbid ok     ok     forbid
assignRole           B-territory   unauth forbid forbid forbid forbid forbid forbid ok     forbid
assignRole           A-org_admin   unauth forbid forbid forbid forbid forbid ok     ok     forbid
assignRole           A-federal     unauth forbid forbid forbid forbid forbid forbid ok     forbid
revokeRole           A             unauth forbid forbid forbid ok     forbid ok     ok     forbid
revokeRole           A-territory   unauth forbid forbid forbid forbid forbid ok     ok     forbid
revokeRole           B             unauth forbid forbid forbid forbid forbid forbid ok     forbid
setRegionPolicy      A             unauth forbid forbid forbid forbid forbid ok     ok     forbid
setRegionPolicy      B             unauth forbid forbid forbid forbid forbid forbid ok     forbid
setRegionPolicy      country       unauth forbid forbid forbid forbid forbid forbid ok     forbid
"""


def parse_table(text: str) -> dict[tuple[str, str], dict[str, str]]:
    table: dict[tuple[str, str], dict[str, str]] = {}
    for line in text.strip().splitlines():
        operation, target, *cells = line.split()
        assert len(cells) == len(ROLES), line
        assert set(cells) <= OUTCOMES, line
        assert (operation, target) not in table, line
        table[(operation, target)] = dict(zip(ROLES, cells, strict=True))
    return table


EXPECTED = parse_table(TABLE)

# --- the operations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    role: str
    subject: str | None


Variables = Callable[[World], dict[str, Any]]
Visible = Callable[[Any, Caller], bool]


@dataclass(frozen=True)
class Case:
    kind: str  # "query", "mutation" or "subscription"
    document: str
    variables: Variables
    visible: Visible = lambda result, caller: result is not None


def _edges(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in result["edges"]]


def _codes(result: dict[str, Any]) -> set[str]:
    return {node["code"] for node in _edges(result)}


def _fixed(**values: Any) -> Variables:
    return lambda world: values


def _node_id(type_name: str, group: str, key: str) -> Variables:
    return lambda world: {"id": relay.to_base64(type_name, getattr(world, group)[key])}


Q_TERRITORIES = ("query($c: String!) { territories(filter: {withinCode: $c}) "
                 "{ edges { node { code } } } }")
Q_TERRITORY = "query($c: String!) { territory(code: $c) { code name } }"
Q_ORGANIZATIONS = ("query($c: String!) { organizations(filter: {territoryCode: $c}) "
                   "{ edges { node { ogrn } } } }")
Q_ORGANIZATION = "query($o: String!) { organization(ogrn: $o) { ogrn territory { code } } }"
Q_NODE = "query($id: ID!) { node(id: $id) { id ... on Territory { code } } }"
Q_ROLES = "query($s: String!) { roleAssignments(userSubject: $s) { role userSubject } }"
Q_POLICIES = ("query($c: String!) { regionPolicies(territoryCode: $c) "
              "{ edges { node { plugin territory { code } } } } }")
Q_EFFECTIVE = ('query($c: String!) { effectivePolicy(territoryCode: $c, kind: "identity") '
               "{ plugin decidedAt } }")
Q_AUDIT = "query($id: String!) { auditEvents(objectId: $id) { edges { node { objectId } } } }"
S_AUDIT = "subscription { auditEventAdded { objectId action } }"
M_TERRITORY = """mutation($op: TerritoryInput!) { %s(input: $op) {
  territory { code } userErrors { field message code } } }"""
M_ORGANIZATION = """mutation($op: OrganizationInput!) { %s(input: $op) {
  organization { ogrn } userErrors { field message code } } }"""
M_CATEGORY = """mutation($op: CategoryInput!) { %s(input: $op) {
  category { code } userErrors { field message code } } }"""
M_ROLE = """mutation($op: RoleAssignmentInput!) { %s(input: $op) {
  roleAssignment { role userSubject } userErrors { field message code } } }"""
M_POLICY = """mutation($op: RegionPolicyInput!) { setRegionPolicy(input: $op) {
  regionPolicy { plugin settings } userErrors { field message code } } }"""


def _me(result: Any, caller: Caller) -> bool:
    if result is None:
        return False
    # Only the caller's own profile, with only the caller's own grants.
    assert result["subject"] == caller.subject
    expected = [] if caller.role == "citizen" else [caller.role.upper()]
    assert [r["role"] for r in result["roles"]] == expected
    return True


def _witness(role: str, *, org: str | None = None, territory: str | None = None,
             subject: str = "witness") -> dict[str, Any]:
    return {"op": {"userSubject": subject, "userIssuer": DEV_ISSUER, "role": role,
                   "organizationOgrn": org, "territoryCode": territory}}


# The witnesses hold roles the matrix lists, grants and revokes (see ``seed_witnesses``).
WITNESS_A, WITNESS_T, WITNESS_B = "witness-org-a", "witness-territory-a", "witness-org-b"

CASES: dict[tuple[str, str], Case] = {
    ("territories", "A"): Case("query", Q_TERRITORIES, _fixed(c=REGION_A),
                               lambda r, _: MUNICIPALITY_A in _codes(r)),
    ("territories", "B"): Case("query", Q_TERRITORIES, _fixed(c=REGION_B),
                               lambda r, _: MUNICIPALITY_B in _codes(r)),
    ("territory", "A"): Case("query", Q_TERRITORY, _fixed(c=MUNICIPALITY_A)),
    ("territory", "B"): Case("query", Q_TERRITORY, _fixed(c=MUNICIPALITY_B)),
    ("organizations", "A"): Case("query", Q_ORGANIZATIONS, _fixed(c=REGION_A),
                                 lambda r, _: {n["ogrn"] for n in _edges(r)} == {ORG_A,
                                                                                ORG_A_SCHOOL}),
    ("organizations", "B"): Case("query", Q_ORGANIZATIONS, _fixed(c=REGION_B),
                                 lambda r, _: {n["ogrn"] for n in _edges(r)} == {ORG_B}),
    ("organization", "A"): Case("query", Q_ORGANIZATION, _fixed(o=ORG_A)),
    ("organization", "B"): Case("query", Q_ORGANIZATION, _fixed(o=ORG_B)),
    ("categories", "-"): Case("query", "{ categories { edges { node { code } } } }", _fixed(),
                              lambda r, _: _codes(r) == {"roads", "roads.pits", "snow"}),
    ("category", "-"): Case("query", '{ category(code: "roads.pits") { code } }', _fixed()),
    ("node", "A"): Case("query", Q_NODE, _node_id("Territory", "territories", REGION_A),
                        lambda r, _: r is not None and r["code"] == REGION_A),
    ("node", "B"): Case("query", Q_NODE, _node_id("Territory", "territories", REGION_B),
                        lambda r, _: r is not None and r["code"] == REGION_B),
    ("strategies", "-"): Case("query", "{ strategies { kind name } }", _fixed(),
                              lambda r, _: {"kind": "identity", "name": "oidc"} in r),
    ("strategyKinds", "-"): Case("query", "{ strategyKinds { name defaults } }", _fixed(),
                                 lambda r, _: {"name": "identity",
                                               "defaults": {"require_verified": False}} in r),
    ("me", "self"): Case("query", "{ me { subject roles { role } } }", _fixed(), _me),
    ("roleAssignments", "A"): Case("query", Q_ROLES, _fixed(s=WITNESS_A), lambda r, _: bool(r)),
    ("roleAssignments", "A-territory"): Case("query", Q_ROLES, _fixed(s=WITNESS_T),
                                             lambda r, _: bool(r)),
    ("roleAssignments", "B"): Case("query", Q_ROLES, _fixed(s=WITNESS_B), lambda r, _: bool(r)),
    ("regionPolicies", "A"): Case("query", Q_POLICIES, _fixed(c=REGION_A),
                                  lambda r, _: bool(_edges(r))),
    ("regionPolicies", "B"): Case("query", Q_POLICIES, _fixed(c=REGION_B),
                                  lambda r, _: bool(_edges(r))),
    ("effectivePolicy", "A"): Case("query", Q_EFFECTIVE, _fixed(c=MUNICIPALITY_A),
                                   lambda r, _: r == [{"plugin": "oidc",
                                                       "decidedAt": REGION_A}]),
    ("effectivePolicy", "B"): Case("query", Q_EFFECTIVE, _fixed(c=MUNICIPALITY_B),
                                   lambda r, _: r == [{"plugin": "oidc",
                                                       "decidedAt": REGION_B}]),
    # An unknown territory must not answer NOT_FOUND before the caller is checked.
    ("effectivePolicy", "unknown"): Case("query", Q_EFFECTIVE, _fixed(c="99999999")),
    ("auditEvents", "A"): Case("query", Q_AUDIT, _fixed(id=MUNICIPALITY_A),
                               lambda r, _: bool(_edges(r))),
    ("auditEvents", "B"): Case("query", Q_AUDIT, _fixed(id=MUNICIPALITY_B),
                               lambda r, _: bool(_edges(r))),
    ("auditEvents", "national"): Case("query", Q_AUDIT, _fixed(id="snow"),
                                      lambda r, _: bool(_edges(r))),
    ("auditEventAdded", "A"): Case("subscription", S_AUDIT, _fixed(object_id=MUNICIPALITY_A)),
    ("auditEventAdded", "B"): Case("subscription", S_AUDIT, _fixed(object_id=MUNICIPALITY_B)),
    ("auditEventAdded", "national"): Case("subscription", S_AUDIT, _fixed(object_id="snow")),
    ("createTerritory", "A"): Case("mutation", M_TERRITORY % "createTerritory", _fixed(op={
        "code": "33702000", "name": "Слободской район", "kind": "MUNICIPALITY",
        "parentCode": REGION_A})),
    ("createTerritory", "B"): Case("mutation", M_TERRITORY % "createTerritory", _fixed(op={
        "code": "92702000", "name": "Ленинский округ", "kind": "MUNICIPALITY",
        "parentCode": REGION_B})),
    ("createTerritory", "country"): Case("mutation", M_TERRITORY % "createTerritory", _fixed(op={
        "code": "43000000", "name": "Новая область", "kind": "REGION", "parentCode": COUNTRY,
        "timezone": "Europe/Moscow"})),
    ("updateTerritory", "A"): Case("mutation", M_TERRITORY % "updateTerritory", _fixed(op={
        "code": MUNICIPALITY_A, "name": "город Киров (обновлено)"})),
    ("updateTerritory", "B"): Case("mutation", M_TERRITORY % "updateTerritory", _fixed(op={
        "code": MUNICIPALITY_B, "name": "Гагаринский округ (обновлено)"})),
    # Moving a municipality of region A into region B needs rights over both.
    ("updateTerritory", "A-to-B"): Case("mutation", M_TERRITORY % "updateTerritory", _fixed(op={
        "code": MUNICIPALITY_A, "parentCode": REGION_B})),
    ("createOrganization", "A"): Case("mutation", M_ORGANIZATION % "createOrganization",
                                      _fixed(op={"ogrn": ogrn(50), "inn": inn(50),
                                                 "name": "Детский сад № 5", "kind": "INSTITUTION",
                                                 "territoryCode": MUNICIPALITY_A})),
    ("createOrganization", "B"): Case("mutation", M_ORGANIZATION % "createOrganization",
                                      _fixed(op={"ogrn": ogrn(51), "inn": inn(51),
                                                 "name": "Детский сад № 6", "kind": "INSTITUTION",
                                                 "territoryCode": MUNICIPALITY_B})),
    ("updateOrganization", "A"): Case("mutation", M_ORGANIZATION % "updateOrganization",
                                      _fixed(op={"ogrn": ORG_A, "name": "Минстрой области"})),
    ("updateOrganization", "B"): Case("mutation", M_ORGANIZATION % "updateOrganization",
                                      _fixed(op={"ogrn": ORG_B, "name": "ДГХ Севастополя"})),
    ("updateOrganization", "A-contacts"): Case(
        "mutation", M_ORGANIZATION % "updateOrganization",
        _fixed(op={"ogrn": ORG_A, "contacts": {"email": "priemnaya@kirov.example"}})),
    ("updateOrganization", "A-child"): Case(
        "mutation", M_ORGANIZATION % "updateOrganization",
        _fixed(op={"ogrn": ORG_A_SCHOOL, "contacts": {"phone": "+7 8332 00-00-00"}})),
    ("updateOrganization", "B-contacts"): Case(
        "mutation", M_ORGANIZATION % "updateOrganization",
        _fixed(op={"ogrn": ORG_B, "contacts": {"email": "dgh@sev.example"}})),
    ("createCategory", "-"): Case("mutation", M_CATEGORY % "createCategory", _fixed(op={
        "code": "water", "name": "Водоснабжение", "competenceLevel": "MUNICIPAL"})),
    ("updateCategory", "-"): Case("mutation", M_CATEGORY % "updateCategory", _fixed(op={
        "code": "snow", "name": "Уборка снега и наледи"})),
    ("assignRole", "A"): Case("mutation", M_ROLE % "assignRole",
                              lambda w: _witness("OPERATOR", org=ORG_A, subject=WITNESS_A)),
    ("assignRole", "B"): Case("mutation", M_ROLE % "assignRole",
                              lambda w: _witness("OPERATOR", org=ORG_B, subject=WITNESS_A)),
    ("assignRole", "A-territory"): Case(
        "mutation", M_ROLE % "assignRole",
        lambda w: _witness("MODERATOR", territory=MUNICIPALITY_A, subject=WITNESS_A)),
    ("assignRole", "B-territory"): Case(
        "mutation", M_ROLE % "assignRole",
        lambda w: _witness("MODERATOR", territory=MUNICIPALITY_B, subject=WITNESS_A)),
    ("assignRole", "A-org_admin"): Case(
        "mutation", M_ROLE % "assignRole",
        lambda w: _witness("ORG_ADMIN", org=ORG_A, subject=WITNESS_A)),
    ("assignRole", "A-federal"): Case(
        "mutation", M_ROLE % "assignRole",
        lambda w: _witness("FEDERAL_CONFIGURATOR", territory=REGION_A, subject=WITNESS_A)),
    ("revokeRole", "A"): Case("mutation", M_ROLE % "revokeRole",
                              lambda w: _witness("EXECUTOR", org=ORG_A, subject=WITNESS_A)),
    ("revokeRole", "A-territory"): Case(
        "mutation", M_ROLE % "revokeRole",
        lambda w: _witness("MODERATOR", territory=MUNICIPALITY_A, subject=WITNESS_T)),
    ("revokeRole", "B"): Case("mutation", M_ROLE % "revokeRole",
                              lambda w: _witness("EXECUTOR", org=ORG_B, subject=WITNESS_B)),
    ("setRegionPolicy", "A"): Case("mutation", M_POLICY, _fixed(op={
        "territoryCode": MUNICIPALITY_A, "kind": "identity", "plugin": "oidc",
        "settings": {"require_verified": False}})),
    ("setRegionPolicy", "B"): Case("mutation", M_POLICY, _fixed(op={
        "territoryCode": MUNICIPALITY_B, "kind": "identity", "plugin": "oidc",
        "settings": {"require_verified": False}})),
    ("setRegionPolicy", "country"): Case("mutation", M_POLICY, _fixed(op={
        "territoryCode": COUNTRY, "kind": "identity", "plugin": "oidc",
        "settings": {"require_verified": False}})),
}

# --- the world and the callers ----------------------------------------------------------

CALLER_SCOPES: dict[str, dict[str, str]] = {
    "citizen": {},
    "operator": {"org": ORG_A},
    "executor": {"org": ORG_A},
    "org_admin": {"org": ORG_A},
    "moderator": {"territory": REGION_A},
    "regional_admin": {"territory": REGION_A},
    "federal_configurator": {"territory": COUNTRY},
    "auditor": {"territory": REGION_A},
}


async def seed_witnesses(make_token: Any) -> None:
    await make_token("executor", org=ORG_A, sub=WITNESS_A)
    await make_token("moderator", territory=MUNICIPALITY_A, sub=WITNESS_T)
    await make_token("executor", org=ORG_B, sub=WITNESS_B)


async def caller_token(make_token: Any, role: str) -> tuple[Caller, str | None]:
    if role == "anonymous":
        return Caller(role, None), None
    subject = f"caller-{role}"
    token = await make_token(role, sub=subject, **CALLER_SCOPES[role])
    return Caller(role, subject), token


def result_of(body: dict[str, Any], field: str) -> Any:
    return (body.get("data") or {}).get(field)


def assert_query_outcome(body: dict[str, Any], operation: str, expected: str,
                         visible: Callable[[Any], bool]) -> None:
    """A query's answer against its cell: refused with the cell's code and no data, or
    answered with the probe among the results ("ok") or not ("empty")."""
    result = result_of(body, operation)
    if expected in REFUSALS:
        assert result is None, body
        assert error_code(body) == REFUSALS[expected], body
        return
    assert "errors" not in body, body
    assert ("ok" if visible(result) else "empty") == expected, body


# --- the tests ----------------------------------------------------------------------------


def _component_tables() -> list[Any]:
    """The other ``tests/test_authz_*.py`` modules: one EXPECTED/CASES pair per
    component, each with the same shape as this module's."""
    import importlib

    names = sorted(path.stem for path in Path(__file__).parent.glob("test_authz_*.py"))
    return [importlib.import_module(f"tests.{name}") for name in names
            if name != Path(__file__).stem]


def test_table_covers_every_operation_of_the_schema() -> None:
    schema = build_schema(load_settings({}))._schema
    fields = {name for type_name in ("Query", "Mutation", "Subscription")
              for name in schema.type_map[type_name].fields}  # type: ignore[attr-defined]
    covered = {operation for operation, _ in EXPECTED}
    for module in _component_tables():
        covered |= {operation for operation, _ in module.EXPECTED}
        assert {operation for operation, _ in module.EXPECTED} == set(module.CASES), module
    missing, stale = sorted(fields - covered), sorted(covered - fields)
    assert not missing, f"operations without a row in a TABLE (and CASES): {missing}"
    assert not stale, f"rows for operations the schema does not have: {stale}"
    assert set(EXPECTED) == set(CASES)
    for operation, target in CASES:
        kind = CASES[(operation, target)].kind
        assert operation in schema.type_map[kind.capitalize()].fields  # type: ignore[attr-defined]


def test_every_scoped_operation_is_tried_in_and_out_of_scope() -> None:
    """Operations that somebody may only do in part of the country appear with a target
    inside region A and one inside region B."""
    by_operation: dict[str, set[str]] = {}
    for (operation, target), cells in EXPECTED.items():
        if len(set(cells.values())) > 1 and operation != "me":
            by_operation.setdefault(operation, set()).add(target)
    restricted = {op for op, targets in by_operation.items()
                  if op not in ("createCategory", "updateCategory")}
    for operation in restricted:
        assert {"A", "B"} <= by_operation[operation], operation


def _graphql_endpoint(app: Starlette) -> Any:
    """The app's GraphQL view, which builds request contexts and holds the schema."""
    for route in app.routes:
        endpoint = getattr(route, "endpoint", None)
        if getattr(route, "path", None) == "/graphql" and hasattr(endpoint, "get_context"):
            return endpoint
    raise AssertionError("no GraphQL endpoint in the app")


class _SignallingAsyncio:
    """Stands in for ``asyncio`` in the subscription module: its ``sleep`` (the wait
    between polls) signals that the subscription is listening, and is kept short."""

    def __init__(self, polling: asyncio.Event) -> None:
        self.polling = polling

    async def sleep(self, seconds: float) -> None:
        self.polling.set()
        await asyncio.sleep(min(seconds, 0.01))

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)


class _Request:
    """Just enough of a request for the endpoint to build a context from."""

    def __init__(self, principal: Any) -> None:
        self.scope = {"type": "websocket", "state": {"principal": principal}}


async def _run_subscription(app: Starlette, token: str | None, case: Case, world: World,
                            polling: asyncio.Event) -> tuple[str | None, bool]:
    """Subscribe as the caller through the app's own schema and context, then make two
    changes: the target (in A, in B, or national) and a sentinel in region A. Returns
    (error code, whether the first event received was the target)."""
    principal = await authenticate(token, app.state.settings, app.state.plugins)
    endpoint = _graphql_endpoint(app)
    context = await endpoint.get_context(_Request(principal), None)
    stream = await endpoint.schema.subscribe(case.document, context_value=context)
    assert hasattr(stream, "__anext__"), stream
    first = asyncio.ensure_future(stream.__anext__())
    # Changes must come after the subscription has taken its starting point: it has
    # when it first waits for new events (or it has already failed).
    waiting = asyncio.ensure_future(polling.wait())
    await asyncio.wait({first, waiting}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    assert first.done() or polling.is_set(), "the subscription never started"
    target = case.variables(world)["object_id"]
    if target == "snow":
        await ref.update_category(SYSTEM, ref.CategoryInput(code="snow", name="Снег"))
    else:
        await ref.update_territory(SYSTEM, ref.TerritoryInput(code=target, name="Новое имя"))
    await ref.update_territory(SYSTEM, ref.TerritoryInput(code=REGION_A, name="Вятка"))
    try:
        result = await asyncio.wait_for(first, timeout=5)
    finally:
        await stream.aclose()
    if result.errors:
        return result.errors[0].extensions.get("code"), False
    event = result.data["auditEventAdded"]
    assert event["objectId"] in (target, REGION_A)
    return None, event["objectId"] == target


async def _seed(db: Any, make_token: Any, role: str) -> tuple[World, Caller, str | None]:
    """The world, the witnesses and the caller, committed together."""
    async with in_transaction():  # one commit for the whole world
        world = await seed_world()
        await seed_policies(PolicyResolver(build_plugin_manager(db)))
        await seed_witnesses(make_token)
        caller, token = await caller_token(make_token, role)
    return world, caller, token


#: A subscription polls the audit table from a task of its own while the test makes its
#: changes; inside one transaction both would share its connection, on which
#: PostgreSQL's driver runs one statement at a time. So subscriptions are tried a role
#: per test, on committed rows, and everything else a row per test (tests/authz_roles.py).
STREAMS = [row for row in EXPECTED if CASES[row].kind == "subscription"]
ROWS = [row for row in EXPECTED if row not in STREAMS]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("operation", "target"), STREAMS)
async def test_subscription_authorisation(operation: str, target: str, role: str, db: Any,
                                          vmeste_app: Starlette, make_token: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    expected = EXPECTED[(operation, target)][role]
    case = CASES[(operation, target)]
    world, _, token = await _seed(db, make_token, role)
    polling = asyncio.Event()
    monkeypatch.setattr(subscriptions, "asyncio", _SignallingAsyncio(polling))
    code, visible = await _run_subscription(vmeste_app, token, case, world, polling)
    if expected in REFUSALS:
        assert code == REFUSALS[expected], (operation, target, role, code)
    else:
        assert code is None
        assert ("ok" if visible else "empty") == expected, (operation, target, role)


@pytest.mark.parametrize(("operation", "target"), ROWS)
async def test_authorisation_matrix(operation: str, target: str, db: Any,
                                    make_token: Any) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[(operation, target)]
        world, caller, token = await _seed(db, make_token, role)
        events_before = await AuditEvent.all().count()
        body = await graphql(case.document, case.variables(world), token=token)
        if case.kind == "query":
            assert_query_outcome(body, operation, expected,
                                 lambda result: case.visible(result, caller))
            return

        assert "errors" not in body, body
        payload = result_of(body, operation)
        events_after = await AuditEvent.all().count()
        if expected == "ok":
            assert payload["userErrors"] == [], payload
            assert any(value for key, value in payload.items() if key != "userErrors"), payload
            assert events_after == events_before + 1
        else:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            assert all(value is None for key, value in payload.items() if key != "userErrors")
            assert events_after == events_before, "a refused change must not be audited"

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
