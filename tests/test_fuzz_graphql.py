"""Property-based fuzzing: queries and mutations generated from the schema itself (with
hypothesis-graphql), their arguments lifted into variables, sent by an anonymous caller,
a citizen and a federal configurator. Whatever comes back, nothing is a server error:
no 5xx, no masked internal error, no error without a code.

Strings and ids are drawn partly from the seeded world (real codes, ОГРН, global ids)
so that operations get past "not found" into the code behind it. The run is
derandomized, and bounded in examples and time, so CI sees the same operations each
time; change ``EXAMPLES`` locally (or the seed world) to explore further.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import httpx
import pytest
from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLArgument,
    NameNode,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    parse_type,
    print_ast,
    value_from_ast_untyped,
    visit,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, mutations, nodes, queries

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
)
from vmeste.platform.settings import load_settings
from vmeste.schema import build_schema
from vmeste.schema.masking import INTERNAL_MESSAGE
from vmeste.schema.pagination import encode_cursor

SCHEMA = build_schema(load_settings({}))._schema
#: Per caller; each example is one query or mutation, half of them with variables.
EXAMPLES = 150

REALISTIC_STRINGS = [
    COUNTRY, REGION_A, REGION_B, MUNICIPALITY_A, MUNICIPALITY_B, "33701000001",
    ORG_FEDERAL, ORG_A, ORG_A_SCHOOL, ORG_B, "roads", "roads.pits", "snow",
    "identity", "routing", "moderation", "deadlines", "notification_channel", "oidc",
    "dev", "least-loaded", "inbox", "email", "webhook", "appeal.submitted",
    "Во дворе большая яма, машины не могут проехать.", "2025-11-05", "2025-11-05T10:00",
    "https://example.org/hook", "citizen@example.org", "", " ", "0", "-1", "9" * 40,
    encode_cursor(1), encode_cursor(2**40),
]


def global_id(type_name: str, node: object) -> str:
    return base64.b64encode(f"{type_name}:{node}".encode()).decode()


REALISTIC_IDS = [global_id(t, n) for t in ("Territory", "Organization", "Category", "Appeal",
                                           "Notification", "DeadLetter", "Foo")
                 for n in (1, 2, 5, 2**31, -1)]


def _text() -> st.SearchStrategy[str]:
    return st.text(st.characters(codec="utf-8", min_codepoint=1, max_codepoint=0xFFFF,
                                 exclude_categories=["Cs"]), max_size=30)


def _json_objects() -> st.SearchStrategy[Any]:
    keys = st.sampled_from(["require_verified", "min_load", "weights", "x", "url", "channels"])
    leaves = st.one_of(st.booleans(), st.integers(-5, 10**6), _text().map(nodes.String),
                       st.sampled_from(REALISTIC_STRINGS).map(nodes.String))
    return st.dictionaries(keys, leaves, max_size=3).map(_json_object_node)


def _json_object_node(value: dict[str, Any]) -> Any:
    document = parse(f"{{ f(a: {json_literal(value)}) }}")
    return document.definitions[0].selection_set.selections[0].arguments[0].value


def json_literal(value: Any) -> str:
    """A GraphQL literal of a JSON value (objects without quoted keys)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {json_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return print_ast(value)


CUSTOM_SCALARS = {
    "String": st.one_of(st.sampled_from(REALISTIC_STRINGS), _text()).map(nodes.String),
    "ID": st.one_of(st.sampled_from(REALISTIC_IDS), _text()).map(nodes.String),
    "Date": st.one_of(st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)).map(str),
                      _text()).map(nodes.String),
    "DateTime": st.one_of(
        st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1),
                     timezones=st.just(dt.UTC)).map(dt.datetime.isoformat),
        _text()).map(nodes.String),
    "JSON": _json_objects(),
}
#: One strategy per root field, so every query and mutation is generated about as
#: often (one strategy over the whole schema mostly picks the first few fields).
ROOT_FIELDS = [(kind, name) for kind, root in (("query", SCHEMA.query_type),
                                               ("mutation", SCHEMA.mutation_type))
               for name in root.fields]  # type: ignore[union-attr]
OPERATIONS = st.one_of([
    (queries if kind == "query" else mutations)(
        SCHEMA, fields=[name], custom_scalars=CUSTOM_SCALARS, allow_x00=False)
    for kind, name in ROOT_FIELDS])
#: Operations with one schema violation each (a wrong type, a missing argument, an
#: unknown enum value): refused with a code, whoever sends them.
INVALID_OPERATIONS = from_schema(SCHEMA, custom_scalars=CUSTOM_SCALARS, allow_x00=False,
                                 mode=Mode.NEGATIVE)


class _LiftArguments(Visitor):
    """Replaces every argument's literal by a variable of the argument's type."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.variables: dict[str, Any] = {}
        self.definitions: list[VariableDefinitionNode] = []

    def enter_argument(self, node: ArgumentNode, *_: Any) -> ArgumentNode:
        argument: GraphQLArgument | None = self.type_info.get_argument()
        assert argument is not None
        name = f"v{len(self.definitions)}"
        self.variables[name] = value_from_ast_untyped(node.value)
        self.definitions.append(VariableDefinitionNode(
            variable=VariableNode(name=NameNode(value=name)),
            type=parse_type(str(argument.type))))
        return ArgumentNode(name=node.name, value=VariableNode(name=NameNode(value=name)))


def with_variables(document: str) -> tuple[str, dict[str, Any]]:
    """The same operation, its argument values sent as variables instead."""
    parsed = parse(document)
    type_info = TypeInfo(SCHEMA)
    lift = _LiftArguments(type_info)
    lifted: DocumentNode = visit(parsed, TypeInfoVisitor(type_info, lift))
    [operation] = lifted.definitions
    assert isinstance(operation, OperationDefinitionNode)
    lifted = DocumentNode(definitions=(OperationDefinitionNode(
        operation=operation.operation, name=operation.name,
        variable_definitions=tuple(lift.definitions), directives=operation.directives,
        selection_set=operation.selection_set),))
    return print_ast(lifted), lift.variables


def server_errors(response: httpx.Response) -> list[str]:
    """What in an answer is the server's fault rather than the request's."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}"]
    body = response.json()
    problems = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if error.get("message") == INTERNAL_MESSAGE or code in (None, "INTERNAL"):
            problems.append(f"{code}: {error.get('message')} at {error.get('path')}")
    return problems


@pytest.fixture
async def callers(world: Any, make_token: Any, submit_appeal: Any) -> dict[str, str | None]:
    """The three callers, on the world with two appeals (one of them the citizen's), so
    generated ids reach real appeals."""
    await submit_appeal(category="roads", territory=MUNICIPALITY_A, citizen="fuzz-citizen")
    await submit_appeal(category="snow", territory=MUNICIPALITY_B)
    return {"anonymous": None,
            "citizen": await make_token("citizen", sub="fuzz-citizen"),
            "federal_configurator": await make_token("federal_configurator",
                                                     territory=COUNTRY)}


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, derandomize=True, database=None,
    # Generous: one operation taking seconds would be a finding in itself.
    deadline=dt.timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@pytest.mark.parametrize("caller", ["anonymous", "citizen", "federal_configurator"])
@FUZZ_SETTINGS
@given(operation=OPERATIONS, as_variables=st.booleans())
async def test_no_generated_operation_is_a_server_error(
        client: httpx.AsyncClient, callers: dict[str, str | None], caller: str,
        operation: str, as_variables: bool) -> None:
    variables: dict[str, Any] = {}
    if as_variables:
        operation, variables = with_variables(operation)
    token = callers[caller]
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps({"query": operation, "variables": variables})
    response = await client.post("/graphql", content=body.encode(), headers=headers)
    assert not server_errors(response), (operation, variables, response.text)


@FUZZ_SETTINGS
@given(operation=INVALID_OPERATIONS)
async def test_no_invalid_operation_is_a_server_error(client: httpx.AsyncClient,
                                                     operation: str) -> None:
    response = await client.post("/graphql", json={"query": operation})
    assert not server_errors(response), (operation, response.text)
    assert response.json()["data"] is None, operation


def test_server_errors_are_recognised() -> None:
    def answer(status: int, *errors: dict[str, Any]) -> httpx.Response:
        return httpx.Response(status, json={"data": None, "errors": list(errors)})

    assert server_errors(answer(502)) == ["HTTP 502"]
    assert server_errors(answer(200, {"message": INTERNAL_MESSAGE,
                                      "extensions": {"code": "INTERNAL"}}))
    assert server_errors(answer(200, {"message": "Cannot return null"}))
    assert not server_errors(answer(200, {"message": "Неверный курсор страницы",
                                          "extensions": {"code": "INVALID_CURSOR"}}))
    assert not server_errors(httpx.Response(200, json={"data": {"me": None}}))


def test_arguments_are_lifted_into_typed_variables() -> None:
    document, variables = with_variables(
        '{ territories(first: 3, filter: { kind: REGION }) { totalCount } '
        'territory(code: "RU") { code } }')
    assert variables == {"v0": 3, "v1": {"kind": "REGION"}, "v2": "RU"}
    assert document.startswith(
        "query ($v0: Int, $v1: TerritoryFilter, $v2: String!) {")
    assert '"RU"' not in document
