"""Every bad input gets a typed error code (never a 500 or a masked internal error), and
errors are logged without what the caller typed: no document, no variables, no values."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import httpx
import pytest

from tests.worlds import World, error_code, ok_data
from vmeste.platform.reference import models

PHONE = "+7 912 345-67-89"
PASSPORT = "4510 123456"
INTERNAL = "Внутренняя ошибка сервера"


async def post(client: httpx.AsyncClient, query: str, variables: Any = None,
               **headers: str) -> httpx.Response:
    """Posts the JSON as written (``json.dumps`` escapes a lone surrogate; httpx's own
    encoder would refuse it)."""
    body = json.dumps({"query": query, "variables": variables})
    return await client.post("/graphql", content=body.encode(),
                             headers={"Content-Type": "application/json", **headers})


def codes(response: httpx.Response) -> list[str]:
    assert response.status_code in (200, 400), response.text
    errors = response.json().get("errors") or []
    assert all(e["message"] != INTERNAL for e in errors), errors
    return [e.get("extensions", {}).get("code") for e in errors]


def raise_with_personal_data(cls: Any, *args: Any, **lookup: Any) -> Any:
    try:
        raise ValueError(f"passport {PASSPORT}")
    except ValueError as cause:
        raise RuntimeError(f"cannot look up {lookup}") from cause


@pytest.fixture
def broken_territory_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception inside a resolver, whose messages hold what was typed (a
    compiled plan meets it too, and hands the request to the resolvers)."""
    monkeypatch.setattr(models.Territory, "filter", classmethod(raise_with_personal_data))


async def test_errors_are_logged_without_the_values_typed(
        world: World, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture,
        broken_territory_lookup: None) -> None:
    caplog.set_level(logging.DEBUG)
    bad_variable = await post(client, "query($n: Int) { territories(first: $n) { totalCount } }",
                              {"n": PHONE})
    invalid = await post(client, f'{{ territories(first: "{PASSPORT}") {{ totalCount }} }}')
    unknown = await post(client, f'{{ territory(code: "{PHONE}") {{ code passport }} }}')
    assert [codes(r) for r in (bad_variable, invalid, unknown)] == [
        ["INVALID"], ["INVALID_QUERY"], ["INVALID_QUERY"]]
    assert PASSPORT in invalid.text  # the caller is told, the log is not

    failed = await post(client, "query Find($c: String!) { territory(code: $c) { code } }",
                        {"c": PHONE}, **{"X-Request-Id": "req-abcdefgh-42"})
    [error] = failed.json()["errors"]
    assert error["message"] == INTERNAL
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-abcdefgh-42"}

    text = "\n".join(caplog.text.splitlines() + [r.getMessage() for r in caplog.records])
    for secret in (PHONE, PASSPORT, "345-67-89"):
        assert secret not in text
    mine = [r for r in caplog.records if r.name == "vmeste.graphql"]
    expected = [r for r in mine if r.levelno == logging.INFO]
    assert len(expected) == 3 and all(r.exc_info is None for r in expected)
    assert "refused: INVALID_QUERY" in expected[1].getMessage()
    [unexpected] = [r for r in mine if r.levelno == logging.ERROR]
    message = unexpected.getMessage()
    assert "query Find failed at territory (request req-abcdefgh-42)" in message
    assert "builtins.RuntimeError" in message and "builtins.ValueError" in message
    assert "raise_with_personal_data" in message  # the frames are there, the values not
    assert not [r for r in caplog.records if r.name.startswith("strawberry")]


async def test_a_malformed_request_id_is_replaced(world: World, client: httpx.AsyncClient,
                                                  broken_territory_lookup: None) -> None:
    for sent in ("short", "x" * 65, "bad id\nwith a newline", f"{PHONE}"):
        response = await post(client, '{ territory(code: "RU") { code } }',
                              **{"X-Request-Id": sent})
        request_id = response.json()["errors"][0]["extensions"]["requestId"]
        assert request_id != sent and len(request_id) == 32


async def test_the_quoted_request_id_is_the_one_the_response_and_the_log_carry(
        world: World, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture,
        broken_territory_lookup: None) -> None:
    """Without an ``X-Request-Id`` the platform makes one: the masked error quotes it,
    the response echoes it, and the error's log line names it."""
    caplog.set_level(logging.ERROR, logger="vmeste.graphql")
    response = await post(client, '{ territory(code: "RU") { code } }')
    request_id = response.json()["errors"][0]["extensions"]["requestId"]
    assert response.headers["x-request-id"] == request_id
    [line] = [r.getMessage() for r in caplog.records if r.name == "vmeste.graphql"]
    assert f"(request {request_id})" in line


@pytest.mark.parametrize("variables", [
    {"c": "\ud800"}, {"c": "ok\udfffok"},
])
async def test_lone_surrogates_in_variables_are_invalid(world: World, client: httpx.AsyncClient,
                                                        variables: dict[str, str]) -> None:
    response = await post(client, "query($c: String!) { territory(code: $c) { code } }",
                          variables)
    assert codes(response) == ["INVALID"]
    assert response.json()["data"] is None


async def test_lone_surrogates_inside_input_objects_are_invalid(
        world: World, client: httpx.AsyncClient, make_token: Any) -> None:
    token = await make_token("citizen")
    response = await post(
        client, "mutation($i: SubmitAppealInput!) { submitAppeal(input: $i) { userErrors "
        "{ code } } }", {"i": {"text": "Яма \ud83d во дворе", "categoryCode": "roads",
                               "territoryCode": "33701000"}},
        Authorization=f"Bearer {token}")
    assert codes(response) == ["INVALID"]


@pytest.mark.parametrize("literal", ['"\\ud800"', '"\\udc00\\ud800"', '"\\u{D800}"',
                                     '"""\ud800"""', '"\ud800"'])
async def test_lone_surrogates_in_document_literals_are_invalid(
        world: World, client: httpx.AsyncClient, literal: str) -> None:
    response = await post(client, f"{{ territory(code: {literal}) {{ code }} }}")
    assert codes(response) == ["INVALID"]


def global_id(type_name: str, node: str) -> str:
    return base64.b64encode(f"{type_name}:{node}".encode()).decode()


@pytest.mark.parametrize("node_id", [
    global_id("Territory", "9" * 10_000), global_id("PageInfo", "1"),
    global_id("NoSuchType", "1"), global_id("Territory", "-1"), global_id("Territory", "x"),
])
async def test_node_of_a_strange_id_is_null(world: World, client: httpx.AsyncClient,
                                            node_id: str) -> None:
    response = await post(client, "query($id: ID!) { node(id: $id) { id } }", {"id": node_id})
    assert ok_data(response.json()) == {"node": None}


@pytest.mark.parametrize("node_id", ["9" * 10_000, "!!!!", "", "Territory:1"])
async def test_node_of_a_malformed_id_is_invalid(world: World, client: httpx.AsyncClient,
                                                 node_id: str) -> None:
    response = await post(client, "query($id: ID!) { node(id: $id) { id } }", {"id": node_id})
    assert codes(response) == ["INVALID"]


async def test_a_real_node_still_resolves(world: World, graphql: Any) -> None:
    body = ok_data(await graphql("query($id: ID!) { node(id: $id) { ... on Territory { code } } }",
                                 {"id": global_id("Territory", str(world.territories["RU"]))}))
    assert body == {"node": {"code": "RU"}}


async def test_several_operations_need_an_operation_name(world: World, graphql: Any) -> None:
    document = "query A { territory(code: \"RU\") { code } } query B { me { subject } }"
    body = await graphql(document)
    assert error_code(body) == "INVALID_QUERY" and body["data"] is None
    chosen = await graphql.http.post("/graphql", json={"query": document, "operationName": "B"})
    assert chosen.json() == {"data": {"me": None}}


async def test_suggestions_are_hidden_when_introspection_is_off(world: World, app_client: Any
                                                               ) -> None:
    mistakes = ['{ territori(code: "RU") { code } }',
                '{ territory(code: "RU") { kod } }',
                '{ roleAssignments(role: CITIZN) { role } }']
    async with app_client() as (_, graphql):
        for query in mistakes:
            assert "Did you mean" in (await graphql(query))["errors"][0]["message"]
        body = await graphql("query($r: Role) { roleAssignments(role: $r) { role } }",
                             {"r": "CITIZN"})
        assert "Did you mean" in body["errors"][0]["message"]
    async with app_client(introspection=False) as (_, graphql):
        for query in mistakes:
            body = await graphql(query)
            assert error_code(body) == "INVALID_QUERY"
            message = body["errors"][0]["message"]
            assert "Did you mean" not in message
            assert not {"'territories'", "'code'", "CITIZEN"} & set(message.split())
        body = await graphql("query($r: Role) { roleAssignments(role: $r) { role } }",
                             {"r": "CITIZN"})
        assert error_code(body) == "INVALID"
        assert "CITIZEN" not in body["errors"][0]["message"]


def test_subscriptions_are_guarded_too(empty_database: Any) -> None:
    from dataclasses import replace

    from starlette.testclient import TestClient

    from vmeste.app import create_app

    tight = replace(empty_database, graphql_max_cost=1, graphql_max_cost_anonymous=1)
    with TestClient(create_app(tight)) as http, http.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        for number, (variables, code) in enumerate([
                ({"b": True, "x": "\ud800"}, "INVALID"), ({"b": True}, "COST_LIMIT")]):
            ws.send_text(json.dumps({"id": str(number), "type": "subscribe", "payload": {
                "query": "subscription($b: Boolean!) { auditEventAdded { action "
                         "@include(if: $b) objectId } }", "variables": variables}}))
            message = ws.receive_json()
            # Refused before it subscribes: one result with the error, then complete.
            assert message["type"] == "next" and message["payload"]["data"] is None
            assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == [code]
            assert ws.receive_json() == {"id": str(number), "type": "complete"}


def nested(levels: int, leaf: Any = "x") -> Any:
    """``levels`` objects and lists inside each other around ``leaf``."""
    value = leaf
    for level in range(levels):
        value = {"a": value} if level % 2 else [value]
    return value


@pytest.mark.parametrize(("query", "token_role"), [
    ("query($x: String!) { territory(code: $x) { name } }", None),
    ("mutation($x: JSON!) { importCalendar(document: $x) { userErrors { code } } }",
     "federal_configurator"),
    ("mutation($x: TerritoryInput!) { createTerritory(input: $x) { userErrors { code } } }",
     "federal_configurator"),
])
async def test_deeply_nested_variables_are_invalid(
        world: World, client: httpx.AsyncClient, make_token: Any,
        caplog: pytest.LogCaptureFixture, query: str, token_role: str | None) -> None:
    headers = {"Authorization": f"Bearer {await make_token(token_role)}"} if token_role else {}
    caplog.set_level(logging.INFO, logger="vmeste.graphql")
    for variable in (nested(500), nested(65),
                     {"code": "X1", "name": "Икс", "boundary": nested(500)}):
        response = await post(client, query, {"x": variable}, **headers)
        assert codes(response) == ["INVALID"], response.text
        assert response.json()["data"] is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_json_nested_within_the_limit_is_a_typed_error(
        world: World, client: httpx.AsyncClient, make_token: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    """64 levels pass the guard, so graphql-core's coercion and the resolver walk them."""
    token = await make_token("federal_configurator")
    caplog.set_level(logging.INFO, logger="vmeste.graphql")
    response = await post(
        client, "mutation($x: JSON!) { importCalendar(document: $x) { userErrors { code } } }",
        {"x": {"name": "x", "years": nested(63)}}, Authorization=f"Bearer {token}")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["importCalendar"]["userErrors"], response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_unknown_operation_name_over_a_websocket_is_invalid_query(
        empty_database: Any, caplog: pytest.LogCaptureFixture) -> None:
    from starlette.testclient import TestClient

    from vmeste.app import create_app

    caplog.set_level(logging.DEBUG)
    injected = f"X\nFAKE ivanov {PHONE} failed"
    with TestClient(create_app(empty_database)) as http, http.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        for number, name in enumerate([injected, "Nope"]):
            ws.send_json({"id": str(number), "type": "subscribe", "payload": {
                "query": "query A { __typename }", "operationName": name}})
            message = ws.receive_json()
            # Refused before execution: the protocol's error message, which ends it.
            assert (message["id"], message["type"]) == (str(number), "error"), message
            [error] = message["payload"]
            assert error["extensions"] == {"code": "INVALID_QUERY"}
    mine = [r for r in caplog.records if r.name == "vmeste.graphql"]
    assert [r.levelno for r in mine] == [logging.INFO, logging.INFO]
    assert "graphql unknown - refused: INVALID_QUERY" in mine[0].getMessage()
    assert "graphql unknown Nope refused: INVALID_QUERY" in mine[1].getMessage()
    assert "ivanov" not in caplog.text and PHONE not in caplog.text


def test_only_graphql_names_reach_the_log() -> None:
    from vmeste.schema.error_log import safe_name

    assert [safe_name(n) for n in ("Find", "_a1", None, "", "1a", "a b", "a\nb", "я",
                                   "a" * 64, "a" * 65)] == [
        "Find", "_a1", "-", "-", "-", "-", "-", "-", "a" * 64, "-"]


def fragment_chain(length: int) -> str:
    """``length`` fragments each spreading the next: a few tokens per level, and no
    place of the text nested deeper than two braces."""
    chain = "\n".join(f"fragment f{i} on Query {{ ...f{i + 1} }}" for i in range(length))
    return f"{{ ...f0 }}\n{chain}\nfragment f{length} on Query {{ __typename }}"


async def test_selections_nested_through_fragments_are_invalid_query(
        world: World, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="vmeste.graphql")
    assert ok_data((await post(client, fragment_chain(120))).json()) == {"__typename": "Query"}
    inline = "{" + "... on Query { " * 150 + "__typename" + " }" * 150 + "}"
    for query in (fragment_chain(300), fragment_chain(1000), inline):
        response = await post(client, query)
        assert codes(response) == ["INVALID_QUERY"], response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_nesting_counts_fragments_once_and_ignores_cycles() -> None:
    from graphql import parse

    from vmeste.schema.nesting import expanded

    assert expanded(parse("{ a { b { c } } }")).depth == 3
    assert expanded(parse(fragment_chain(5))).depth == 7
    assert expanded(parse(
        "{ x { ...f } ...g } fragment f on T { y { ... on T { z } } } fragment g on T { w }"
        )).depth == 5
    assert expanded(parse("{ ...a } fragment a on Q { ...b } fragment b on Q "
                          "{ c { ...a } }")).depth == 4


def doubling_chain(length: int) -> str:
    """Each fragment spreads the next twice: a few hundred bytes that expand to 2^length
    selections."""
    chain = "\n".join(f"fragment b{i} on Query {{ ...b{i + 1} ...b{i + 1} }}"
                      for i in range(length))
    return f"{{ ...b0 }}\n{chain}\nfragment b{length} on Query {{ __typename }}"


def test_the_expanded_size_counts_every_spread() -> None:
    from graphql import parse

    from vmeste.schema.nesting import MAX_EXPANDED_SELECTIONS, expanded

    assert expanded(parse("{ a b { c } }")).selections == 3
    # 2 + 4 + 8 spreads and 8 fields, plus the operation's one spread.
    assert expanded(parse(doubling_chain(3))).selections == 1 + 2 + 4 + 8 + 8
    assert expanded(parse(doubling_chain(60))).selections == MAX_EXPANDED_SELECTIONS + 1


async def test_a_doubling_fragment_chain_is_refused_at_once(
        world: World, client: httpx.AsyncClient) -> None:
    assert ok_data((await post(client, doubling_chain(6))).json()) == {"__typename": "Query"}
    started = time.perf_counter()
    response = await post(client, doubling_chain(40))
    assert codes(response) == ["INVALID_QUERY"], response.text
    # Generous: the expansion would take hours; the refusal takes a walk of 40 fragments.
    assert time.perf_counter() - started < 2.0


async def test_the_logged_path_names_fields_not_the_clients_aliases(
        world: World, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="vmeste.graphql")
    for query in ("{ t79123456789: territories(first: -1) { edges { node { code } } } }",
                  "{ ...F } fragment F on Query { ... on Query { t79123456789: "
                  "territories(first: -1) { totalCount } } }"):
        response = await post(client, query)
        assert codes(response) == ["INVALID_PAGE_SIZE"], response.text
    lines = [r.getMessage() for r in caplog.records if r.name == "vmeste.graphql"]
    assert len(lines) == 2 and all(" at territories " in line for line in lines), lines
    assert "79123456789" not in caplog.text


@pytest.mark.parametrize("literal", [r"RU\u0000", r"RU\u{0}", r"RU\u{000}"])
async def test_a_literal_that_decodes_to_nul_is_invalid(world: World, client: httpx.AsyncClient,
                                                         literal: str) -> None:
    response = await post(client, '{ territory(code: "' + literal + '") { code } }')
    assert codes(response) == ["INVALID"], response.text
    # The same text inside a block string is not an escape, and is only looked up.
    plain = await post(client, '{ territory(code: """' + literal + '""") { code } }')
    assert codes(plain) == [] and plain.json()["data"] == {"territory": None}


def test_nul_over_a_websocket_is_invalid_not_internal(empty_database: Any) -> None:
    from starlette.testclient import TestClient

    from vmeste.app import create_app

    with TestClient(create_app(empty_database)) as http, http.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        for number, payload in enumerate([
                {"query": "query($c: String!) { territory(code: $c) { code } }",
                 "variables": {"c": "RU\u0000"}},
                {"query": '{ territory(code: "RU\\u0000") { code } }'}]):
            ws.send_json({"id": str(number), "type": "subscribe", "payload": payload})
            message = ws.receive_json()
            assert message["type"] == "next", message
            [error] = message["payload"]["errors"]
            assert error["extensions"]["code"] == "INVALID", error
            assert ws.receive_json() == {"id": str(number), "type": "complete"}
