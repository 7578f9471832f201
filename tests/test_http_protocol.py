"""GraphQL over HTTP as the spec (graphql.github.io/graphql-over-http) describes it: bad
bodies get a typed 4xx, never a 500; ``application/graphql-response+json`` gets the spec's
status codes; GET runs queries only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.worlds import World
from vmeste.platform.reference.models import Territory

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = {"Content-Type": "application/json"}
MUTATION = ('mutation { createTerritory(input: {code: "40000000", name: "Тестовая область", '
            'kind: REGION, parentCode: "RU", timezone: "Europe/Moscow"}) { userErrors { code } } }')


def refused(response: httpx.Response, status: int, code: str) -> str:
    """Asserts a typed refusal: the status, a JSON error body with the code, no data."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/"), response.headers
    body = response.json()
    assert "data" not in body, body
    error = body["errors"][0]
    assert error["extensions"]["code"] == code, body
    message: str = error["message"]
    assert message and message != "Внутренняя ошибка сервера"
    return message


@pytest.mark.parametrize("body", [
    b'{"query": "{ __typename }", "x": "\xff\xfe"}',   # not UTF-8
    b"\xc3\x28",                                        # a broken two-byte sequence
])
async def test_a_body_that_is_not_utf8_is_refused(db: Any, client: httpx.AsyncClient,
                                                  body: bytes) -> None:
    response = await client.post("/graphql", content=body, headers=JSON)
    assert "UTF-8" in refused(response, 400, "INVALID_JSON")


async def test_deeply_nested_json_is_refused(db: Any, client: httpx.AsyncClient) -> None:
    body = '{"query": "{ __typename }", "variables": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    response = await client.post("/graphql", content=body, headers=JSON)
    refused(response, 400, "INVALID_JSON")


@pytest.mark.parametrize("body", [b"", b'{"query": ', b"{query: 1}"])
async def test_a_body_that_is_not_json_is_refused(db: Any, client: httpx.AsyncClient,
                                                  body: bytes) -> None:
    refused(await client.post("/graphql", content=body, headers=JSON), 400, "INVALID_JSON")


@pytest.mark.parametrize("payload", [
    '[{"query": "{ __typename }"}]',                    # a batch: not enabled
    '"{ __typename }"',
    "42",
    "null",
    '{"query": 1}',
    '{"query": {"a": 1}}',
    '{"query": ["{ __typename }"]}',
    '{"query": "{ __typename }", "variables": "{}"}',
    '{"query": "{ __typename }", "variables": [1]}',
    '{"query": "{ __typename }", "extensions": 3}',
    '{"query": "{ __typename }", "operationName": false}',
    '{"qeury": "{ __typename }"}',
    '{"query": ""}',
])
async def test_a_json_body_that_is_not_a_graphql_request_is_refused(
        db: Any, client: httpx.AsyncClient, payload: str) -> None:
    refused(await client.post("/graphql", content=payload, headers=JSON), 400, "INVALID_REQUEST")


async def test_a_body_without_json_content_type_is_refused(db: Any, client: httpx.AsyncClient
                                                           ) -> None:
    for headers in ({}, {"Content-Type": "text/plain"}):
        response = await client.post("/graphql", content='{"query": "{ __typename }"}',
                                     headers=headers)
        refused(response, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_an_unknown_operation_name_is_refused(db: Any, client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={
        "query": "query A { __typename } query B { __typename }", "operationName": "C"})
    refused(response, 400, "INVALID_REQUEST")


async def test_a_subscription_over_http_is_refused(db: Any, client: httpx.AsyncClient) -> None:
    query = "subscription { auditEventAdded { action } }"
    message = refused(await client.post("/graphql", json={"query": query}), 400,
                      "UNSUPPORTED_OPERATION")
    assert "WebSocket" in message
    refused(await client.get("/graphql", params={"query": query}), 400, "UNSUPPORTED_OPERATION")


async def test_a_mutation_over_get_is_405_and_never_runs(world: World, client: httpx.AsyncClient,
                                                         federal: str) -> None:
    headers = {"Authorization": f"Bearer {federal}", "Accept": GRAPHQL_RESPONSE}
    response = await client.get("/graphql", params={"query": MUTATION}, headers=headers)
    refused(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"
    assert not await Territory.filter(code="40000000").exists()
    # The same document over POST does run: the refusal above was the method's alone.
    posted = await client.post("/graphql", json={"query": MUTATION}, headers=headers)
    assert posted.json() == {"data": {"createTerritory": {"userErrors": []}}}
    assert await Territory.filter(code="40000000").exists()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_405(db: Any, client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(method, "/graphql", json={"query": "{ __typename }"})
    refused(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, POST"


async def test_a_query_over_get_runs(world: World, client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={
        "query": "query($c: String!) { territory(code: $c) { code } }",
        "variables": '{"c": "RU"}'})
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"territory": {"code": "RU"}}}
    assert "Accept" in response.headers["vary"]  # the media type is negotiated
    bad = await client.get("/graphql", params={"query": "{ __typename }", "variables": "[1"})
    refused(bad, 400, "INVALID_JSON")


@pytest.mark.parametrize("params", [
    {"query": "query($c: String!) { territory(code: $c) { code } }",
     "variables": '{"c": "RU\\u0000"}'},
    {"query": '{ territory(code: "RU\u0000") { code } }'},
    {"query": "{ __typename }", "extensions": '{"k\\u0000": 1}'},
])
async def test_a_nul_character_in_a_get_request_is_refused(world: World,
                                                           client: httpx.AsyncClient,
                                                           params: dict[str, str]) -> None:
    response = await client.get("/graphql", params=params)
    assert "NUL" in refused(response, 400, "INVALID")


@pytest.mark.parametrize("body", [
    b'{"query": "query($c: String!) { territory(code: $c) { code } }", '
    b'"variables": {"c": "RU\\u0000"}}',
    b'{"query": "{ __typename }", "operationName": "\\u0000"}',
])
async def test_a_nul_character_in_a_post_body_is_refused(db: Any, client: httpx.AsyncClient,
                                                         body: bytes) -> None:
    response = await client.post("/graphql", content=body, headers=JSON)
    assert "NUL" in refused(response, 400, "INVALID")


async def test_the_text_of_an_escape_is_no_nul_character(db: Any,
                                                        client: httpx.AsyncClient) -> None:
    """The body holds ``\\u0000`` (a backslash, then ``u0000``): six characters of text,
    which the quick look at the raw body finds and the walk through its strings clears."""
    body = b'{"query": "query($c: String!) { territory(code: $c) { code } }", ' \
           b'"variables": {"c": "RU\\\\u0000"}}'
    response = await client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"territory": None}}


async def test_get_without_a_query_is_refused(db: Any, app_client: Any) -> None:
    async with app_client(dev_mode=False) as (_, graphql):
        response = await graphql.http.get("/graphql", headers={"Accept": "text/html"})
        refused(response, 400, "INVALID_REQUEST")


# --- media types and status codes --------------------------------------------------------

@pytest.mark.parametrize("accept", [None, "application/json", "*/*", "text/html"])
async def test_application_json_keeps_200_and_null_data(db: Any, client: httpx.AsyncClient,
                                                        accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    for query in ("{", "{ noSuchField }"):
        response = await client.post("/graphql", json={"query": query}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert body["data"] is None and body["errors"]


async def test_graphql_response_json_is_served_when_asked(world: World,
                                                          client: httpx.AsyncClient) -> None:
    headers = {"Accept": GRAPHQL_RESPONSE}
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"__typename": "Query"}}
    # A client that prefers it over application/json gets it too.
    preferred = await client.post("/graphql", json={"query": "{ __typename }"}, headers={
        "Accept": f"application/json;q=0.9, {GRAPHQL_RESPONSE}"})
    assert preferred.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    declined = await client.post("/graphql", json={"query": "{ __typename }"}, headers={
        "Accept": f"application/json, {GRAPHQL_RESPONSE};q=0.5"})
    assert declined.headers["content-type"] == "application/json"


@pytest.mark.parametrize(("query", "variables"), [
    ("{", None),                                                  # parse error
    ("{ noSuchField }", None),                                    # validation error
    ("query($c: String!) { territory(code: $c) { code } }", {"c": None}),  # coercion
])
async def test_request_errors_are_400_without_data(db: Any, client: httpx.AsyncClient,
                                                   query: str, variables: Any) -> None:
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body and body["errors"], body


async def test_query_limits_are_request_errors(db: Any, app_client: Any) -> None:
    async with app_client(max_query_depth=3) as (_, graphql):
        response = await graphql.http.post("/graphql", headers={"Accept": GRAPHQL_RESPONSE},
                                           json={"query": "{ organizations { edges { node "
                                                          "{ parent { name } } } } }"})
        assert response.status_code == 400
        assert "data" not in response.json()


async def test_field_errors_stay_200_with_data(world: World, client: httpx.AsyncClient) -> None:
    # A resolver's refusal is a field error: data (here null) is part of the answer.
    response = await client.post("/graphql", headers={"Accept": GRAPHQL_RESPONSE}, json={
        "query": '{ territory(code: "RU") { code } appeal(id: "QXBwZWFsOjE=") { id } }'})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "data" in body and body["data"]["territory"] == {"code": "RU"}, body


async def test_transport_refusals_follow_the_negotiated_type(db: Any, client: httpx.AsyncClient
                                                             ) -> None:
    response = await client.post("/graphql", content=b"{", headers={
        **JSON, "Accept": GRAPHQL_RESPONSE})
    refused(response, 400, "INVALID_JSON")
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
