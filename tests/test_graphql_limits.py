"""Hostile or careless queries are refused with a clear error, never a 500: depth,
aliases, tokens and body size are capped, and introspection can be switched off. Every
limit comes from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.worlds import REGION_A, World, count_queries, ok_data


def nested_parents(levels: int) -> str:
    """``organizations → edges → node → parent → parent …``: ``levels`` deep in all."""
    inner = "name"
    for _ in range(levels - 3):
        inner = f"parent {{ {inner} }}"
    return f"{{ organizations {{ edges {{ node {{ {inner} }} }} }} }}"


def nested_children(levels: int) -> str:
    inner = "code"
    for _ in range(levels):
        inner = f"children {{ edges {{ node {{ {inner} }} }} }}"
    return f'{{ territory(code: "RU") {{ {inner} }} }}'


def refusal(response: httpx.Response) -> str:
    """The refusal's message; asserts it is a proper GraphQL error response."""
    assert response.status_code in (200, 400), response.text
    body = response.json()
    assert body.get("data") is None, body
    assert body["errors"], body
    message: str = body["errors"][0]["message"]
    assert message != "Внутренняя ошибка сервера"
    return message


async def test_query_20_levels_deep_is_refused(world: World, graphql: Any) -> None:
    for query in (nested_parents(20), nested_children(7)):
        with count_queries() as log:
            response = await graphql.raw(query)
        assert "depth" in refusal(response).lower()
        assert len(log) == 0, "a refused query must not touch the database"


async def test_reasonable_depth_is_accepted(world: World, graphql: Any) -> None:
    body = ok_data(await graphql(nested_parents(6)))
    assert len(body["organizations"]["edges"]) == 4


async def test_depth_limit_comes_from_settings(world: World, app_client: Any) -> None:
    query = nested_parents(6)
    async with app_client(max_query_depth=5) as (_, graphql):
        assert "depth" in refusal(await graphql.raw(query)).lower()
        ok_data(await graphql(nested_parents(5)))


def aliases(count: int, selection: str = 'territory(code: "RU") { code }') -> str:
    return "{ " + " ".join(f"a{i}: {selection}" for i in range(count)) + " }"


async def test_a_thousand_aliases_are_refused(world: World, graphql: Any) -> None:
    # A realistic alias flood is refused (it also costs more tokens than allowed)...
    message = refusal(await graphql.raw(aliases(1000))).lower()
    assert "alias" in message or "token" in message
    # ...and so is one cheap enough in tokens to reach the alias check.
    cheap = aliases(1000, "__typename")
    assert len(cheap.split()) < 5000
    assert "alias" in refusal(await graphql.raw(cheap)).lower()


async def test_alias_limit_comes_from_settings(world: World, app_client: Any) -> None:
    async with app_client(max_aliases=5) as (_, graphql):
        assert "alias" in refusal(await graphql.raw(aliases(6))).lower()
        body = ok_data(await graphql(aliases(5)))
        assert body["a4"] == {"code": "RU"}


def many_fields(count: int) -> str:
    return f'{{ territory(code: "{REGION_A}") {{ {" ".join(["code"] * count)} }} }}'


async def test_too_many_tokens_are_refused(world: World, graphql: Any, app_client: Any) -> None:
    assert "token" in refusal(await graphql.raw(many_fields(5200))).lower()  # ~26 KB
    ok_data(await graphql(many_fields(120)))
    async with app_client(max_query_tokens=100) as (_, tight):
        assert "token" in refusal(await tight.raw(many_fields(120))).lower()
        ok_data(await tight(many_fields(80)))


def _assert_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert str(limit) in body["errors"][0]["message"]


async def test_a_megabyte_query_is_refused_with_413(db: Any, client: httpx.AsyncClient) -> None:
    query = "{ me { subject } }" + " " * (1024 * 1024)
    response = await client.post("/graphql", json={"query": query})
    _assert_too_large(response, db.max_request_bytes)


async def _chunks(total: int, size: int = 16 * 1024) -> AsyncIterator[bytes]:
    yield b'{"query": "{ me { subject } }'
    sent = 0
    while sent < total:
        yield b" " * size
        sent += size
    yield b'"}'


async def test_a_chunked_body_without_length_is_cut_off(db: Any, client: httpx.AsyncClient
                                                        ) -> None:
    response = await client.post("/graphql", content=_chunks(1024 * 1024),
                                 headers={"Content-Type": "application/json"})
    _assert_too_large(response, db.max_request_bytes)


async def test_a_small_chunked_body_goes_through(db: Any, client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=_chunks(1024),
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"me": None}}


async def test_body_limit_comes_from_settings(world: World, app_client: Any) -> None:
    async with app_client(max_request_bytes=2048) as (_, graphql):
        padded = "{ me { subject } }" + " " * 2100
        _assert_too_large(await graphql.raw(padded), 2048)
        assert (await graphql.raw("{ me { subject } }")).status_code == 200


INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.mark.parametrize("query", [INTROSPECTION, '{ __type(name: "Territory") { name } }'])
async def test_introspection_can_be_switched_off(world: World, app_client: Any,
                                                 query: str) -> None:
    async with app_client() as (_, graphql):
        assert "errors" not in await graphql(query)
    async with app_client(introspection=False) as (_, graphql):
        assert "introspection" in refusal(await graphql.raw(query)).lower()
        # Ordinary queries, including __typename, still work.
        body = ok_data(await graphql('{ territory(code: "RU") { __typename code } }'))
        assert body["territory"] == {"__typename": "Territory", "code": "RU"}


async def test_a_nul_character_is_refused_before_it_reaches_the_database(client):
    response = await client.post("/graphql", json={
        "query": "query($c: String!) { territory(code: $c) { code } }",
        "variables": {"c": "33\u0000"}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID"
