"""The README's tour, run as a newcomer would: every ```graphql snippet (and the query
inside the curl example) against the demo data that ``vmeste demo`` loads, with the
token the comment above it names, in the README's order; and the appeal's walk
(submit → assign → answer → rate) with nothing but the tokens ``vmeste demo`` prints.

A snippet's marker is ``<!-- run: {...} -->`` on the line above its fence, with
``token`` (a demo role, or ``anonymous``), optional ``variables`` (literal values),
``save`` (``{"name": "dotted.path"}``: a value of the answer that later snippets get as
``$name``) and ``expect`` (the error code the README says the snippet answers).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, OperationType, parse
from starlette.testclient import TestClient

from vmeste.app import create_app
from vmeste.platform.appeals.demo import demo_tokens
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.components import load_demos
from vmeste.platform.db import connect
from vmeste.platform.identity.models import Role
from vmeste.platform.reference.demo import load_demo_data
from vmeste.platform.runtime import build_runtime
from vmeste.platform.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"
FENCE = re.compile(r"^```graphql\n(.*?)^```", re.S | re.M)
MARKER = re.compile(r"<!-- run: (\{.*\}) -->\n\Z")
CURL_BODY = re.compile(r"curl .*?-d '(\{.*?\})'", re.S)
TOKENS = {role.value for role in Role} | {"anonymous"}
KEYS = {"token", "variables", "save", "expect"}


@dataclass
class Snippet:
    line: int
    document: str
    token: str
    variables: dict[str, Any] = field(default_factory=dict)
    save: dict[str, str] = field(default_factory=dict)
    expect: str | None = None

    @property
    def operation(self) -> OperationDefinitionNode:
        (definition,) = parse(self.document).definitions
        assert isinstance(definition, OperationDefinitionNode)
        return definition


def snippets(text: str) -> list[Snippet]:
    """Every graphql fence with its marker; a fence without one is an error."""
    found = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[:match.start()]
        marker = MARKER.search(before[before.rfind("\n", 0, len(before) - 1) + 1:])
        assert marker, (f"README.md line {line}: a graphql snippet needs a "
                        f"<!-- run: {{\"token\": ...}} --> marker on the line above")
        options = json.loads(marker.group(1))
        assert set(options) <= KEYS and options.get("token") in TOKENS, (line, options)
        found.append(Snippet(line, match.group(1), **options))
    return found


def curl_examples(text: str) -> list[tuple[int, str, dict[str, Any]]]:
    """(line, role, request body) of each curl example: the token comes from the
    ``vmeste token --role`` in the same block."""
    found = []
    for block in re.finditer(r"^```sh\n(.*?)^```", text, re.S | re.M):
        for body in CURL_BODY.finditer(block.group(1)):
            role = re.search(r"--role (\w+)", block.group(1))
            assert role, block.group(1)
            found.append((text.count("\n", 0, block.start()) + 1, role.group(1),
                          json.loads(body.group(1))))
    return found


def test_every_snippet_has_a_marker_and_is_one_operation():
    text = README.read_text(encoding="utf-8")
    found = snippets(text)
    assert len(found) == text.count("```graphql") >= 20
    for snippet in found:
        assert snippet.operation is not None, snippet.line
    assert [role for _, role, _ in curl_examples(text)] == ["federal_configurator"]


def test_a_snippet_without_a_marker_fails_the_check():
    text = "Intro\n\n```graphql\n{ me { subject } }\n```\n"
    with pytest.raises(AssertionError, match="line 3: a graphql snippet needs a"):
        snippets(text)
    with pytest.raises(AssertionError):
        snippets('<!-- run: {"token": "mayor"} -->\n```graphql\n{ me { subject } }\n```\n')


# --- against the demo data ------------------------------------------------------------


def load_demo(settings: Settings) -> dict[str, str]:
    """What ``vmeste demo`` does on an empty database: reference data, rules and
    appeals, then the tokens it prints."""
    async def run() -> dict[str, str]:
        async with connect(settings):
            runtime = build_runtime(settings)
            await load_demo_data()
            await load_demos(runtime)
            return await demo_tokens(settings, runtime.service(AppealServices).router)

    return asyncio.run(run())


def _headers(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {} if role == "anonymous" else {"Authorization": f"Bearer {tokens[role]}"}


def _user_errors(value: Any) -> list[dict[str, Any]]:
    """Every ``userErrors`` entry anywhere in an answer."""
    if isinstance(value, dict):
        return [*value.get("userErrors", []),
                *(e for k, v in value.items() if k != "userErrors" for e in _user_errors(v))]
    if isinstance(value, list):
        return [e for item in value for e in _user_errors(item)]
    return []


def _dig(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def _variables(snippet: Snippet, saved: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for definition in snippet.operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in snippet.variables:
            values[name] = snippet.variables[name]
        elif name in saved:
            values[name] = saved[name]
        else:
            assert definition.type.kind != "non_null_type", (
                f"README.md line {snippet.line}: ${name} is given by no marker and saved by "
                "no earlier snippet")
    return values


def _check(snippet: Snippet, body: dict[str, Any]) -> None:
    where = f"README.md line {snippet.line}: {body}"
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    codes += [e["code"] for e in _user_errors(body.get("data"))]
    if snippet.expect:
        assert snippet.expect in codes, where
    else:
        assert not codes and body.get("data"), where


def _subscribe(http: TestClient, tokens: dict[str, str], snippet: Snippet) -> dict[str, Any]:
    """Subscribe, cause audited changes in the demo region (the city administration
    edits its contacts) until the first message comes, and return it.

    A subscription hears what happens after it has started, and a client cannot tell
    when that is (the demo's own background work may delay it): so the change is made
    again every half second, from another thread, until one is heard."""
    heard = threading.Event()

    def change() -> None:
        for n in range(60):
            if heard.wait(0.5 if n else 0):
                return
            answer = http.post("/graphql", headers=_headers(tokens, "org_admin"), json={
                "query": 'mutation { updateOrganization(input: {ogrn: "1104328938988", '
                         f'contacts: {{site: "https://kirov{n}.example"}}}}) '
                         "{ userErrors { code } } }"})
            assert answer.json()["data"]["updateOrganization"]["userErrors"] == []

    with http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": _headers(tokens, snippet.token)})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": snippet.document}})
        changer = threading.Thread(target=change, daemon=True)
        changer.start()
        try:
            message = ws.receive_json()
        finally:
            heard.set()
            changer.join(timeout=10)
        assert message["type"] == "next", message
        return dict(message["payload"])


def test_every_readme_snippet_runs_as_written_on_the_demo(empty_database):
    text = README.read_text(encoding="utf-8")
    tokens = load_demo(empty_database)
    saved: dict[str, Any] = {}
    with TestClient(create_app(empty_database)) as http:
        for line, role, request in curl_examples(text):
            body = http.post("/graphql", json=request, headers=_headers(tokens, role)).json()
            assert "errors" not in body and body["data"], (line, body)
        for snippet in snippets(text):
            if snippet.operation.operation == OperationType.SUBSCRIPTION:
                body = _subscribe(http, tokens, snippet)
            else:
                body = http.post("/graphql", headers=_headers(tokens, snippet.token), json={
                    "query": snippet.document,
                    "variables": _variables(snippet, saved)}).json()
            _check(snippet, body)
            for name, path in snippet.save.items():
                saved[name] = _dig(body["data"], path)
    assert set(saved) == {"appealId", "executorId", "voteId", "optionId", "receipt",
                          "budgetId", "newVote", "pollId", "discussionId", "planningId",
                          "sectionId", "lineId", "questionId", "callAppeal", "claimCode",
                          "filterId"}


def test_the_tour_walks_with_the_printed_tokens_alone(empty_database):
    """submit → assign → answer → rate, and a held appeal moderated, each step with a
    token from ``vmeste demo``'s printout and no other set-up."""
    tokens = load_demo(empty_database)
    with TestClient(create_app(empty_database)) as http:

        def call(role: str, query: str, **variables: Any) -> dict[str, Any]:
            body = http.post("/graphql", headers=_headers(tokens, role),
                             json={"query": query, "variables": variables}).json()
            assert "errors" not in body, body
            data: dict[str, Any] = body["data"]
            assert not _user_errors(data), data
            return data

        submitted = call("citizen", """mutation { submitAppeal(input: {
            text: "Провалился асфальт у подъезда дома 8 по улице Ленина",
            categoryCode: "roads.potholes", territoryCode: "33701000001" }) {
            appeal { id status organization { ogrn } } userErrors { code } } }""")
        appeal = submitted["submitAppeal"]["appeal"]
        assert appeal["status"] == "ROUTED"
        staff = call("operator", "{ me { roles { organization { ogrn } } } }")["me"]["roles"]
        assert [r["organization"]["ogrn"] for r in staff] == [appeal["organization"]["ogrn"]]
        executor_id = call("executor", "{ me { id } }")["me"]["id"]
        step = "appeal { status } userErrors { code }"
        assigned = call("operator", f"""mutation($a: ID!, $e: ID!) {{ assignExecutor(
            input: {{appealId: $a, executorId: $e}}) {{ {step} }} }}""",
                        a=appeal["id"], e=executor_id)
        assert assigned["assignExecutor"]["appeal"]["status"] == "IN_PROGRESS"
        answered = call("executor", f"""mutation($a: ID!) {{ answerAppeal(input: {{
            appealId: $a, text: "Отремонтируем за неделю."}}) {{ {step} }} }}""",
                        a=appeal["id"])
        assert answered["answerAppeal"]["appeal"]["status"] == "ANSWERED"
        rated = call("citizen", f"""mutation($a: ID!) {{ rateAnswer(input: {{
            appealId: $a, rating: 5}}) {{ {step} }} }}""", a=appeal["id"])
        assert rated["rateAnswer"]["appeal"]["status"] == "CLOSED"

        held = call("moderator", """{ appeals(filter: {status: [MODERATION]}, first: 1) {
            edges { node { id } } } }""")["appeals"]["edges"]
        assert held, "the moderator sees the queue of appeals waiting for moderation"
        moderated = call("moderator", f"""mutation($a: ID!) {{ moderateAppeal(input: {{
            appealId: $a, accept: true}}) {{ {step} }} }}""", a=held[0]["node"]["id"])
        assert moderated["moderateAppeal"]["appeal"]["status"] in ("ROUTED", "UNROUTED")
