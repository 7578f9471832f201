"""The compiled read path and the resolvers give the same answer.

Two apps run over one database: one with compiled reads on, one with them off, so the
second answers every operation through Strawberry's resolvers. Generated operations
(``tests/read_queries.py``) and a handful of written ones are sent over HTTP by every
caller of the world (``tests/read_world.py``) to both; status codes and parsed bodies,
their keys in order, must be equal. The compiled app must also have answered the
operations inside its subset with plans (otherwise the test would pass with every plan
stepping aside), none outside it, and no plan may have failed and been covered for by
the resolvers (the front door logs that).

``VMESTE_DIFF_EXAMPLES`` sets how many operations are generated (the default keeps the
test well under a minute on either database); the run is derandomized, so CI sends the
same operations each time.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import orjson
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from strawberry import relay

from tests.read_queries import Operation, Pools, operations
from tests.read_world import ROLES, ReadWorld, seed_read_world
from tests.worlds import error_code
from vmeste.app import create_app
from vmeste.platform.settings import Settings
from vmeste.schema.compiled.reads import ReadStats
from vmeste.testing import GraphQLClient, TokenFactory

EXAMPLES = int(os.environ.get("VMESTE_DIFF_EXAMPLES", "60"))
#: Of the answers to operations inside the subset that carry no error, the share plans
#: must give (the rest are listed: the compiler refused them). All, so far.
PLANNED_SHARE = 1.0

W = """{ appeals(first: 100) { edges { node { id status channel text createdAt
  organization { name } category { code name } territory { code name } } } } }"""
S = "query($id: ID!) { appeal(id: $id) { id status organization { name } } }"


class Failures(logging.Handler):
    """Collects the front door's warnings about plans that failed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@dataclass
class Side:
    app: Starlette
    http: httpx.AsyncClient
    failures: Failures = field(default_factory=Failures)

    @property
    def stats(self) -> ReadStats:
        stats: ReadStats = self.app.state.reads.stats
        return stats


@dataclass
class Answer:
    status: int
    body: Any
    #: Whether a plan answered it or the resolvers (as the stats counted it), and why
    #: not a plan (what the stats counted meanwhile).
    planned: bool
    interpreted: bool
    fallbacks: Counter[str]
    refusals: Counter[str]
    #: What the front door logged: a plan that failed (rather than stepped aside for an
    #: error the resolvers answer with), covered for by the resolvers.
    failures: list[str]

    @property
    def seen(self) -> tuple[int, Any]:
        """What a client sees: the status and the body, its keys in their order."""
        return self.status, _ordered(self.body)


def _ordered(value: Any) -> Any:
    if isinstance(value, dict):
        return [(key, _ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [_ordered(item) for item in value]
    return value


@dataclass
class Tally:
    compared: int = 0
    operations: int = 0
    #: (inside the subset?, answered by a plan?) → requests.
    outcomes: Counter[tuple[bool, bool]] = field(default_factory=Counter)
    #: Inside the subset, answered by the resolvers without an error, yet not planned.
    misses: list[tuple[Operation, str, Counter[str]]] = field(default_factory=list)
    clean: int = 0
    #: Answers with rows in them (not only empty lists, nulls and errors).
    substantial: int = 0
    #: Pairs of the resolvers' answers that differ only where GraphQL leaves the answer
    #: open (see ``_leeway``), by kind, with the first operation of each kind.
    leeway: Counter[str] = field(default_factory=Counter)
    leeway_examples: dict[str, str] = field(default_factory=dict)

    def summary(self, stats: ReadStats) -> str:
        return (f"{self.operations} operations, {self.compared} comparisons; "
                f"(in subset, planned) → {dict(self.outcomes)}; with rows {self.substantial}; "
                f"clean in-subset {self.clean}, "
                f"of them not planned {len(self.misses)}; resolvers' leeway "
                f"{dict(self.leeway)} {self.leeway_examples}; fallbacks {dict(stats.fallbacks)}; "
                f"refusals {dict(stats.refusals)}")


@dataclass
class Paths:
    compiled: Side
    interpreted: Side
    world: ReadWorld
    loop: asyncio.AbstractEventLoop
    tally: Tally = field(default_factory=Tally)


@pytest_asyncio.fixture
async def paths(db: Settings, make_token: TokenFactory) -> AsyncIterator[Paths]:
    """Both apps over the test database, and the world seeded through the resolvers'."""
    compiled = create_app(db, manage_database=False)
    interpreted = create_app(replace(db, compiled_reads=False), manage_database=False)
    log = logging.getLogger("vmeste.reads")
    async with _http(compiled) as on, _http(interpreted) as off:
        world = await seed_read_world(interpreted, GraphQLClient(off), make_token)
        side = Side(compiled, on)
        log.addHandler(side.failures)
        try:
            yield Paths(side, Side(interpreted, off), world, asyncio.get_running_loop())
        finally:
            log.removeHandler(side.failures)


def _http(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url="http://vmeste.test")


def _normalized(body: Any) -> Any:
    """The body without what differs between any two requests (a masked error's id)."""
    for error in (body or {}).get("errors") or []:
        extensions = error.get("extensions") or {}
        if "requestId" in extensions:
            extensions["requestId"] = "…"
    return body


def _has_rows(body: Any) -> bool:
    for value in ((body or {}).get("data") or {}).values():
        if isinstance(value, dict) and (value.get("edges") or value.get("totalCount") or not (
                {"edges", "totalCount", "pageInfo"} & value.keys())):
            return True
    return False


async def _post(side: Side, operation: Operation, token: str | None) -> Answer:
    stats, failed = side.stats, len(side.failures.messages)
    planned, interpreted = stats.compiled, stats.interpreted
    fallbacks, refusals = Counter(stats.fallbacks), Counter(stats.refusals)
    payload: dict[str, Any] = {"query": operation.query, "variables": operation.variables}
    if operation.operation_name is not None:
        payload["operationName"] = operation.operation_name
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await side.http.post("/graphql", json=payload, headers=headers)
    return Answer(response.status_code, _normalized(response.json()),
                  stats.compiled > planned, stats.interpreted > interpreted,
                  stats.fallbacks - fallbacks,
                  stats.refusals - refusals, side.failures.messages[failed:])


async def compare(paths: Paths, operation: Operation, role: str) -> Answer:
    """Both apps' answers to ``operation`` sent by ``role``, which must be equal; the
    compiled app's answer."""
    token = paths.world.tokens[role]
    on = await _post(paths.compiled, operation, token)
    off = await _post(paths.interpreted, operation, token)
    paths.tally.compared += 1
    leeway = _leeway(on, off) if on.seen != off.seen and not on.planned else None
    if leeway is not None:
        paths.tally.leeway[leeway] += 1
        paths.tally.leeway_examples.setdefault(leeway, f"{role}: {operation.query}")
    assert leeway or on.seen == off.seen, (
        f"the compiled and the interpreted answers differ\nrole: {role}\n"
        f"query: {operation.query}\nvariables: {operation.variables}\n"
        f"operationName: {operation.operation_name}\n"
        f"compiled ({on.status}, plan: {on.planned}): {on.body}\n"
        f"interpreted ({off.status}): {off.body}\n"
        f"fallbacks so far: {dict(paths.compiled.stats.fallbacks)}")
    assert not off.planned, "the interpreted app has no plans"
    assert not on.failures, (
        f"a plan failed and the resolvers answered instead: {on.failures}\n"
        f"role: {role}\nquery: {operation.query}\nvariables: {operation.variables}")
    if not operation.compilable:
        assert not on.planned, f"a plan answered an operation outside the subset: {operation}"
    return on


def _leeway(on: Answer, off: Answer) -> str | None:
    """How two answers the resolvers gave (the compiled app's after its plan stepped
    aside) differ where GraphQL leaves the answer open, if that is all they differ in.

    When several non-null root fields fail, data is null and only the first error is
    reported: which one is first depends on which resolver reaches its error sooner, so
    on the number of queries before it (the compiled app's plan may have filled the
    principal's cache of a body's subordinates) and, on PostgreSQL, on which query
    finishes first. Errors of nullable fields are all reported, in the order they come.
    """
    errors = on.body.get("errors"), off.body.get("errors")
    if on.status != off.status or not all(errors):
        return None
    data = on.body.get("data"), off.body.get("data")
    roots = [{tuple(error.get("path") or ()) for error in side} for side in errors]
    if data == (None, None) and roots[0] != roots[1] and all(
            len(path) == 1 for side in roots for path in side):
        return "first of several failures"  # and each side names another field
    in_order = [sorted(side, key=orjson.dumps) for side in errors]
    if data[0] == data[1] and in_order[0] == in_order[1]:
        return "error order"
    return None


async def compare_everyone(paths: Paths, operation: Operation) -> None:
    tally = paths.tally
    tally.operations += 1
    reasons: Counter[str] = Counter()
    for role in ROLES:
        on = await compare(paths, operation, role)
        # A refusal is counted once, when the document is compiled.
        reasons += on.fallbacks + on.refusals
        tally.outcomes[(operation.compilable, on.planned)] += 1
        tally.substantial += _has_rows(on.body)
        if operation.compilable and "errors" not in on.body:
            tally.clean += 1
            if not on.planned:
                tally.misses.append((operation, role, reasons))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(data=st.data())
def _generated(paths: Paths, pools: Pools, data: st.DataObject) -> None:
    operation = data.draw(operations(pools), label="operation")
    paths.loop.run_until_complete(compare_everyone(paths, operation))


def test_generated_reads_get_the_same_answer_on_both_paths(paths: Paths) -> None:
    # Synchronous, so that the checks of the whole run follow hypothesis's examples;
    # each example runs in the event loop the database fixtures opened.
    _generated(paths, Pools.of(paths.world))
    tally, stats = paths.tally, paths.compiled.stats
    print(tally.summary(stats))
    assert stats.compiled > 0, tally.summary(stats)
    assert tally.clean and (tally.clean - len(tally.misses)) >= PLANNED_SHARE * tally.clean, (
        tally.summary(stats), [(op.query, role, dict(why)) for op, role, why
                               in tally.misses[:10]])


# --- written cases ---------------------------------------------------------------------


async def _expect(paths: Paths, query: str, variables: dict[str, Any], role: str, *,
                  planned: bool) -> Answer:
    answer = await compare(paths, Operation(query, variables, None, planned), role)
    assert (answer.planned, answer.interpreted) == (planned, not planned), (
        role, query, variables, answer.body, answer.fallbacks, answer.refusals)
    return answer


async def test_the_readme_queries_are_planned_for_every_caller(paths: Paths) -> None:
    for role in ROLES:
        answer = await _expect(paths, W, {}, role, planned=role != "anonymous")
        if role == "anonymous":
            assert error_code(answer.body) == "UNAUTHENTICATED", answer.body
        for appeal_id in paths.world.appeals.values():
            await _expect(paths, S, {"id": appeal_id}, role, planned=True)
    seen = {role: len((await _post(paths.compiled, Operation(W, {}, None, True), token)).body[
        "data"]["appeals"]["edges"]) for role, token in paths.world.tokens.items()
        if token is not None}
    assert seen["moderator"] > seen["org_admin_x"] > 0, seen
    assert seen["citizen_a"] == seen["citizen_b"] == seen["federal"] == 0, seen


#: Inside the subset, but with arguments the resolvers refuse: the plan steps aside.
REFUSED = [
    ("{ appeals(first: 101) { totalCount } }", {}),
    ("{ appeals(first: -1) { totalCount } }", {}),
    ("{ appeals(first: 1, last: 1) { totalCount } }", {}),
    ("query($c: String) { territories(after: $c) { edges { cursor } } }", {"c": "garbage"}),
    ('{ organizations(before: "Y3Vyc29yOjQyOTQ5NjcyOTY=") { totalCount } }', {}),
    ('{ appeal(id: "garbage") { id } }', {}),
    ("query($id: ID!) { appeal(id: $id) { id } }", {"id": relay.to_base64("Territory", 1)}),
]
#: Outside the subset: the resolvers answer on both apps.
RESOLVED = [
    "query($id: ID!) { appeal(id: $id) { id events { action toStatus actor } } }",
    "query($id: ID!) { appeal(id: $id) { deadline { dueAt policy overdue } } }",
    "query($id: ID!) { appeal(id: $id) { applicant { kind lastName } executor { subject } } }",
    "query($id: ID!) { node(id: $id) { id ... on Appeal { status } } }",
    "query($id: ID!) { appeal(id: $id) @include(if: true) { id } }",
    '{ territory(code: "33000000") { children { edges { node { code } } } } }',
    "{ me { subject roles { role } } }",
    '{ category(code: "roads") { children { code } } }',
    "mutation { publishCompetenceRules { published userErrors { code } } }",
]


async def test_refused_and_resolved_operations_are_answered_by_the_resolvers(
        paths: Paths) -> None:
    appeal_id = paths.world.appeals["operator"]
    for role in ("anonymous", "citizen_a", "operator_x", "executor_x", "moderator"):
        for query, variables in REFUSED:
            await _expect(paths, query, variables, role, planned=False)
        for query in RESOLVED:
            await _expect(paths, query, {"id": appeal_id}, role, planned=False)
    await _expect(paths, "{ myAppeals { totalCount } }", {}, "anonymous", planned=False)
    assert paths.compiled.stats.fallbacks, "plans stepped aside, not only the compiler"


@dataclass(frozen=True)
class Request:
    """One HTTP request, sent as it is to both apps."""

    method: str
    params: dict[str, str] | None = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _get(query: str, **params: str) -> Request:
    return Request("GET", {"query": query, **params})


def _post_raw(body: Any, content_type: str = "application/json", **headers: str) -> Request:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return Request("POST", content=content, headers={"Content-Type": content_type, **headers})


GRAPHQL_RESPONSE = "application/graphql-response+json"
#: The front door reads GET requests and other media types too; malformed requests it
#: leaves to Strawberry.
REQUESTS = [
    _get(W),
    _get(S, variables=orjson.dumps({"id": relay.to_base64("Appeal", 2)}).decode()),
    _get("{ territories(first: 2) { edges { node { code } } } }", operationName="Nope"),
    _get('mutation { publishCompetenceRules { published } }'),
    _post_raw({"query": W}, accept=GRAPHQL_RESPONSE),
    _post_raw({"query": "{ appeals(first: 101) { totalCount } }"}, accept=GRAPHQL_RESPONSE),
    _post_raw({"query": "{ categories { totalCount } }", "extensions": {"x": 1}}),
    _post_raw({"query": "{ categories { totalCount } }", "variables": []}),
    _post_raw({"query": "{ categories { totalCount } }", "variables": "{}"}),
    _post_raw({"query": "{ categories { totalCount } }", "operationName": 5}),
    _post_raw([{"query": "{ categories { totalCount } }"}]),
    _post_raw({"query": ""}),
    _post_raw(b'{"query": "{ categories { totalCount } }"'),
    _post_raw(b"{ categories { totalCount } }", "application/graphql"),
    _post_raw({"query": "{ categories(first: 2) { totalCount } }"}, "text/plain"),
]


async def _send(side: Side, request: Request, token: str | None) -> tuple[Any, ...]:
    headers = {**request.headers, **({"Authorization": f"Bearer {token}"} if token else {})}
    response = await side.http.request(request.method, "/graphql", params=request.params,
                                       content=request.content, headers=headers)
    try:
        body = _ordered(_normalized(response.json()))
    except ValueError:
        body = response.text
    return response.status_code, response.headers.get("content-type"), body


async def test_other_requests_get_the_same_answer_on_both_paths(paths: Paths) -> None:
    before = paths.compiled.stats.compiled
    for role in ("anonymous", "citizen_a", "moderator"):
        token = paths.world.tokens[role]
        for request in REQUESTS:
            on = await _send(paths.compiled, request, token)
            off = await _send(paths.interpreted, request, token)
            assert on == off, (role, request, on, off)
    assert paths.compiled.stats.compiled > before, "GET and graphql-response+json are planned"
