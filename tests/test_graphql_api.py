"""The GraphQL API's behaviour: paging, filters, global ids, mutations and their
validation and audit trail, authentication failures, masking, and query counts."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from strawberry import relay

from tests.params import param_id
from tests.worlds import (
    COUNTRY,
    MUNICIPALITY_A,
    MUNICIPALITY_B,
    ORG_A,
    ORG_A_SCHOOL,
    ORG_B,
    ORG_FEDERAL,
    REGION_A,
    REGION_B,
    World,
    add_organization,
    add_territory,
    count_queries,
    error_code,
    inn,
    ogrn,
    ok_data,
)
from vmeste.platform.identity.dev_issuer import DevIssuer, dev_issuer
from vmeste.platform.identity.dev_tokens import dev_claims
from vmeste.platform.identity.models import Role, RoleAssignment, User
from vmeste.platform.policies.models import RegionPolicy
from vmeste.platform.reference import services as ref
from vmeste.platform.reference.models import (
    Category,
    Organization,
    OrganizationKind,
    Territory,
    TerritoryKind,
)

ORGS_PAGE = """query($first: Int, $after: String, $last: Int, $before: String,
                     $filter: OrganizationFilter) {
  organizations(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    totalCount
    edges { cursor node { ogrn } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def add_many_organizations(count: int, start: int = 100) -> list[str]:
    """``count`` institutions spread over both municipalities, each under a ministry."""
    made = []
    for n in range(start, start + count):
        in_a = n % 2 == 0
        made.append(await add_organization(
            n, f"Учреждение № {n}", OrganizationKind.INSTITUTION,
            MUNICIPALITY_A if in_a else MUNICIPALITY_B, parent=ORG_A if in_a else ORG_B))
    return made


def ogrns(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["ogrn"] for edge in connection["edges"]]


# --- pagination -------------------------------------------------------------------------


async def test_pages_forward_through_every_organization_once(world: World, graphql: Any) -> None:
    await add_many_organizations(21)
    expected = [o.ogrn for o in await Organization.all().order_by("id")]
    assert len(expected) == 25
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = ok_data(await graphql(ORGS_PAGE, {"first": 10, "after": after}))["organizations"]
        assert page["totalCount"] == 25
        seen += ogrns(page)
        pages += 1
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert pages == 3
    assert seen == expected


async def test_pages_backward_with_last_and_before(world: World, graphql: Any) -> None:
    await add_many_organizations(6)
    expected = [o.ogrn for o in await Organization.all().order_by("id")]
    tail = ok_data(await graphql(ORGS_PAGE, {"last": 4}))["organizations"]
    assert ogrns(tail) == expected[-4:]
    assert tail["pageInfo"]["hasPreviousPage"] is True
    before = ok_data(await graphql(ORGS_PAGE, {"last": 4, "before": tail["pageInfo"]["startCursor"]}
                                   ))["organizations"]
    assert ogrns(before) == expected[-8:-4]
    assert before["pageInfo"]["hasNextPage"] is True
    rest = ok_data(await graphql(ORGS_PAGE, {"last": 4, "before": before["pageInfo"]["startCursor"]}
                                 ))["organizations"]
    assert ogrns(rest) == expected[:-8]
    assert rest["pageInfo"]["hasPreviousPage"] is False
    assert rest["totalCount"] == 10


async def test_default_page_size_comes_from_settings(world: World, app_client: Any) -> None:
    async with app_client(default_page_size=3) as (_, graphql):
        page = ok_data(await graphql(ORGS_PAGE, {}))["organizations"]
    assert len(page["edges"]) == 3
    assert page["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("size", ["first", "last"])
async def test_page_size_over_the_cap_is_refused(world: World, graphql: Any, size: str) -> None:
    body = await graphql(ORGS_PAGE, {size: 101})
    assert error_code(body) == "PAGE_SIZE_EXCEEDED"
    assert body["errors"][0]["extensions"]["max"] == 100
    assert body["data"] is None
    assert "errors" not in await graphql(ORGS_PAGE, {size: 100})


async def test_page_size_cap_comes_from_settings(world: World, app_client: Any) -> None:
    async with app_client(max_page_size=5, default_page_size=5) as (_, graphql):
        assert error_code(await graphql(ORGS_PAGE, {"first": 6})) == "PAGE_SIZE_EXCEEDED"
        assert "errors" not in await graphql(ORGS_PAGE, {"first": 5})


@pytest.mark.parametrize("variables", [
    {"first": -1}, {"first": 2, "last": 2},
], ids=["negative", "first-and-last"])
async def test_nonsense_page_sizes_are_refused(world: World, graphql: Any,
                                               variables: dict[str, int]) -> None:
    assert error_code(await graphql(ORGS_PAGE, variables)) == "INVALID_PAGE_SIZE"


@pytest.mark.parametrize("cursor", [
    "not a cursor",
    base64.b64encode(b"cursor:abc").decode(),
    base64.b64encode(b"Organization:1").decode(),
    base64.b64encode(b"\xff\xfe").decode(),
    "Y3Vyc29yOjE",  # "cursor:1" without its padding
    base64.b64encode(b"cursor:99999999999999999999999").decode(),  # wider than any key
    base64.b64encode(b"cursor:2147483648").decode(),  # wider than this list's keys
])
async def test_bad_cursor_is_refused(world: World, graphql: Any, cursor: str) -> None:
    for direction in ("after", "before"):
        body = await graphql(ORGS_PAGE, {direction: cursor, "first" if direction == "after"
                                         else "last": 2})
        assert error_code(body) == "INVALID_CURSOR", body
        assert body["data"] is None


async def test_children_of_a_territory_are_paged(world: World, graphql: Any) -> None:
    for n in range(3):
        await add_territory(f"33{701 + n + 1:03d}000", TerritoryKind.MUNICIPALITY, REGION_A,
                            f"Район {n}")
    query = """query($after: String) { territory(code: "33000000") {
      children(first: 2, after: $after) { totalCount edges { node { code } }
        pageInfo { hasNextPage endCursor } } } }"""
    first = ok_data(await graphql(query))["territory"]["children"]
    second = ok_data(await graphql(query, {"after": first["pageInfo"]["endCursor"]}))[
        "territory"]["children"]
    assert first["totalCount"] == second["totalCount"] == 4
    codes = [e["node"]["code"] for e in first["edges"] + second["edges"]]
    assert codes == [MUNICIPALITY_A, "33702000", "33703000", "33704000"]
    assert second["pageInfo"]["hasNextPage"] is False


# --- filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(("filter_", "expected"), [
    ({"territoryCode": REGION_A}, {ORG_A, ORG_A_SCHOOL}),
    ({"territoryCode": MUNICIPALITY_A}, {ORG_A_SCHOOL}),
    ({"territoryCode": COUNTRY}, {ORG_FEDERAL, ORG_A, ORG_A_SCHOOL, ORG_B}),
    ({"territoryCode": "99999999"}, set()),
    ({"kind": "INSTITUTION"}, {ORG_A_SCHOOL}),
    ({"kind": "REGIONAL"}, {ORG_A, ORG_B}),
    ({"kind": "REGIONAL", "territoryCode": REGION_B}, {ORG_B}),
    ({"search": "Севастопол"}, {ORG_B}),
    ({"search": "Министерство"}, {ORG_FEDERAL, ORG_A}),
    ({"search": ORG_A_SCHOOL}, {ORG_A_SCHOOL}),  # a whole ОГРН
    ({"search": f" {ORG_B} "}, {ORG_B}),
    ({"search": ORG_A_SCHOOL[:6]}, set()),  # part of an ОГРН is not a match
    ({"search": inn(4)}, {ORG_B}),
    ({"parentOgrn": ORG_A}, {ORG_A_SCHOOL}),
    ({"connected": True}, {ORG_B}),
], ids=lambda value: str(value) if not isinstance(value, set) else "")
async def test_organization_filters(world: World, graphql: Any, federal: str,
                                    filter_: dict[str, Any], expected: set[str]) -> None:
    await graphql("mutation($o: String!) { updateOrganization(input: {ogrn: $o, connected: true})"
                  " { userErrors { code } } }", {"o": ORG_B}, token=federal)
    page = ok_data(await graphql(ORGS_PAGE, {"filter": filter_}))["organizations"]
    assert set(ogrns(page)) == expected
    assert page["totalCount"] == len(expected)


async def test_search_ignores_the_case_of_cyrillic_names(world: World, graphql: Any) -> None:
    page = ok_data(await graphql(ORGS_PAGE, {"filter": {"search": "школа"}}))["organizations"]
    assert set(ogrns(page)) == {ORG_A_SCHOOL}


@pytest.mark.parametrize(("filter_", "expected"), [
    ({"withinCode": REGION_A}, {REGION_A, MUNICIPALITY_A}),
    ({"withinCode": COUNTRY, "kind": "REGION"}, {REGION_A, REGION_B}),
    ({"kind": "MUNICIPALITY"}, {MUNICIPALITY_A, MUNICIPALITY_B}),
    ({"parentCode": REGION_B}, {MUNICIPALITY_B}),
    ({"search": "Киров"}, {REGION_A, MUNICIPALITY_A}),
    ({"withinCode": "nonexistent"}, set()),
], ids=param_id)
async def test_territory_filters(world: World, graphql: Any, filter_: dict[str, Any],
                                 expected: set[str]) -> None:
    body = await graphql("query($f: TerritoryFilter) { territories(filter: $f) "
                         "{ totalCount edges { node { code } } } }", {"f": filter_})
    page = ok_data(body)["territories"]
    assert {e["node"]["code"] for e in page["edges"]} == expected
    assert page["totalCount"] == len(expected)


async def test_territories_within_do_not_match_a_code_prefix(world: World, graphql: Any) -> None:
    """"RU/33000000" must not contain "RU/330000001..." style siblings: the subtree
    match is on whole path segments."""
    await add_territory("33000001", TerritoryKind.REGION, COUNTRY, "Почти Кировская")
    body = await graphql('{ territories(filter: {withinCode: "33000000"}) '
                         "{ edges { node { code } } } }")
    codes = {e["node"]["code"] for e in ok_data(body)["territories"]["edges"]}
    assert codes == {REGION_A, MUNICIPALITY_A}


@pytest.mark.parametrize(("filter_", "expected"), [
    ({"rootsOnly": True}, {"roads", "snow"}),
    ({"parentCode": "roads"}, {"roads.pits"}),
    ({"competenceLevel": "MUNICIPAL"}, {"roads.pits", "snow"}),
    ({"search": "Ямы"}, {"roads.pits"}),
    ({"active": False}, set()),
], ids=param_id)
async def test_category_filters(world: World, graphql: Any, filter_: dict[str, Any],
                                expected: set[str]) -> None:
    body = await graphql("query($f: CategoryFilter) { categories(filter: $f) "
                         "{ edges { node { code children { code } } } } }", {"f": filter_})
    nodes = [e["node"] for e in ok_data(body)["categories"]["edges"]]
    assert {n["code"] for n in nodes} == expected
    for node in nodes:
        assert [c["code"] for c in node["children"]] == (
            ["roads.pits"] if node["code"] == "roads" else [])


LONG = "1" * 300


@pytest.mark.parametrize("query", [
    "query($v: String!) { territory(code: $v) { code } }",
    "query($v: String!) { organization(ogrn: $v) { name } }",
    "query($v: String!) { category(code: $v) { code } }",
    "query($v: String!) { territories(filter: {withinCode: $v}) { totalCount } }",
    "query($v: String!) { territories(filter: {parentCode: $v}) { totalCount } }",
    "query($v: String!) { organizations(filter: {territoryCode: $v}) { totalCount } }",
    "query($v: String!) { organizations(filter: {parentOgrn: $v}) { totalCount } }",
    "query($v: String!) { categories(filter: {parentCode: $v}) { totalCount } }",
    "query($v: String!) { roleAssignments(userSubject: $v) { role } }",
    "query($v: String!) { regionPolicies(territoryCode: $v) { totalCount } }",
    'query($v: String!) { effectivePolicy(territoryCode: $v, kind: "identity") { plugin } }',
    "query($v: String!) { auditEvents(objectId: $v) { totalCount } }",
])
async def test_over_long_lookups_are_invalid_not_internal_errors(world: World, graphql: Any,
                                                                  federal: str,
                                                                  query: str) -> None:
    body = await graphql(query, {"v": LONG}, token=federal)
    assert error_code(body) == "INVALID", body
    assert body["errors"][0]["message"] != "Внутренняя ошибка сервера"


@pytest.mark.parametrize(("field", "input_type", "input_"), [
    ("updateTerritory", "TerritoryInput", {"code": LONG, "name": "x"}),
    ("createTerritory", "TerritoryInput", {"code": "33702000", "name": "x",
                                           "kind": "MUNICIPALITY", "parentCode": LONG}),
    ("updateOrganization", "OrganizationInput", {"ogrn": LONG, "name": "x"}),
    ("createOrganization", "OrganizationInput", {"ogrn": "1", "inn": "1", "name": "x",
                                                 "kind": "FEDERAL", "territoryCode": LONG}),
    ("updateCategory", "CategoryInput", {"code": LONG, "name": "x"}),
    ("assignRole", "RoleAssignmentInput", {"userSubject": LONG, "userIssuer": "x",
                                           "role": "MODERATOR", "territoryCode": REGION_A}),
    ("setRegionPolicy", "RegionPolicyInput", {"territoryCode": LONG, "kind": "identity",
                                              "plugin": "oidc"}),
])
async def test_over_long_mutation_inputs_are_user_errors(world: World, graphql: Any,
                                                         federal: str, field: str,
                                                         input_type: str,
                                                         input_: dict[str, Any]) -> None:
    document = f"mutation($i: {input_type}!) {{ {field}(input: $i) {{ userErrors {{ code }} }} }}"
    body = ok_data(await graphql(document, {"i": input_}, token=federal))
    assert [e["code"] for e in body[field]["userErrors"]] == ["INVALID"]


# --- global ids -------------------------------------------------------------------------


@pytest.mark.parametrize(("type_name", "list_field", "key"), [
    ("Territory", "territories", "code"),
    ("Organization", "organizations", "ogrn"),
    ("Category", "categories", "code"),
])
async def test_node_round_trip(world: World, graphql: Any, type_name: str, list_field: str,
                               key: str) -> None:
    listed = ok_data(await graphql(f"{{ {list_field} {{ edges {{ node {{ id {key} }} }} }} }}"))
    nodes = [e["node"] for e in listed[list_field]["edges"]]
    assert nodes
    for node in nodes:
        assert relay.from_base64(node["id"])[0] == type_name
        body = await graphql(f"query($id: ID!) {{ node(id: $id) {{ __typename id "
                             f"... on {type_name} {{ {key} }} }} }}", {"id": node["id"]})
        assert ok_data(body)["node"] == {"__typename": type_name, "id": node["id"],
                                         key: node[key]}


async def test_node_with_an_unknown_id(world: World, graphql: Any) -> None:
    for missing in (relay.to_base64("Organization", 999999),
                    relay.to_base64("Territory", 10**30), relay.to_base64("Category", -1)):
        assert ok_data(await graphql("query($id: ID!) { node(id: $id) { id } }",
                                     {"id": missing}))["node"] is None
    for bad in ("garbage", relay.to_base64("NoSuchType", 1), relay.to_base64("Territory", "x")):
        response = await graphql.raw("query($id: ID!) { node(id: $id) { id } }", {"id": bad})
        assert response.status_code == 200
        body = response.json()
        assert body["data"] is None or body["data"]["node"] is None
        if "errors" in body:
            assert "Traceback" not in response.text


# --- mutations: happy paths, validation, audit --------------------------------------------

M_TERRITORY = """mutation($i: TerritoryInput!, $update: Boolean = false) {
  create: createTerritory(input: $i) @skip(if: $update) {
    territory { code name kind timezone path parent { code } } userErrors { field code message } }
  update: updateTerritory(input: $i) @include(if: $update) {
    territory { code name kind timezone path parent { code } } userErrors { field code message } }
}"""
M_ORGANIZATION = """mutation($i: OrganizationInput!, $update: Boolean = false) {
  create: createOrganization(input: $i) @skip(if: $update) {
    organization { ogrn inn name kind connected contacts { email phone site address }
      territory { code } parent { ogrn } }
    userErrors { field code message } }
  update: updateOrganization(input: $i) @include(if: $update) {
    organization { ogrn inn name kind connected contacts { email phone site address }
      territory { code } parent { ogrn } }
    userErrors { field code message } }
}"""
M_CATEGORY = """mutation($i: CategoryInput!, $update: Boolean = false) {
  create: createCategory(input: $i) @skip(if: $update) {
    category { code name path competenceLevel active parent { code } }
    userErrors { field code message } }
  update: updateCategory(input: $i) @include(if: $update) {
    category { code name path competenceLevel active parent { code } }
    userErrors { field code message } }
}"""
Q_AUDIT = """query($type: String, $id: String) { auditEvents(objectType: $type, objectId: $id) {
  edges { node { actor action objectType objectId before after } } } }"""


async def mutate(graphql: Any, document: str, token: str, data: dict[str, Any],
                 update: bool = False) -> dict[str, Any]:
    body = ok_data(await graphql(document, {"i": data, "update": update}, token=token))
    payload: dict[str, Any] = body["update" if update else "create"]
    return payload


def errors_by_field(payload: dict[str, Any]) -> dict[str, str]:
    return {e["field"]: e["code"] for e in payload["userErrors"]}


async def audit_trail(graphql: Any, token: str, object_type: str, object_id: str
                      ) -> list[dict[str, Any]]:
    body = ok_data(await graphql(Q_AUDIT, {"type": object_type, "id": object_id}, token=token))
    return [e["node"] for e in body["auditEvents"]["edges"]]


async def test_create_and_update_territory_with_audit(world: World, graphql: Any,
                                                      federal: str) -> None:
    created = await mutate(graphql, M_TERRITORY, federal, {
        "code": "33701000101", "name": " Слобода ", "kind": "SETTLEMENT",
        "parentCode": MUNICIPALITY_A})
    assert created["userErrors"] == []
    assert created["territory"] == {
        "code": "33701000101", "name": "Слобода", "kind": "SETTLEMENT",
        "timezone": "Europe/Kirov",  # inherited from the parent
        "path": f"{COUNTRY}/{REGION_A}/{MUNICIPALITY_A}/33701000101",
        "parent": {"code": MUNICIPALITY_A}}
    updated = await mutate(graphql, M_TERRITORY, federal, {
        "code": "33701000101", "name": "Слободка", "timezone": "Europe/Samara",
        "boundary": {"type": "Polygon", "coordinates": [[[49, 58], [50, 58], [50, 59], [49, 58]]]},
    }, update=True)
    assert updated["userErrors"] == []
    assert updated["territory"]["name"] == "Слободка"
    assert updated["territory"]["timezone"] == "Europe/Samara"
    row = await Territory.get(code="33701000101")
    assert row.boundary["type"] == "Polygon"

    trail = await audit_trail(graphql, federal, "territory", "33701000101")
    assert [e["action"] for e in trail] == ["territory.create", "territory.update"]
    assert trail[0]["before"] is None
    assert trail[0]["after"]["name"] == "Слобода"
    assert trail[1]["before"]["name"] == "Слобода"
    assert trail[1]["before"]["timezone"] == "Europe/Kirov"
    assert trail[1]["after"]["name"] == "Слободка"
    assert trail[1]["after"]["timezone"] == "Europe/Samara"
    assert trail[1]["actor"].endswith(":dev-federal_configurator-RU")


@pytest.mark.parametrize(("data", "field", "code"), [
    ({"code": "3370200", "name": "Район", "kind": "MUNICIPALITY", "parentCode": REGION_A},
     "code", "INVALID"),  # ОКТМО of 7 digits
    ({"code": "33702000101", "name": "Район", "kind": "MUNICIPALITY", "parentCode": REGION_A},
     "code", "INVALID"),  # a settlement-length code for a municipality
    ({"code": "3370200a", "name": "Район", "kind": "MUNICIPALITY", "parentCode": REGION_A},
     "code", "INVALID"),
    ({"code": "33702000101", "name": "Село", "kind": "SETTLEMENT", "parentCode": REGION_A},
     "parentCode", "INVALID"),  # a settlement directly under a region
    ({"code": "33702000", "name": "Район", "kind": "MUNICIPALITY", "parentCode": MUNICIPALITY_B},
     "parentCode", "INVALID"),
    ({"code": MUNICIPALITY_A, "name": "Дубль", "kind": "MUNICIPALITY", "parentCode": REGION_A},
     "code", "DUPLICATE"),
    ({"code": "33702000", "name": "Район", "kind": "MUNICIPALITY", "parentCode": REGION_A,
      "timezone": "Europe/Atlantis"}, "timezone", "INVALID"),
    ({"code": "33702000", "name": "Район", "kind": "MUNICIPALITY", "parentCode": "33999000"},
     "parentCode", "NOT_FOUND"),
    ({"code": "33702000", "name": "   ", "kind": "MUNICIPALITY", "parentCode": REGION_A},
     "name", "INVALID"),
    ({"code": "33702000", "name": "Район", "kind": "MUNICIPALITY", "parentCode": REGION_A,
      "boundary": {"type": "Point", "coordinates": [49, 58]}}, "boundary", "INVALID"),
    ({"code": "33702000", "name": "Район", "kind": "MUNICIPALITY"}, "parentCode", "REQUIRED"),
    ({"code": "KZ", "name": "Казахстан", "kind": "COUNTRY", "parentCode": COUNTRY,
      "timezone": "Asia/Almaty"}, "parentCode", "INVALID"),
], ids=lambda v: v if isinstance(v, str) else None)
async def test_create_territory_validation(world: World, graphql: Any, federal: str,
                                           data: dict[str, Any], field: str, code: str) -> None:
    count = await Territory.all().count()
    payload = await mutate(graphql, M_TERRITORY, federal, data)
    assert payload["territory"] is None
    assert errors_by_field(payload).get(field) == code, payload
    assert await Territory.all().count() == count


async def test_update_territory_validation(world: World, graphql: Any, federal: str) -> None:
    payload = await mutate(graphql, M_TERRITORY, federal, {
        "code": MUNICIPALITY_A, "timezone": "Mars/Olympus", "kind": "REGION",
        "parentCode": MUNICIPALITY_B}, update=True)
    assert errors_by_field(payload) == {"timezone": "INVALID", "kind": "INVALID",
                                        "parentCode": "INVALID"}
    row = await Territory.get(code=MUNICIPALITY_A)
    assert (row.timezone, row.path) == ("Europe/Kirov", f"{COUNTRY}/{REGION_A}/{MUNICIPALITY_A}")
    missing = await mutate(graphql, M_TERRITORY, federal, {"code": "33999000", "name": "X"},
                           update=True)
    assert errors_by_field(missing) == {"code": "NOT_FOUND"}


async def test_reparenting_a_territory_moves_its_whole_subtree(
        world: World, graphql: Any, federal: str, make_token: Any) -> None:
    await add_territory("33701000101", TerritoryKind.SETTLEMENT, MUNICIPALITY_A, "Слобода")
    await add_territory("33701000102", TerritoryKind.SETTLEMENT, MUNICIPALITY_A, "Заречье")
    payload = await mutate(graphql, M_TERRITORY, federal,
                           {"code": MUNICIPALITY_A, "parentCode": REGION_B}, update=True)
    assert payload["userErrors"] == []
    assert payload["territory"]["parent"] == {"code": REGION_B}
    moved = f"{COUNTRY}/{REGION_B}/{MUNICIPALITY_A}"
    paths = {t.code: t.path for t in await Territory.filter(path__startswith=moved)}
    assert paths == {MUNICIPALITY_A: moved, "33701000101": f"{moved}/33701000101",
                     "33701000102": f"{moved}/33701000102"}
    assert await Territory.filter(path__startswith=f"{COUNTRY}/{REGION_A}/").count() == 0

    # Everything that reads paths follows: subtree filters, and who may administer it.
    within_b = ok_data(await graphql('{ territories(filter: {withinCode: "92000000"}) '
                                     "{ edges { node { code } } } }"))
    assert {e["node"]["code"] for e in within_b["territories"]["edges"]} == {
        REGION_B, MUNICIPALITY_B, MUNICIPALITY_A, "33701000101", "33701000102"}
    orgs_b = ok_data(await graphql(ORGS_PAGE, {"filter": {"territoryCode": REGION_B}}))
    assert set(ogrns(orgs_b["organizations"])) == {ORG_B, ORG_A_SCHOOL}
    admin_a = await make_token("regional_admin", territory=REGION_A)
    admin_b = await make_token("regional_admin", territory=REGION_B)
    rename = {"code": "33701000101", "name": "Слобода-2"}
    refused = await mutate(graphql, M_TERRITORY, admin_a, rename, update=True)
    assert errors_by_field(refused) == {None: "FORBIDDEN"}
    allowed = await mutate(graphql, M_TERRITORY, admin_b, rename, update=True)
    assert allowed["userErrors"] == []

    trail = await audit_trail(graphql, federal, "territory", MUNICIPALITY_A)
    assert trail[-1]["before"]["path"] == f"{COUNTRY}/{REGION_A}/{MUNICIPALITY_A}"
    assert trail[-1]["after"]["path"] == moved


async def test_create_and_update_organization_with_audit(world: World, graphql: Any,
                                                         federal: str) -> None:
    data = {"ogrn": ogrn(60), "inn": inn(60), "name": "МФЦ Кирова", "kind": "INSTITUTION",
            "territoryCode": MUNICIPALITY_A, "parentOgrn": ORG_A, "connected": True,
            "contacts": {"email": "mfc@kirov.example", "phone": "+7 (8332) 25-00-00"}}
    created = await mutate(graphql, M_ORGANIZATION, federal, data)
    assert created["userErrors"] == []
    assert created["organization"] == {
        "ogrn": ogrn(60), "inn": inn(60), "name": "МФЦ Кирова", "kind": "INSTITUTION",
        "connected": True, "territory": {"code": MUNICIPALITY_A}, "parent": {"ogrn": ORG_A},
        "contacts": {"email": "mfc@kirov.example", "phone": "+7 (8332) 25-00-00",
                     "site": None, "address": None}}
    updated = await mutate(graphql, M_ORGANIZATION, federal, {
        "ogrn": ogrn(60), "name": "МФЦ «Мои документы»", "contacts": {"site": "https://mfc.example"},
        "territoryCode": REGION_A}, update=True)
    assert updated["userErrors"] == []
    organization = updated["organization"]
    assert organization["name"] == "МФЦ «Мои документы»"
    assert organization["territory"] == {"code": REGION_A}
    # Contacts are merged, not replaced; the parent is kept when not given.
    assert organization["contacts"]["email"] == "mfc@kirov.example"
    assert organization["contacts"]["site"] == "https://mfc.example"
    assert organization["parent"] == {"ogrn": ORG_A}

    trail = await audit_trail(graphql, federal, "organization", ogrn(60))
    assert [e["action"] for e in trail] == ["organization.create", "organization.update"]
    assert trail[0]["before"] is None and trail[0]["after"]["inn"] == inn(60)
    assert trail[1]["before"]["name"] == "МФЦ Кирова"
    assert trail[1]["after"]["name"] == "МФЦ «Мои документы»"
    assert trail[1]["before"]["territory"] == MUNICIPALITY_A
    assert trail[1]["after"]["territory"] == REGION_A


def _bad_check_digit(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


@pytest.mark.parametrize(("changes", "expected"), [
    ({"ogrn": _bad_check_digit(ogrn(61))}, {"ogrn": "INVALID"}),
    ({"ogrn": "12345"}, {"ogrn": "INVALID"}),
    ({"inn": _bad_check_digit(inn(61))}, {"inn": "INVALID"}),
    ({"inn": "12345678901"}, {"inn": "INVALID"}),
    ({"ogrn": _bad_check_digit(ogrn(61)), "inn": _bad_check_digit(inn(61))},
     {"ogrn": "INVALID", "inn": "INVALID"}),  # every problem at once
    ({"ogrn": ORG_A}, {"ogrn": "DUPLICATE"}),
    ({"territoryCode": "33999000"}, {"territoryCode": "NOT_FOUND"}),
    ({"parentOgrn": ogrn(999)}, {"parentOgrn": "NOT_FOUND"}),
    ({"contacts": {"email": "not-an-address"}}, {"contacts.email": "INVALID"}),
    ({"contacts": {"site": "ftp://x"}}, {"contacts.site": "INVALID"}),
    ({"name": ""}, {"name": "REQUIRED"}),
], ids=param_id)
async def test_create_organization_validation(world: World, graphql: Any, federal: str,
                                              changes: dict[str, Any],
                                              expected: dict[str, str]) -> None:
    data = {"ogrn": ogrn(61), "inn": inn(61), "name": "Поликлиника", "kind": "INSTITUTION",
            "territoryCode": MUNICIPALITY_A, **changes}
    count = await Organization.all().count()
    payload = await mutate(graphql, M_ORGANIZATION, federal, data)
    assert payload["organization"] is None
    assert errors_by_field(payload) == expected, payload
    assert await Organization.all().count() == count


@pytest.mark.parametrize(("ogrn_", "parent", "field"), [
    (ORG_A, ORG_A, "parentOgrn"),  # itself
    (ORG_A, ORG_A_SCHOOL, "parentOgrn"),  # its own subordinate
])
async def test_organization_parents_cannot_form_a_cycle(world: World, graphql: Any, federal: str,
                                                        ogrn_: str, parent: str,
                                                        field: str) -> None:
    payload = await mutate(graphql, M_ORGANIZATION, federal,
                           {"ogrn": ogrn_, "parentOgrn": parent}, update=True)
    assert errors_by_field(payload) == {field: "INVALID"}
    assert (await Organization.get(ogrn=ORG_A)).parent_id is None


async def test_long_organization_chain_without_cycle_is_accepted(world: World, graphql: Any,
                                                                 federal: str) -> None:
    payload = await mutate(graphql, M_ORGANIZATION, federal,
                           {"ogrn": ORG_A, "parentOgrn": ORG_FEDERAL}, update=True)
    assert payload["userErrors"] == []
    cycle = await mutate(graphql, M_ORGANIZATION, federal,
                         {"ogrn": ORG_FEDERAL, "parentOgrn": ORG_A_SCHOOL}, update=True)
    assert errors_by_field(cycle) == {"parentOgrn": "INVALID"}


async def test_update_organization_validation(world: World, graphql: Any, federal: str) -> None:
    payload = await mutate(graphql, M_ORGANIZATION, federal, {
        "ogrn": ORG_A, "inn": _bad_check_digit(inn(2)), "name": "x" * 501,
        "contacts": {"phone": "call me"}}, update=True)
    assert errors_by_field(payload) == {"inn": "INVALID", "name": "INVALID",
                                        "contacts.phone": "INVALID"}
    row = await Organization.get(ogrn=ORG_A)
    assert row.inn == inn(2) and row.contacts == {}
    missing = await mutate(graphql, M_ORGANIZATION, federal, {"ogrn": ogrn(999), "name": "X"},
                           update=True)
    assert errors_by_field(missing) == {"ogrn": "NOT_FOUND"}


async def test_categories_create_update_reparent_with_audit(world: World, graphql: Any,
                                                            federal: str) -> None:
    created = await mutate(graphql, M_CATEGORY, federal, {
        "code": "roads.lights", "name": "Освещение", "parentCode": "roads",
        "competenceLevel": "MUNICIPAL"})
    assert created["userErrors"] == []
    assert created["category"] == {"code": "roads.lights", "name": "Освещение",
                                   "path": "roads/roads.lights", "competenceLevel": "MUNICIPAL",
                                   "active": True, "parent": {"code": "roads"}}
    moved = await mutate(graphql, M_CATEGORY, federal, {
        "code": "roads", "parentCode": "snow", "active": False, "competenceLevel": "FEDERAL"},
        update=True)
    assert moved["userErrors"] == []
    assert moved["category"]["path"] == "snow/roads"
    assert moved["category"]["active"] is False
    assert {c.code: c.path for c in await Category.all()} == {
        "snow": "snow", "roads": "snow/roads", "roads.pits": "snow/roads/roads.pits",
        "roads.lights": "snow/roads/roads.lights"}
    trail = await audit_trail(graphql, federal, "category", "roads")
    assert trail[-1]["action"] == "category.update"
    assert trail[-1]["before"]["path"] == "roads" and trail[-1]["before"]["active"] is True
    assert trail[-1]["after"]["path"] == "snow/roads" and trail[-1]["after"]["active"] is False


@pytest.mark.parametrize(("data", "update", "expected"), [
    ({"code": "Roads!", "name": "X", "competenceLevel": "MUNICIPAL"}, False, {"code": "INVALID"}),
    ({"code": "snow", "name": "X", "competenceLevel": "MUNICIPAL"}, False, {"code": "DUPLICATE"}),
    ({"code": "water", "name": "X"}, False, {"competenceLevel": "REQUIRED"}),
    ({"code": "water", "name": "X", "competenceLevel": "MUNICIPAL", "parentCode": "nope"}, False,
     {"parentCode": "NOT_FOUND"}),
    ({"code": "roads", "parentCode": "roads.pits"}, True, {"parentCode": "INVALID"}),
    ({"code": "roads", "parentCode": "roads"}, True, {"parentCode": "INVALID"}),
    ({"code": "nope", "name": "X"}, True, {"code": "NOT_FOUND"}),
], ids=param_id)
async def test_category_validation(world: World, graphql: Any, federal: str,
                                   data: dict[str, Any], update: bool,
                                   expected: dict[str, str]) -> None:
    before = {c.code: c.path for c in await Category.all()}
    payload = await mutate(graphql, M_CATEGORY, federal, data, update=update)
    assert payload["category"] is None
    assert errors_by_field(payload) == expected
    assert {c.code: c.path for c in await Category.all()} == before


M_ROLE = """mutation($i: RoleAssignmentInput!, $revoke: Boolean = false) {
  assign: assignRole(input: $i) @skip(if: $revoke) {
    roleAssignment { role userSubject userIssuer organization { ogrn } territory { code } }
    userErrors { field code } }
  revoke: revokeRole(input: $i) @include(if: $revoke) {
    roleAssignment { role userSubject } userErrors { field code } }
}"""


async def test_assign_and_revoke_role_with_audit(world: World, graphql: Any, federal: str,
                                                 make_token: Any) -> None:
    await make_token("citizen", sub="ivanova")
    grant = {"userSubject": "ivanova", "userIssuer": "vmeste-dev", "role": "OPERATOR",
             "organizationOgrn": ORG_A}
    assigned = ok_data(await graphql(M_ROLE, {"i": grant}, token=federal))["assign"]
    assert assigned["userErrors"] == []
    assert assigned["roleAssignment"] == {"role": "OPERATOR", "userSubject": "ivanova",
                                          "userIssuer": "vmeste-dev",
                                          "organization": {"ogrn": ORG_A}, "territory": None}
    again = ok_data(await graphql(M_ROLE, {"i": grant}, token=federal))["assign"]
    assert again["userErrors"] == []
    assert await RoleAssignment.filter(user__subject="ivanova").count() == 1
    revoked = ok_data(await graphql(M_ROLE, {"i": grant, "revoke": True}, token=federal))["revoke"]
    assert revoked["userErrors"] == []
    assert await RoleAssignment.filter(user__subject="ivanova").count() == 0
    twice = ok_data(await graphql(M_ROLE, {"i": grant, "revoke": True}, token=federal))["revoke"]
    assert errors_by_field(twice) == {"role": "NOT_FOUND"}

    trail = await audit_trail(graphql, federal, "role_assignment", None)  # type: ignore[arg-type]
    mine = [e for e in trail if (e["after"] or e["before"])["user_id"] == (
        await User.get(subject="ivanova")).id]
    assert [e["action"] for e in mine] == ["role.assign", "role.revoke"]
    assert mine[0]["before"] is None and mine[0]["after"]["role"] == "operator"
    assert mine[1]["before"]["role"] == "operator" and mine[1]["after"] is None


@pytest.mark.parametrize(("grant", "expected"), [
    ({"role": "CITIZEN", "territoryCode": REGION_A}, {"role": "INVALID"}),
    ({"role": "OPERATOR", "territoryCode": REGION_A}, {"organizationOgrn": "REQUIRED"}),
    ({"role": "OPERATOR", "organizationOgrn": ORG_A, "territoryCode": REGION_A},
     {"organizationOgrn": "REQUIRED"}),
    ({"role": "MODERATOR", "organizationOgrn": ORG_A}, {"territoryCode": "REQUIRED"}),
    ({"role": "MODERATOR", "territoryCode": "33999000"}, {"territoryCode": "NOT_FOUND"}),
    ({"role": "EXECUTOR", "organizationOgrn": ogrn(999)}, {"organizationOgrn": "NOT_FOUND"}),
    ({"role": "EXECUTOR", "organizationOgrn": ORG_A, "userSubject": "nobody"},
     {"userSubject": "NOT_FOUND"}),
], ids=param_id)
async def test_assign_role_validation(world: World, graphql: Any, federal: str,
                                      grant: dict[str, Any], expected: dict[str, str]) -> None:
    data = {"userSubject": "dev-federal_configurator-RU", "userIssuer": "vmeste-dev", **grant}
    count = await RoleAssignment.all().count()
    payload = ok_data(await graphql(M_ROLE, {"i": data}, token=federal))["assign"]
    assert payload["roleAssignment"] is None
    assert errors_by_field(payload) == expected
    assert await RoleAssignment.all().count() == count


async def test_set_region_policy_with_audit(world: World, graphql: Any, federal: str) -> None:
    document = """mutation($i: RegionPolicyInput!) { setRegionPolicy(input: $i) {
      regionPolicy { kind plugin settings active territory { code } } userErrors { code } } }"""
    first = ok_data(await graphql(document, {"i": {
        "territoryCode": REGION_A, "kind": "identity", "plugin": "oidc",
        "settings": {"require_verified": False}}}, token=federal))["setRegionPolicy"]
    assert first == {"regionPolicy": {"kind": "identity", "plugin": "oidc",
                                      "settings": {"require_verified": False}, "active": True,
                                      "territory": {"code": REGION_A}}, "userErrors": []}
    second = ok_data(await graphql(document, {"i": {
        "territoryCode": REGION_A, "kind": "identity", "plugin": "oidc", "active": False}},
        token=federal))["setRegionPolicy"]
    assert second["regionPolicy"]["active"] is False
    assert second["regionPolicy"]["settings"] == {"require_verified": False}
    assert await RegionPolicy.all().count() == 1
    trail = await audit_trail(graphql, federal, "region_policy", None)  # type: ignore[arg-type]
    assert [e["action"] for e in trail] == ["region_policy.set", "region_policy.set"]
    assert trail[0]["before"] is None and trail[0]["after"]["active"] is True
    assert trail[1]["before"]["active"] is True and trail[1]["after"]["active"] is False


async def test_org_admin_cannot_change_structure_of_own_organization(
        world: World, graphql: Any, make_token: Any) -> None:
    token = await make_token("org_admin", org=ORG_A)
    contacts = await mutate(graphql, M_ORGANIZATION, token, {
        "ogrn": ORG_A, "contacts": {"address": "Киров, ул. Карла Либкнехта, 69"}}, update=True)
    assert contacts["userErrors"] == []
    for change in ({"name": "Новое имя"}, {"connected": True}, {"inn": inn(2)},
                   {"parentOgrn": ORG_FEDERAL}, {"territoryCode": MUNICIPALITY_A},
                   {"kind": "FEDERAL"}):
        payload = await mutate(graphql, M_ORGANIZATION, token, {"ogrn": ORG_A, **change},
                               update=True)
        assert errors_by_field(payload) == {None: "FORBIDDEN"}, change
    row = await Organization.get(ogrn=ORG_A)
    assert row.name == "Министерство ЖКХ Кировской области"
    assert row.contacts == {"address": "Киров, ул. Карла Либкнехта, 69"}


async def test_regional_admin_cannot_move_things_out_of_the_region(
        world: World, graphql: Any, make_token: Any) -> None:
    token = await make_token("regional_admin", territory=REGION_A)
    moved = await mutate(graphql, M_ORGANIZATION, token,
                         {"ogrn": ORG_A_SCHOOL, "territoryCode": MUNICIPALITY_B}, update=True)
    assert errors_by_field(moved) == {None: "FORBIDDEN"}
    assert (await Organization.get(ogrn=ORG_A_SCHOOL)).territory_id == world.territories[
        MUNICIPALITY_A]
    region = await mutate(graphql, M_TERRITORY, token, {
        "code": "43000000", "name": "Новая", "kind": "REGION", "parentCode": COUNTRY,
        "timezone": "Europe/Moscow"})
    assert errors_by_field(region) == {None: "FORBIDDEN"}
    country = await mutate(graphql, M_TERRITORY, token, {
        "code": "KZ", "name": "Казахстан", "kind": "COUNTRY", "timezone": "Asia/Almaty"})
    assert errors_by_field(country) == {None: "FORBIDDEN"}


# --- authentication failures -------------------------------------------------------------


def _expired_token(data_dir: Path) -> str:
    issuer = dev_issuer(data_dir)
    return issuer.sign(dev_claims("late", Role.CITIZEN), audience="vmeste",
                       ttl=timedelta(hours=1), now=datetime.now(UTC) - timedelta(days=1))


@pytest.mark.parametrize("make_header", [
    pytest.param(lambda settings, good: "Bearer garbage", id="garbage"),
    pytest.param(lambda settings, good: "Bearer " + good[:-4] + "AAAA", id="bad-signature"),
    pytest.param(lambda settings, good: "Bearer " + _expired_token(settings.data_dir),
                 id="expired"),
    pytest.param(lambda settings, good: "Bearer " + DevIssuer(settings.data_dir / "other").sign(
        dev_claims("x", Role.CITIZEN), audience="vmeste"), id="foreign-key"),
    pytest.param(lambda settings, good: "Bearer " + dev_issuer(settings.data_dir).sign(
        dev_claims("x", Role.CITIZEN), audience="someone-else"), id="wrong-audience"),
    pytest.param(lambda settings, good: "Basic dXNlcjpwYXNz", id="not-bearer"),
    pytest.param(lambda settings, good: "Bearer ", id="empty"),
])
async def test_bad_tokens_get_401_json(db: Any, client: Any, make_token: Any,
                                       make_header: Any) -> None:
    good = await make_token("citizen")
    header = make_header(db, good)
    users = await User.all().count()
    response = await client.post("/graphql", json={"query": "{ me { subject } }"},
                                 headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["message"]
    assert await User.all().count() == users, "a refused token must not create a user"
    # The same request with the good token goes through.
    ok = await client.post("/graphql", json={"query": "{ me { subject } }"},
                           headers={"Authorization": f"Bearer {good}"})
    assert ok.status_code == 200 and ok.json()["data"]["me"]["subject"] == "dev-citizen-any"


async def test_expired_token_says_so(db: Any, client: Any) -> None:
    response = await client.post("/graphql", json={"query": "{ me { subject } }"},
                                 headers={"Authorization": "Bearer " + _expired_token(db.data_dir)})
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "Срок действия токена истёк"


async def test_dev_tokens_are_refused_outside_dev_mode(world: World, make_token: Any,
                                                       app_client: Any) -> None:
    token = await make_token("federal_configurator", territory=COUNTRY)
    async with app_client(dev_mode=False) as (_, graphql):
        response = await graphql.raw("{ me { subject } }", token=token)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- masking ----------------------------------------------------------------------------

SECRET = "password=hunter2 at /srv/vmeste/secret.py"


def _explode(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(SECRET)


async def test_unexpected_error_in_a_mutation_is_masked(world: World, graphql: Any,
                                                        federal: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ref, "create_territory", _explode)
    response = await graphql.raw(M_TERRITORY, {"i": {
        "code": "33702000", "name": "Район", "kind": "MUNICIPALITY", "parentCode": REGION_A}},
        token=federal)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == ["Внутренняя ошибка сервера"]
    for leak in ("hunter2", "secret.py", "RuntimeError", "Traceback", "File \""):
        assert leak not in response.text


async def test_unexpected_error_in_a_query_is_masked(world: World, graphql: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Both read paths meet the failure: the compiled plan hands the request over, and
    # the resolvers answer it.
    monkeypatch.setattr(Organization, "filter", _explode)
    response = await graphql.raw('query($o: String!) { organization(ogrn: $o) { name } '
                                 'territory(code: "RU") { name } }', {"o": ORG_A})
    assert response.status_code == 200
    body = response.json()
    # The failing field is masked; its sibling still answers.
    assert body["data"] == {"organization": None, "territory": {"name": "Россия"}}
    assert [e["message"] for e in body["errors"]] == ["Внутренняя ошибка сервера"]
    assert "hunter2" not in response.text and "Traceback" not in response.text


async def test_expected_errors_are_not_masked(world: World, graphql: Any) -> None:
    body = await graphql('{ roleAssignments { role } }')
    assert body["errors"][0]["message"] == "Требуется вход в систему"
    assert error_code(body) == "UNAUTHENTICATED"
    syntax = await graphql.raw("{ territories { ")
    assert syntax.status_code in (200, 400)
    assert "Syntax Error" in syntax.json()["errors"][0]["message"]


# --- query counts ----------------------------------------------------------------------------

Q_LIST = """{ organizations(first: 100) { totalCount edges { node {
  name territory { name parent { name } } parent { name territory { name } } } } } }"""


async def _queries_for_listing(graphql: Any) -> tuple[int, int]:
    with count_queries() as log:
        body = ok_data(await graphql(Q_LIST))
    return len(log), len(body["organizations"]["edges"])


async def test_listing_organizations_costs_the_same_for_10_and_50(world: World,
                                                                  graphql: Any) -> None:
    await add_many_organizations(6)
    small, listed_small = await _queries_for_listing(graphql)
    await add_many_organizations(40, start=200)
    large, listed_large = await _queries_for_listing(graphql)
    assert (listed_small, listed_large) == (10, 50)
    assert small == large, (small, large)
    assert large <= 5


async def test_query_counter_sees_the_queries(world: World) -> None:
    """The counter itself must count, or the test above proves nothing."""
    with count_queries() as log:
        for row in await Organization.all():
            await row.fetch_related("territory")
    assert len(log) == 1 + await Organization.all().count()
