"""Load shedding: beyond ``VMESTE_MAX_INFLIGHT`` requests a request waits at most
``VMESTE_INFLIGHT_WAIT_MS`` for a slot, then gets a fast 503; probes are never shed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.edge_fixtures import edge_around
from vmeste.platform.http.shedding import route_path
from vmeste.platform.settings import SettingsError, load_settings
from vmeste.schema.view import VmesteGraphQL

JSON = {"Content-Type": "application/json"}
QUERY = {"query": "{ __typename }"}


HOLD = {"X-Test-Hold": "1"}


class Hold:
    """Holds each request that carries ``X-Test-Hold`` inside the GraphQL view (where a
    compiled plan or Strawberry takes it) until released: it occupies a slot the whole
    time."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inside = asyncio.Event()
        self.release = asyncio.Event()
        original = VmesteGraphQL.compiled

        async def held(view: VmesteGraphQL, request: Any, body: Any, media_type: str) -> Any:
            if request.headers.get("x-test-hold"):
                self.inside.set()
                await self.release.wait()
            return await original(view, request, body, media_type)

        monkeypatch.setattr(VmesteGraphQL, "compiled", held)


@pytest.fixture
def hold(monkeypatch: pytest.MonkeyPatch) -> Hold:
    return Hold(monkeypatch)


async def test_a_request_beyond_the_bound_is_shed_quickly(db: Any, app_client: Any,
                                                          hold: Hold) -> None:
    async with app_client(max_inflight=1, inflight_wait_ms=50) as (_, graphql):
        http = graphql.http
        first = asyncio.create_task(http.post("/graphql", json=QUERY, headers=HOLD))
        await asyncio.wait_for(hold.inside.wait(), 10)
        started = time.monotonic()
        shed = await http.post("/graphql", json=QUERY)
        elapsed = time.monotonic() - started
        assert shed.status_code == 503, shed.text
        assert shed.headers["retry-after"] == "1"
        assert shed.json()["errors"][0]["extensions"]["code"] == "OVERLOADED"
        assert elapsed < 2, f"refused after {elapsed:.2f} s, not at once"  # 50 ms wait
        # The orchestrator's probes still see the process.
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/readyz")).status_code == 200
        hold.release.set()
        assert (await first).json() == {"data": {"__typename": "Query"}}
        # The slot is free again.
        assert (await http.post("/graphql", json=QUERY)).status_code == 200


async def test_a_slot_freed_within_the_wait_is_taken(db: Any, app_client: Any,
                                                     hold: Hold) -> None:
    async with app_client(max_inflight=1, inflight_wait_ms=30_000) as (_, graphql):
        http = graphql.http
        first = asyncio.create_task(http.post("/graphql", json=QUERY, headers=HOLD))
        await asyncio.wait_for(hold.inside.wait(), 10)
        second = asyncio.create_task(http.post("/graphql", json=QUERY))
        await asyncio.sleep(0.05)
        assert not second.done(), "the second request should be waiting for the slot"
        hold.release.set()
        assert (await first).status_code == 200
        assert (await second).json() == {"data": {"__typename": "Query"}}


async def test_a_slow_upload_holds_no_slot(db: Any, app_client: Any) -> None:
    """The body is read before a slot is taken: a client trickling its body in does not
    shut others out."""
    arrived, release = asyncio.Event(), asyncio.Event()

    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }"'
        arrived.set()  # the server asked for the rest
        await release.wait()
        yield b"}"

    async with app_client(max_inflight=1, inflight_wait_ms=0) as (_, graphql):
        http = graphql.http
        slow = asyncio.create_task(http.post("/graphql", content=trickle(), headers=JSON))
        await asyncio.wait_for(arrived.wait(), 10)
        assert (await http.post("/graphql", json=QUERY)).status_code == 200
        release.set()
        assert (await slow).status_code == 200


async def test_an_overload_is_logged_once_not_per_request(
        caplog: pytest.LogCaptureFixture) -> None:
    inside, gate = asyncio.Event(), asyncio.Event()

    async def held(scope: Any, receive: Any, send: Any) -> None:
        inside.set()
        await gate.wait()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = edge_around(held, max_inflight=1, inflight_wait_ms=0)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vmeste.test") as http:
        first = asyncio.create_task(http.get("/graphql"))
        await asyncio.wait_for(inside.wait(), 10)
        with caplog.at_level(logging.WARNING, logger="vmeste.shedding"):
            shed = [await http.get("/graphql") for _ in range(5)]
        gate.set()
        assert (await first).status_code == 204
    assert [response.status_code for response in shed] == [503] * 5
    assert len(caplog.records) == 1, caplog.records


async def test_probes_under_a_path_prefix_are_never_shed(db: Any, app_client: Any,
                                                        hold: Hold) -> None:
    """Behind ``uvicorn --root-path /api`` the ASGI path keeps the prefix."""
    async with app_client(max_inflight=1, inflight_wait_ms=0) as (app, _):
        transport = httpx.ASGITransport(app=app, root_path="/api")
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            first = asyncio.create_task(http.post("/api/graphql", json=QUERY, headers=HOLD))
            await asyncio.wait_for(hold.inside.wait(), 10)
            assert (await http.post("/api/graphql", json=QUERY)).status_code == 503
            assert (await http.get("/api/healthz")).status_code == 200
            assert (await http.get("/api/readyz")).status_code == 200
            hold.release.set()
            assert (await first).status_code == 200


def test_route_path_strips_only_a_whole_prefix() -> None:
    assert route_path({"path": "/api/healthz", "root_path": "/api"}) == "/healthz"
    assert route_path({"path": "/apix/healthz", "root_path": "/api"}) == "/apix/healthz"
    assert route_path({"path": "/api", "root_path": "/api"}) == "/"
    assert route_path({"path": "/healthz"}) == "/healthz"


@pytest.mark.parametrize(("variable", "value"), [("VMESTE_MAX_INFLIGHT", "0"),
                                                 ("VMESTE_INFLIGHT_WAIT_MS", "-1"),
                                                 ("VMESTE_MAX_INFLIGHT", "many")])
def test_bad_shedding_settings_are_refused(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({variable: value})
    assert error.value.variable == variable


def test_shedding_settings_have_defaults() -> None:
    settings = load_settings({"VMESTE_MAX_INFLIGHT": "8", "VMESTE_INFLIGHT_WAIT_MS": "0"})
    assert (settings.max_inflight, settings.inflight_wait_ms) == (8, 0)
    assert (load_settings({}).max_inflight, load_settings({}).inflight_wait_ms) == (64, 200)
