"""Localisation: the catalogs cover every message in the code, Accept-Language picks the
language of what HTTP and GraphQL answer, --lang and the POSIX locale that of the CLI."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.test_cli import vmeste
from tests.test_websocket import open_subscription, prepare
from tests.worlds import COUNTRY, World
from vmeste.app import create_app
from vmeste.cli.common import command_locale
from vmeste.platform.db import connect
from vmeste.platform.i18n import N_, _, current, negotiate, translate, use_locale
from vmeste.platform.i18n_catalogs import problems
from vmeste.platform.identity.dev_tokens import issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.settings import Settings, SettingsError, load_settings

CREATE_TERRITORY = """mutation($i: TerritoryInput!) { createTerritory(input: $i) {
  territory { code } userErrors { field message code } } }"""
BAD_TERRITORY = {"code": "40000000", "name": "", "kind": "REGION", "parentCode": COUNTRY,
                 "timezone": "Mars/Olympus"}


def test_every_message_in_the_code_is_translated_in_every_catalog():
    """Fails on an id missing from a catalog, an empty translation, placeholders that
    differ from the id's, or an id the code lost; `python -m vmeste.platform.i18n_catalogs`
    brings the catalogs up to date (README "Localisation")."""
    assert problems() == []


@pytest.mark.parametrize(("header", "expected"), [
    ("en-US,en;q=0.9", "en"),
    ("EN", "en"),
    ("de", "ru"),
    ("de, en;q=0.5", "en"),
    ("en;q=0, ru;q=0.1", "ru"),
    ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
    ("*", "ru"),
    ("", "ru"),
    (None, "ru"),
    ("en;q=oops", "ru"),
])
def test_accept_language_negotiates_a_supported_locale(header, expected):
    assert negotiate(header) == expected


def test_negotiation_falls_back_to_the_configured_default():
    assert negotiate("de", default="en") == "en"


def test_messages_are_russian_by_default_and_english_on_request():
    assert current() == "ru"
    assert _("Territory {code} not found", code="33") == "Территория 33 не найдена"
    with use_locale("en_US.UTF-8") as chosen:
        assert chosen == "en"
        assert _("Territory {code} not found", code="33") == "Territory 33 not found"
    assert current() == "ru"


def test_constants_are_translated_where_used():
    reason = N_("the rule has expired")
    assert reason == "the rule has expired"
    assert translate(reason) == "срок действия правила истёк"
    with use_locale("en"):
        assert translate(reason) == "the rule has expired"
    # A plugin's own text without a catalog entry comes out as written.
    assert translate("Своя стратегия") == "Своя стратегия"


def test_the_default_locale_is_a_setting():
    assert load_settings({}).locale == "ru"
    assert load_settings({"VMESTE_LOCALE": "en_GB"}).locale == "en"
    with pytest.raises(SettingsError, match="VMESTE_LOCALE"):
        load_settings({"VMESTE_LOCALE": "de"})


@pytest.mark.parametrize(("requested", "environ", "expected"), [
    ("en", {"LANG": "ru_RU.UTF-8"}, "en"),
    (None, {"LANG": "en_US.UTF-8"}, "en"),
    (None, {"LC_ALL": "ru_RU.UTF-8", "LANG": "en_US.UTF-8"}, "ru"),
    (None, {"LC_MESSAGES": "en_US.UTF-8", "LANG": "ru_RU.UTF-8"}, "en"),
    (None, {"LANG": "C.UTF-8"}, "ru"),
    (None, {}, "ru"),
])
def test_the_command_language_follows_the_option_then_the_posix_locale(requested, environ,
                                                                       expected):
    assert command_locale(requested, "ru", environ) == expected


async def test_user_errors_come_in_the_negotiated_language(world: World, client: httpx.AsyncClient,
                                                          federal: str) -> None:
    async def messages(language: str | None) -> tuple[dict[str, str], httpx.Response]:
        headers = {"Authorization": f"Bearer {federal}"}
        if language:
            headers["Accept-Language"] = language
        response = await client.post("/graphql", headers=headers, json={
            "query": CREATE_TERRITORY, "variables": {"i": BAD_TERRITORY}})
        payload = response.json()["data"]["createTerritory"]
        return {e["field"]: e["message"] for e in payload["userErrors"]}, response

    english, response = await messages("en-GB,en;q=0.9")
    assert english == {"name": "Enter a name",
                       "timezone": "Unknown IANA time zone: 'Mars/Olympus'"}
    assert response.headers["content-language"] == "en"
    assert "accept-language" in response.headers["vary"].lower()
    russian, response = await messages(None)
    assert russian == {"name": "Укажите название",
                       "timezone": "Неизвестный часовой пояс IANA: 'Mars/Olympus'"}
    assert response.headers["content-language"] == "ru"


async def test_top_level_errors_come_in_the_negotiated_language(world: World,
                                                                client: httpx.AsyncClient,
                                                                make_token: Any) -> None:
    english = {"Accept-Language": "en"}
    mine = await client.post("/graphql", headers=english,
                             json={"query": "{ myAppeals { totalCount } }"})
    error = mine.json()["errors"][0]
    assert (error["message"], error["extensions"]["code"]) == (
        "Sign in to see your appeals", "UNAUTHENTICATED")
    citizen = await make_token("citizen")
    forbidden = await client.post("/graphql", headers={
        **english, "Authorization": f"Bearer {citizen}"}, json={
        "query": CREATE_TERRITORY, "variables": {"i": {**BAD_TERRITORY, "name": "X"}}})
    assert forbidden.json()["data"]["createTerritory"]["userErrors"][0]["message"] == (
        "Not allowed to do this")
    unsupported = await client.post("/graphql", content=b"{}", headers={
        **english, "Content-Type": "text/plain"})
    assert unsupported.status_code == 415
    assert unsupported.json()["errors"][0]["message"] == (
        "The request body must be application/json")
    assert unsupported.headers["content-language"] == "en"
    refused_token = await client.post("/graphql", headers={
        **english, "Authorization": "Bearer not-a-token"}, json={"query": "{ me { kind } }"})
    assert refused_token.status_code == 401
    assert refused_token.json()["errors"][0]["message"].startswith("The token ")


def test_a_websocket_keeps_the_language_of_its_handshake(empty_database: Settings) -> None:
    prepare(empty_database)

    async def citizen() -> str:
        async with connect(empty_database):
            return await issue_dev_token(empty_database, Role.CITIZEN)

    def refusal(language: str) -> str:
        with TestClient(create_app(empty_database)) as http, http.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"],
            headers={"Accept-Language": language},
        ) as ws:
            assert open_subscription(ws, token)["type"] == "connection_ack"
            ws.send_json({"id": "1", "type": "subscribe", "payload": {
                "query": "subscription { auditEventAdded { action } }"}})
            message = ws.receive_json()
            errors = (message["payload"] if message["type"] == "error"
                      else message["payload"]["errors"])
            assert errors[0]["extensions"]["code"] == "FORBIDDEN"
            return str(errors[0]["message"])

    token = asyncio.run(citizen())
    assert refusal("en") == "Not allowed to do this"
    assert re.search("[а-я]", refusal("ru"))


def test_the_cli_speaks_the_language_asked_for(tmp_path: Any) -> None:
    assert vmeste(tmp_path, "migrate").returncode == 0
    unknown = ("token", "--role", "regional_admin", "--territory", "99999999")
    assert "NOT_FOUND: Территория не найдена" in vmeste(tmp_path, *unknown, dev=True).stderr
    assert "NOT_FOUND: Territory not found" in vmeste(tmp_path, "--lang", "en", *unknown,
                                                      dev=True).stderr
    assert "NOT_FOUND: Territory not found" in vmeste(tmp_path, *unknown, dev=True,
                                                      LANG="en_US.UTF-8").stderr
