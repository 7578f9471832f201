"""Subscriptions over WebSocket with the ``graphql-transport-ws`` protocol, the token
travelling in ``connection_init`` as browsers require."""

import asyncio
import time
from dataclasses import replace
from datetime import timedelta

import anyio
from starlette.testclient import TestClient

from vmeste.app import create_app
from vmeste.platform import websocket_sessions
from vmeste.platform.db import connect
from vmeste.platform.identity.dev_tokens import issue_dev_token
from vmeste.platform.identity.models import Role, RoleAssignment, User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.reference.models import Territory
from vmeste.platform.settings import Settings

MUTATION = """mutation { createTerritory(input: {code: "33000000", name: "Кировская область",
  kind: REGION, parentCode: "RU", timezone: "Europe/Kirov"}) { userErrors { code } } }"""


def prepare(settings) -> tuple[str, str]:
    async def run() -> tuple[str, str]:
        async with connect(settings):
            await Territory.create(code="RU", name="Россия", kind="country",
                                   timezone="Europe/Moscow", path="RU")
            auditor = await issue_dev_token(settings, Role.AUDITOR, territory_code="RU")
            admin = await issue_dev_token(settings, Role.FEDERAL_CONFIGURATOR,
                                          territory_code="RU")
            return auditor, admin

    return asyncio.run(run())


def open_subscription(ws, token: str | None) -> dict:
    ws.send_json({"type": "connection_init",
                  "payload": {"Authorization": f"Bearer {token}"} if token else {}})
    return ws.receive_json()


def test_auditor_receives_new_audit_events_live(empty_database):
    auditor, admin = prepare(empty_database)
    with TestClient(create_app(empty_database)) as http, http.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        assert open_subscription(ws, auditor)["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { auditEventAdded { action objectId actor } }"}})
        response = http.post("/graphql", json={"query": MUTATION},
                             headers={"Authorization": f"Bearer {admin}"})
        assert response.json()["data"]["createTerritory"]["userErrors"] == []
        message = ws.receive_json()
        assert message["type"] == "next"
        event = message["payload"]["data"]["auditEventAdded"]
        assert event["action"] == "territory.create" and event["objectId"] == "33000000"
        assert event["actor"].startswith("vmeste-dev:")


def test_bad_token_rejects_the_connection(empty_database):
    prepare(empty_database)
    with TestClient(create_app(empty_database)) as http, http.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        ws.send_json({"type": "connection_init", "payload": {"Authorization": "Bearer junk"}})
        message = ws.receive()
        assert message["type"] == "websocket.close"
        assert message["code"] == 4403


def test_citizen_subscription_is_refused(empty_database):
    prepare(empty_database)

    async def citizen() -> str:
        async with connect(empty_database):
            return await issue_dev_token(empty_database, Role.CITIZEN)

    token = asyncio.run(citizen())
    with TestClient(create_app(empty_database)) as http, http.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        assert open_subscription(ws, token)["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { auditEventAdded { action } }"}})
        message = ws.receive_json()
        assert message["type"] == "error" or message["payload"].get("errors"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"


# --- re-checking the caller while the connection is open ------------------------------------


def connect_app(settings):
    return TestClient(create_app(settings))


def subscribe(ws, query: str = "subscription { auditEventAdded { action } }") -> None:
    ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})


def short_lived_auditor(settings: Settings, seconds: int) -> str:
    """A national auditor's token that expires ``seconds`` from now."""

    async def issue() -> str:
        async with connect(settings):
            return await issue_dev_token(settings, Role.AUDITOR, territory_code="RU",
                                         ttl=timedelta(seconds=seconds))

    return asyncio.run(issue())


def test_the_connection_closes_when_the_token_expires(empty_database):
    prepare(empty_database)
    token = short_lived_auditor(empty_database, seconds=2)
    with connect_app(empty_database) as http, http.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        assert open_subscription(ws, token)["type"] == "connection_ack"
        subscribe(ws)
        started = time.monotonic()
        message = ws.receive()
        assert message["type"] == "websocket.close", message
        assert (message["code"], message["reason"]) == (4401, "Token expired")
        assert time.monotonic() - started < 10


async def revoke_roles(settings: Settings, subject: str) -> None:
    """An administrator takes every role of ``subject`` away, from another process's view."""
    async with connect(settings):
        user = await User.get(subject=subject)
        await RoleAssignment.filter(user_id=user.id).delete()


def test_a_revoked_role_ends_the_subscription_within_the_recheck_interval(empty_database):
    settings = replace(empty_database, ws_recheck_seconds=1)
    auditor, _ = prepare(settings)

    with connect_app(settings) as http, http.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        assert open_subscription(ws, auditor)["type"] == "connection_ack"
        subscribe(ws)
        asyncio.run(revoke_roles(settings, "dev-auditor-RU"))
        started = time.monotonic()
        message = ws.receive()
        assert message["type"] == "websocket.close", message
        assert (message["code"], message["reason"]) == (4403, "Permissions changed")
        assert time.monotonic() - started < 10


def test_connections_per_principal_are_capped(empty_database):
    settings = replace(empty_database, ws_max_connections_per_principal=2)
    auditor, admin = prepare(settings)
    with connect_app(settings) as http:
        def open_ws():
            return http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])

        with open_ws() as first, open_ws() as second:
            assert open_subscription(first, auditor)["type"] == "connection_ack"
            assert open_subscription(second, auditor)["type"] == "connection_ack"
            with open_ws() as third:
                third.send_json({"type": "connection_init",
                                 "payload": {"Authorization": f"Bearer {auditor}"}})
                message = third.receive()
                assert message["type"] == "websocket.close"
                assert (message["code"], message["reason"]) == (4429, "Too many connections")
            # Another principal has slots of its own.
            with open_ws() as other:
                assert open_subscription(other, admin)["type"] == "connection_ack"
        # Closed connections give their slots back.
        with open_ws() as again:
            assert open_subscription(again, auditor)["type"] == "connection_ack"


async def test_a_narrowed_principal_narrows_a_running_audit_subscription(world, make_token):
    from types import SimpleNamespace

    from tests.worlds import REGION_A, REGION_B
    from vmeste.platform.audit.services import record
    from vmeste.platform.identity.principal import Grant, Principal
    from vmeste.schema.audit.subscriptions import AuditSubscription

    await make_token("auditor", territory="RU", sub="watcher")
    user = await User.get(subject="watcher")
    info = SimpleNamespace(context=SimpleNamespace(principal=Principal(
        user=user, grants=(Grant(Role.AUDITOR, territory_path="RU"),))))
    resolver = AuditSubscription.audit_event_added
    events = resolver(None, info)
    pending = asyncio.ensure_future(events.__anext__())
    await asyncio.sleep(0.1)  # the subscription has read where the log ends
    a_path = (await Territory.get(code=REGION_A)).path
    b_path = (await Territory.get(code=REGION_B)).path
    info.context.principal = Principal(
        user=user, grants=(Grant(Role.AUDITOR, territory_path=a_path),))
    await record(actor="system", action="test.b", object_type="t", object_id=2, before=None,
                 after=None, scope_path=b_path)
    await record(actor="system", action="test.a", object_type="t", object_id=1, before=None,
                 after=None, scope_path=a_path)
    first = await asyncio.wait_for(pending, timeout=10)
    assert first.action == "test.a"
    await events.aclose()


# --- the checks survive a database that fails for a while ------------------------------------


def receive_within(ws, seconds: float) -> dict:
    """The next message, or a failed test after ``seconds`` (a socket that is never
    closed must not hang the suite; the test client's own ``receive`` waits forever)."""
    async def bounded() -> dict:
        with anyio.fail_after(seconds):
            return await ws._send_rx.receive()

    return ws.portal.call(bounded)


def failing_loader(monkeypatch, then: str) -> list[int]:
    """The role re-read raises once (the database restarting), then ``works`` or
    ``hangs`` (a pool that never hands out a connection); returns the call count."""
    calls = [0]
    real = websocket_sessions.load_principal

    async def loader(user: User) -> Principal:
        calls[0] += 1
        if calls[0] == 1:
            raise ConnectionRefusedError("connect to 127.0.0.1:5432 failed")
        if then == "hangs":
            await asyncio.Event().wait()
        return await real(user)

    monkeypatch.setattr(websocket_sessions, "load_principal", loader)
    return calls


def test_a_revoked_role_closes_the_socket_after_a_failed_role_read(empty_database,
                                                                  monkeypatch, caplog):
    settings = replace(empty_database, ws_recheck_seconds=1)
    auditor, _ = prepare(settings)
    calls = failing_loader(monkeypatch, then="works")

    with connect_app(settings) as http, http.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        assert open_subscription(ws, auditor)["type"] == "connection_ack"
        subscribe(ws)
        asyncio.run(revoke_roles(settings, "dev-auditor-RU"))
        message = receive_within(ws, 10)
        assert message["type"] == "websocket.close", message
        assert (message["code"], message["reason"]) == (4403, "Permissions changed")
    assert calls[0] >= 2, "read again after the failure"
    failures = [r.getMessage() for r in caplog.records if r.name == "vmeste.websocket"]
    assert any("ConnectionRefusedError" in line for line in failures), failures
    assert not any("5432" in line for line in failures), "the type only, never the text"


def test_a_token_expires_while_the_role_read_fails_or_hangs(empty_database, monkeypatch):
    settings = replace(empty_database, ws_recheck_seconds=1)
    prepare(settings)
    token = short_lived_auditor(settings, seconds=5)
    calls = failing_loader(monkeypatch, then="hangs")
    with connect_app(settings) as http, http.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        assert open_subscription(ws, token)["type"] == "connection_ack"
        subscribe(ws)
        message = receive_within(ws, 15)
        assert message["type"] == "websocket.close", message
        assert (message["code"], message["reason"]) == (4401, "Token expired")
    assert calls[0] == 2, "failed once (1 s), then hung (2 s) past the expiry (5 s)"
