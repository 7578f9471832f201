"""Subscriptions over WebSocket with the ``graphql-transport-ws`` protocol, the token
travelling in ``connection_init`` as browsers require."""

import asyncio

from starlette.testclient import TestClient

from vmeste.platform.app import create_app
from vmeste.platform.db import connect
from vmeste.platform.identity.dev_tokens import issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.reference.models import Territory

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
