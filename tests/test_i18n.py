"""Localisation: the catalogs cover every message in the code, Accept-Language picks the
language of what HTTP and GraphQL answer, --lang and the POSIX locale that of the CLI."""

from __future__ import annotations

import ast
import asyncio
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.appeal_world import seed_appeal_world
from tests.notification_world import fan_out_all
from tests.test_cli import vmeste
from tests.test_websocket import open_subscription, prepare
from tests.worlds import COUNTRY, MUNICIPALITY_A, World
from vmeste.app import create_app
from vmeste.cli.common import command_locale
from vmeste.platform.db import connect
from vmeste.platform.i18n import N_, _, current, negotiate, translate, use_locale
from vmeste.platform.i18n_catalogs import problems
from vmeste.platform.identity.dev_tokens import issue_dev_token
from vmeste.platform.identity.models import Role, User
from vmeste.platform.notifications.models import Notification, NotificationTemplate
from vmeste.platform.reference.models import Territory
from vmeste.platform.settings import Settings, SettingsError, load_settings

SOURCES = Path(__file__).resolve().parent.parent / "vmeste"
#: Where Cyrillic string literals are data, not messages: a module (or a folder, ending
#: in "/") → its top-level names that may hold them, or None for all of it.
CYRILLIC_DATA: dict[str, frozenset[str] | None] = {
    "platform/reference/demo.py": None,  # demo territories, organizations, categories
    "platform/appeals/demo.py": None,  # demo appeals
    "platform/votes/demo.py": None,  # demo votes
    "platform/polls/demo.py": None,  # demo polls
    "platform/hearings/demo.py": None,  # demo hearings and direct line
    "platform/publics/demo.py": None,  # demo official pages
    "platform/incidents/demo.py": None,  # demo incidents
    "platform/widgets/demo.py": None,  # the demo body's widget
    "platform/migrations/": None,  # generated from model docstrings (59-ФЗ)
    "plugins/moderation.py": frozenset({"_LOOKALIKES", "_OBSCENE", "normalize"}),
    "platform/identity/tokens.py": frozenset({"_GENDERS"}),  # ESIA's own values
    "platform/identity/dev_tokens.py": frozenset({"dev_claims", "_legal_entity_name"}),
    "platform/appeals/notify.py": frozenset({"SAMPLE_CONTEXT", "LONGEST_CONTEXT"}),
    "platform/polls/notify.py": frozenset({"SAMPLE_CONTEXT", "LONGEST_CONTEXT"}),
    "platform/hearings/notify.py": frozenset({"SAMPLE_CONTEXT", "LONGEST_CONTEXT"}),
    "platform/hearings/line_notify.py": frozenset({"SAMPLE_CONTEXT", "LONGEST_CONTEXT"}),
    "platform/incidents/notify.py": frozenset({"SAMPLE_CONTEXT", "LONGEST_CONTEXT"}),
    "testing.py": frozenset({"submit_appeal"}),  # a citizen's sample text
    # what a page's Russian description is searched for (street words, «ё»)
    "platform/publics/compliance_rules.py": frozenset({"_normal", "_CONTACTS",
                                                       "description_contacts"}),
    "platform/publics/lemmas.py": frozenset({"lemmas"}),  # reads «ё» as «е», no message
    # the Russian words an author's comment is read as a score from
    "platform/incidents/satisfaction.py": frozenset({"WORDS", "_TOKENS", "score_of"}),
    # the words a Russian address marks its settlement (and a house) with
    "platform/appeals/contacts.py": frozenset({"_LOCALITY", "masked_address"}),
}
CREATE_TERRITORY = """mutation($i: TerritoryInput!) { createTerritory(input: $i) {
  territory { code } userErrors { field message code } } }"""
BAD_TERRITORY = {"code": "40000000", "name": "", "kind": "REGION", "parentCode": COUNTRY,
                 "timezone": "Mars/Olympus"}


def test_every_message_in_the_code_is_translated_in_every_catalog():
    """Fails on an id missing from a catalog, an empty translation, placeholders that
    differ from the id's, or an id the code lost; `python -m vmeste.platform.i18n_catalogs`
    brings the catalogs up to date (README "Localisation")."""
    assert problems() == []


def _names(statement: ast.stmt) -> set[str]:
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {statement.name}
    targets = (statement.targets if isinstance(statement, ast.Assign) else
               [statement.target] if isinstance(statement, ast.AnnAssign) else [])
    return {target.id for target in targets if isinstance(target, ast.Name)}


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
                      ) and node.body and isinstance(node.body[0], ast.Expr) and isinstance(
                node.body[0].value, ast.Constant):
            found.add(id(node.body[0].value))
    return found


def hard_coded_cyrillic() -> list[str]:
    """Cyrillic string literals outside docstrings and :data:`CYRILLIC_DATA`."""
    found = []
    for path in sorted(SOURCES.rglob("*.py")):
        name = path.relative_to(SOURCES).as_posix()
        allowed = next((names for module, names in CYRILLIC_DATA.items()
                        if name == module or (module.endswith("/") and name.startswith(module))),
                       frozenset())
        if allowed is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for statement in tree.body:
            if _names(statement) & allowed:
                continue
            found += [f"vmeste/{name}:{node.lineno}: {node.value!r}"
                      for node in ast.walk(statement)
                      if isinstance(node, ast.Constant) and isinstance(node.value, str)
                      and id(node) not in docstrings and re.search("[\u0400-\u04ff]", node.value)]
    return found


def test_no_user_facing_text_is_hard_coded_in_russian():
    """Messages are English ids in ``_()``/``N_()`` with a Russian translation in the
    catalog; only the data of :data:`CYRILLIC_DATA` may be written in Cyrillic."""
    assert hard_coded_cyrillic() == []


def test_the_guard_sees_a_russian_literal_but_not_a_docstring(tmp_path: Any, monkeypatch: Any
                                                               ) -> None:
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "moderation.py").write_text(
        '"""Модуль."""\n_OBSCENE = "мат"\n'
        'def check():\n    """Проверка."""\n    raise ValueError(f"Нельзя: {1}")\n',
        encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.SOURCES", tmp_path)
    assert hard_coded_cyrillic() == ["vmeste/plugins/moderation.py:5: 'Нельзя: '"]


async def test_notifications_are_worded_in_the_installations_locale_with_its_templates(
        world: World, vmeste_app: Any, submit_appeal: Any) -> None:
    """Defaults come through the catalogs; a stored template counts for its own locale."""
    await seed_appeal_world()
    russian = vmeste_app.state.runtime
    english = replace(russian, settings=replace(russian.settings, locale="en"))
    city = await Territory.get(code=MUNICIPALITY_A)

    async def routed(citizen: str, runtime: Any) -> tuple[int, list[str]]:
        appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                     citizen=citizen)
        await fan_out_all(runtime)
        user = await User.get(subject=citizen)
        return appeal.id, [n.subject for n in await Notification.filter(
            recipient_id=user.id, event="routed", channel="inbox")]

    await NotificationTemplate.create(territory=city, event="routed", channel="inbox",
                                      locale="ru", subject="Киров: № {{ appeal_id }}", body=".")
    first, subjects = await routed("ivanova", english)
    assert subjects == [f"Appeal No. {first} sent to Администрация города Кирова"]
    await NotificationTemplate.create(territory=city, event="routed", channel="inbox",
                                      locale="en", subject="Kirov: No. {{ appeal_id }}", body=".")
    second, subjects = await routed("petrova", english)
    assert subjects == [f"Kirov: No. {second}"]
    third, subjects = await routed("sidorova", russian)
    assert subjects == [f"Киров: № {third}"]


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


@pytest.mark.usefixtures("migrated_folder")
def test_the_cli_speaks_the_language_asked_for(tmp_path: Any) -> None:
    unknown = ("token", "--role", "regional_admin", "--territory", "99999999")
    assert "NOT_FOUND: Территория не найдена" in vmeste(tmp_path, *unknown, dev=True).stderr
    assert "NOT_FOUND: Territory not found" in vmeste(tmp_path, "--lang", "en", *unknown,
                                                      dev=True).stderr
    assert "NOT_FOUND: Territory not found" in vmeste(tmp_path, *unknown, dev=True,
                                                      LANG="en_US.UTF-8").stderr
