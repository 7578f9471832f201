"""The world the plugin's tests run in, and a local stand-in for the messenger's bot API.

Only the ``vmeste.testing`` fixtures (``db``, ``graphql``, ``make_token``, ``clock``,
``run_background``, …) and the platform's public services are used, as a regional
integrator's own tests would."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from messenger_world import (
    COMPETENCE_RULE,
    KAZAN_CITY,
    KAZAN_REGION,
    KIROV_CITY,
    KIROV_REGION,
    PUBLISH_RULES,
    TOKEN,
    UTILITIES,
    Receiver,
    Request,
)

from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.reference import services as ref
from vmeste.platform.reference.models import CompetenceLevel, OrganizationKind, TerritoryKind
from vmeste.platform.reference.validators import with_inn_check_digit


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 standing in for the regional messenger's bot API."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(Request(self.path, dict(self.headers),
                                          json.loads(self.rfile.read(length))))
            status = state.answers.pop(0) if state.answers else 200
            reply = json.dumps({"ok": status == 200}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads ``requests``."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/bot/v1"
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def messenger_token(monkeypatch: pytest.MonkeyPatch) -> str:
    """The bot token in the environment, for this test only."""
    monkeypatch.setenv("VMESTE_MESSENGER_TOKEN", TOKEN)
    return TOKEN


@pytest.fixture
async def kirov(db: Any, graphql: Any, make_token: Any) -> dict[str, str]:
    """Two regions; utilities in Kirov go to the regional utilities ministry, whose
    operator, like the citizen, has a phone number. Returns the tokens."""
    for code, name, kind, parent, tz in (
            ("RU", "Россия", TerritoryKind.COUNTRY, None, "Europe/Moscow"),
            (KIROV_REGION, "Кировская область", TerritoryKind.REGION, "RU", "Europe/Kirov"),
            (KIROV_CITY, "город Киров", TerritoryKind.MUNICIPALITY, KIROV_REGION, None),
            (KAZAN_REGION, "Республика Татарстан", TerritoryKind.REGION, "RU",
             "Europe/Moscow"),
            (KAZAN_CITY, "город Казань", TerritoryKind.MUNICIPALITY, KAZAN_REGION, None)):
        await ref.create_territory(SYSTEM, ref.TerritoryInput(
            code=code, name=name, kind=kind, parent_code=parent, timezone=tz))
    await ref.create_organization(SYSTEM, ref.OrganizationInput(
        ogrn=UTILITIES, name="Министерство ЖКХ Кировской области",
        kind=OrganizationKind.REGIONAL, territory_code=KIROV_REGION,
        inn=with_inn_check_digit("430000201")))
    for code, name, parent in (("utilities", "ЖКХ", None),
                               ("utilities.outage", "Аварии", "utilities"),
                               ("utilities.outage.water", "Нет воды", "utilities.outage"),
                               ("utilities.bills", "Начисления", "utilities")):
        await ref.create_category(SYSTEM, ref.CategoryInput(
            code=code, name=name, parent_code=parent,
            competence_level=CompetenceLevel.REGIONAL))
    admin = await make_token("regional_admin", territory=KIROV_REGION, sub="kirov-admin")
    rule = {"categoryCode": "utilities", "territoryCode": KIROV_REGION,
            "organizationOgrn": UTILITIES}
    body = await graphql(COMPETENCE_RULE, {"input": rule}, token=admin)
    assert body["data"]["upsertCompetenceRule"]["userErrors"] == [], body
    assert (await graphql(PUBLISH_RULES, token=admin))["data"]["publishCompetenceRules"][
        "published"]
    operator = await make_token("operator", org=UTILITIES, sub="utilities-operator")
    return {"admin": admin, "operator": operator}

