"""The compiled read path's own mechanics: which documents get plans, what a request
spends, what is kept, and that a defect of the compiler never costs a request. (That
plans answer exactly as the resolvers do is tests/test_compiled_reads_diff.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest
from graphql import parse
from tortoise.expressions import Q
from tortoise.fields import DatetimeField

from tests.test_rate_limits import assert_limited, bearer
from tests.test_readme import README, snippets
from tests.worlds import MUNICIPALITY_A, ORG_A, World, add_organization
from vmeste.app import create_app
from vmeste.cli.database import DEMO_QUERIES
from vmeste.platform.appeals import access
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import ANONYMOUS, Principal
from vmeste.platform.reference.models import Organization, OrganizationKind
from vmeste.platform.settings import Settings
from vmeste.schema import build_schema
from vmeste.schema.compiled import reads
from vmeste.schema.compiled.compiler import _utc_isoformat
from vmeste.schema.compiled.plans import compile_plan
from vmeste.schema.compiled.selection import NotCompilable
from vmeste.schema.compiled.statements import Statements, signature

# Request budgets count on a clock that starts a fresh window (conftest.window_clock).
pytestmark = pytest.mark.usefixtures("window_clock")

ORGANIZATIONS = "{ organizations(first: 2) { totalCount edges { node { ogrn name } } } }"


@asynccontextmanager
async def http_client(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(settings, **changes), manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://vmeste.test") as http:
        yield http


def _compiles(schema: Any, document: str) -> bool:
    try:
        compile_plan(schema, parse(document), None)
    except NotCompilable:
        return False
    return True


async def test_the_demo_and_readme_lists_compile(db: Settings) -> None:
    schema = build_schema(db)
    queries = [s.document for s in snippets(README.read_text())
               if s.operation.operation.value == "query"] + list(DEMO_QUERIES)
    planned = [q for q in queries if _compiles(schema, q)]
    # The tour's organization directory, its queue of unrouted appeals, the audit trail.
    assert DEMO_QUERIES[1] in planned
    assert any("appeals(filter:" in q for q in planned)
    assert any("auditEvents" in q for q in planned)
    # Outside the subset: the caller's own profile is no model's rows.
    assert not _compiles(schema, DEMO_QUERIES[0])


async def test_a_plan_answers_and_counts(world: World, db: Settings) -> None:
    async with http_client(db, rate_limits=False) as http:
        first = await http.post("/graphql", json={"query": ORGANIZATIONS})
        again = await http.post("/graphql", json={"query": ORGANIZATIONS})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["data"]["organizations"]["totalCount"] >= 2
    assert first.headers["content-type"] == "application/json"
    assert "Accept" in first.headers["vary"] and "Accept-Language" in first.headers["vary"]
    stats = http._transport.app.state.reads.stats  # type: ignore[attr-defined]
    assert stats.compiled == 2 and stats.interpreted == 0


async def test_a_compiled_read_spends_the_budget_once(world: World, db: Settings,
                                                      make_token: Any) -> None:
    token = await make_token(Role.AUDITOR.value, territory="RU")
    query = {"query": "{ auditEvents(first: 1) { totalCount } }"}
    async with http_client(db, rate_limits=True, rate_limit_reads="3/minute") as http:
        answers = [await http.post("/graphql", json=query, headers=bearer(token))
                   for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert_limited(await http.post("/graphql", json=query, headers=bearer(token)))
        stats = http._transport.app.state.reads.stats  # type: ignore[attr-defined]
    assert stats.compiled == 3
    assert stats.fallbacks["rate limit"] == 1  # the resolvers worded the 429


async def test_a_compiler_defect_leaves_the_request_to_the_resolvers(
        world: World, db: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("a defect")

    monkeypatch.setattr(reads, "compile_plan", broken)
    async with http_client(db, rate_limits=False) as http:
        response = await http.post("/graphql", json={"query": ORGANIZATIONS})
        stats = http._transport.app.state.reads.stats  # type: ignore[attr-defined]
    assert response.status_code == 200 and response.json()["data"]["organizations"]
    assert stats.refusals["RuntimeError"] == 1 and stats.interpreted == 1


async def test_switched_off_every_request_goes_to_the_resolvers(world: World,
                                                                 db: Settings) -> None:
    async with http_client(replace(db, compiled_reads=False), rate_limits=False) as http:
        response = await http.post("/graphql", json={"query": ORGANIZATIONS})
        stats = http._transport.app.state.reads.stats  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert stats.compiled == 0 and stats.interpreted == 1 and not stats.refusals


async def test_a_querysets_signature_fixes_its_sql(db: Settings) -> None:
    one = Organization.filter(Q(id__in=[1, 2]) | Q(parent_id=3), connected=True)
    same = Organization.filter(Q(id__in=[1, 2]) | Q(parent_id=3), connected=True)
    other = Organization.filter(Q(id__in=[1, 2]) | Q(parent_id=4), connected=True)
    assert signature(one) == signature(same) != signature(other)
    # True and 1 are equal in Python; their SQL is not.
    assert signature(Organization.filter(connected=True)) != signature(
        Organization.filter(connected=1))
    assert signature(Organization.filter(id__in={1, 2})) is None  # a set has no order
    statements = Statements(10)
    assert statements.select(one, ("id",)) == statements.select(same, ("id",))
    assert len(statements._built) == 1  # built once, found the second time


def test_what_is_kept_for_a_principal_is_kept_for_that_principal_only() -> None:
    statements = Statements(10)
    first = Principal(user=None, grants=())
    twin = Principal(user=None, grants=())  # equal, but a fresh authentication
    statements.remember("plan", first, b"{}", "prepared")
    assert statements.recall("plan", first, b"{}") == "prepared"
    assert statements.recall("plan", twin, b"{}") is None
    assert statements.recall("plan", first, b'{"a":1}') is None
    assert statements.recall("plan", ANONYMOUS, b"{}") is None


async def test_a_principal_remembers_its_subordinates_for_a_while(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    ministry = world.organizations[ORG_A]
    principal = Principal(user=SimpleNamespace(id=1))  # type: ignore[arg-type]
    now = [1000.0]
    monkeypatch.setattr(access.time, "monotonic", lambda: now[0])
    before = await access.subordinates_of(principal, {ministry})
    added = await add_organization(77, "Новое учреждение", OrganizationKind.INSTITUTION,
                                   MUNICIPALITY_A, parent=ORG_A)
    newcomer = (await Organization.get(ogrn=added)).id
    assert await access.subordinates_of(principal, {ministry}) == before
    now[0] += access.SUBORDINATES_SECONDS + 1
    assert newcomer in await access.subordinates_of(principal, {ministry})
    assert newcomer not in before


@pytest.mark.parametrize("microsecond", [0, 1, 176_859])
def test_a_utc_timestamp_is_left_for_orjson_to_write_as_the_resolvers_would(microsecond):
    convert = _utc_isoformat(DatetimeField().to_python_value, datetime.isoformat)
    moment = datetime(2026, 12, 2, 9, 5, 7, microsecond, tzinfo=UTC)
    assert orjson.dumps(convert(moment)) == orjson.dumps(moment.isoformat())
