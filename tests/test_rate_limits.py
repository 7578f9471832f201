"""Request budgets (``VMESTE_RATE_LIMIT_*``) and the citizen's hourly submission quota."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis
from starlette.testclient import TestClient

from tests.appeal_world import SUBMIT, seed_appeal_world, submit_input
from tests.test_faults import REDIS_URL, require_service
from tests.test_websocket import open_subscription, prepare
from tests.worlds import MUNICIPALITY_A, REGION_A, ok_data, user_error_codes
from vmeste.app import create_app
from vmeste.platform.appeals.models import Appeal, Channel
from vmeste.platform.appeals.quota import check_submission_quota
from vmeste.platform.appeals.services import AppealServices, SubmitInput
from vmeste.platform.errors import RateLimited
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.models import User
from vmeste.platform.identity.services import load_principal
from vmeste.platform.ratelimits.clients import client_address, client_key, parse_networks
from vmeste.platform.settings import Settings, SettingsError, load_settings

pytestmark = pytest.mark.usefixtures("window_clock")

READ = {"query": "{ __typename }"}
MUTATION = {"query": "mutation { createTerritory(input: {code: \"1\", name: \"x\", "
                     "kind: REGION, parentCode: \"RU\", timezone: \"Europe/Moscow\"}) "
                     "{ userErrors { code } } }"}


@asynccontextmanager
async def http_client(settings: Settings, ip: str = "127.0.0.1", **changes: Any
                      ) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(settings, rate_limits=True, **changes), manage_database=False)
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://vmeste.test") as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_limited(response: httpx.Response, window: int = 60) -> int:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= window
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == retry_after
    assert "Слишком много запросов" in error["message"]
    return retry_after


# --- request budgets ---------------------------------------------------------------------


async def test_a_thousand_fast_requests_from_one_token_meet_429s(db, make_token):
    token = await make_token("citizen", sub="busy")
    async with http_client(db, rate_limit_reads="50/minute") as http:
        statuses = []
        for _ in range(1000):
            response = await http.post("/graphql", json=READ, headers=bearer(token))
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert_limited(response)
        assert statuses[:50] == [200] * 50
        # Over budget from then on, but for the sliding window counter's slack: crossing
        # a minute boundary, the last window's weight drops and lets one more through.
        late = statuses[50:]
        assert set(late) <= {200, 429} and late.count(200) <= 2, late.count(200)


async def test_tokens_and_addresses_have_separate_budgets(db, make_token):
    first = await make_token("citizen", sub="first")
    second = await make_token("citizen", sub="second")
    async with http_client(db, rate_limit_reads="3/minute",
                           rate_limit_anonymous="2/minute") as http:
        for _ in range(3):
            assert (await http.post("/graphql", json=READ, headers=bearer(first))
                    ).status_code == 200
        assert_limited(await http.post("/graphql", json=READ, headers=bearer(first)))
        assert (await http.post("/graphql", json=READ, headers=bearer(second))
                ).status_code == 200
        # Anonymous requests from this address have a budget of their own.
        assert [(await http.post("/graphql", json=READ)).status_code
                for _ in range(3)] == [200, 200, 429]
    async with http_client(db, ip="203.0.113.7", rate_limit_anonymous="2/minute") as other:
        assert (await other.post("/graphql", json=READ)).status_code == 200


async def test_one_app_counts_each_address_apart(db):
    app = create_app(replace(db, rate_limits=True, rate_limit_anonymous="1/minute"),
                     manage_database=False)
    statuses = {}
    for ip in ("198.51.100.1", "198.51.100.2"):
        transport = httpx.ASGITransport(app=app, client=(ip, 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            statuses[ip] = [(await http.post("/graphql", json=READ)).status_code
                            for _ in range(2)]
    assert statuses == {"198.51.100.1": [200, 429], "198.51.100.2": [200, 429]}


async def test_mutations_spend_their_own_budget(db, make_token):
    token = await make_token("citizen", sub="writer")
    async with http_client(db, rate_limit_mutations="2/minute",
                           rate_limit_reads="100/minute") as http:
        for _ in range(2):
            response = await http.post("/graphql", json=MUTATION, headers=bearer(token))
            assert response.status_code == 200
        assert_limited(await http.post("/graphql", json=MUTATION, headers=bearer(token)))
        assert (await http.post("/graphql", json=READ, headers=bearer(token))
                ).status_code == 200
        named = {"query": "query Q { __typename } " + MUTATION["query"].replace(
            "mutation", "mutation M", 1), "operationName": "Q"}
        assert (await http.post("/graphql", json=named, headers=bearer(token))
                ).status_code == 200
        named["operationName"] = "M"
        assert_limited(await http.post("/graphql", json=named, headers=bearer(token)))


async def test_each_mutation_field_of_a_document_spends_one_unit(db, make_token):
    """Aliases, and fragments at the root, cannot pack many mutations into one unit."""
    token = await make_token("citizen", sub="packer")
    field = MUTATION["query"][len("mutation { "):-2]
    aliased = {"query": "mutation { " + " ".join(f"m{n}: {field}" for n in range(3)) + " }"}
    fragment = {"query": "mutation { ...Twice } fragment Twice on Mutation { a: " + field
                         + " b: " + field + " }"}
    async with http_client(db, rate_limit_mutations="5/minute") as http:
        assert (await http.post("/graphql", json=aliased, headers=bearer(token))
                ).status_code == 200
        assert (await http.post("/graphql", json=fragment, headers=bearer(token))
                ).status_code == 200
        # 5 spent; one more field is over the budget, and an over-budget document runs
        # none of its fields.
        assert_limited(await http.post("/graphql", json=MUTATION, headers=bearer(token)))


async def test_health_probes_are_never_limited(db):
    async with http_client(db, rate_limit_anonymous="1/minute") as http:
        assert (await http.post("/graphql", json=READ)).status_code == 200
        assert (await http.post("/graphql", json=READ)).status_code == 429
        for _ in range(20):
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/readyz")).status_code == 200


async def test_without_rate_limits_nothing_is_counted(db):
    async with http_client(db, rate_limit_anonymous="1/minute") as http:
        assert (await http.post("/graphql", json=READ)).status_code == 200
    app = create_app(replace(db, rate_limits=False, rate_limit_anonymous="1/minute"),
                     manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert {(await http.post("/graphql", json=READ)).status_code
                for _ in range(5)} == {200}


async def test_get_and_post_spend_one_budget(db):
    async with http_client(db, rate_limit_anonymous="3/minute") as http:
        def get() -> Any:
            return http.get("/graphql", params=READ)

        assert [(await get()).status_code, (await get()).status_code,
                (await http.post("/graphql", json=READ)).status_code] == [200, 200, 200]
        assert_limited(await get())
        assert_limited(await http.post("/graphql", json=READ))


async def test_an_app_served_under_a_prefix_is_limited_the_same(db):
    app = create_app(replace(db, rate_limits=True, rate_limit_anonymous="1/minute"),
                     manage_database=False)
    transport = httpx.ASGITransport(app=app, root_path="/api")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert (await http.post("/api/graphql", json=READ)).status_code == 200
        assert_limited(await http.post("/api/graphql", json=READ))
        assert_limited(await http.get("/api/graphql", params=READ))


async def test_over_a_budget_is_429_in_the_spec_media_type_too(db):
    spec = {"Accept": "application/graphql-response+json"}
    async with http_client(db, rate_limit_anonymous="1/minute") as http:
        assert (await http.post("/graphql", json=READ, headers=spec)).status_code == 200
        response = await http.post("/graphql", json=READ, headers=spec)
        assert_limited(response)
        assert response.headers["content-type"].startswith("application/graphql-response+json")


async def test_documents_that_fail_to_parse_or_validate_spend_a_read_too(db):
    async with http_client(db, rate_limit_anonymous="2/minute") as http:
        for query in ("{", "{ noSuchField }"):
            response = await http.post("/graphql", json={"query": query})
            assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_QUERY"
        assert_limited(await http.post("/graphql", json=READ))


async def test_deeply_nested_json_is_a_typed_400_with_rate_limits_on(db):
    async with http_client(db) as http:
        response = await http.post("/graphql", content=b"[" * 100_000 + b"]" * 100_000,
                                   headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_JSON"


def test_ipv6_clients_are_counted_by_their_64():
    def key(peer: str) -> str:
        return client_key({"client": (peer, 1), "headers": []}, ())

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff:ffff:ffff:ffff") == (
        "2001:db8:1:2::/64")
    assert key("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert key("203.0.113.9") == key("::ffff:203.0.113.9") == "203.0.113.9"
    assert key("203.0.113.10") == "203.0.113.10"
    assert key("testclient") == "testclient"


async def test_addresses_in_one_ipv6_64_share_a_budget(db):
    app = create_app(replace(db, rate_limits=True, rate_limit_anonymous="2/minute"),
                     manage_database=False)
    statuses = []
    for ip in ("2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8:0:1::1"):
        transport = httpx.ASGITransport(app=app, client=(ip, 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            statuses.append((await http.post("/graphql", json=READ)).status_code)
    assert statuses == [200, 200, 429, 200]


async def test_refused_tokens_run_dry_before_any_token_is_verified(db, make_token):
    valid = await make_token("citizen", sub="near-the-attacker")
    async with http_client(db, rate_limit_auth_failures="2/minute") as http:
        # Valid tokens never spend the budget.
        for _ in range(3):
            assert (await http.post("/graphql", json=READ, headers=bearer(valid))
                    ).status_code == 200
        for _ in range(2):
            assert (await http.post("/graphql", json=READ, headers=bearer("forged"))
                    ).status_code == 401
        assert_limited(await http.post("/graphql", json=READ, headers=bearer("forged")))
        # Over it, a token is not even looked at; a request without one still runs.
        response = await http.post("/graphql", json=READ, headers=bearer(valid))
        assert_limited(response)
        assert response.json()["errors"][0]["extensions"]["budget"] == "auth_failures"
        assert (await http.post("/graphql", json=READ)).status_code == 200
    async with http_client(db, ip="203.0.113.8", rate_limit_auth_failures="2/minute") as other:
        assert (await other.post("/graphql", json=READ, headers=bearer("forged"))
                ).status_code == 401


def ws_answers(ws: Any, operation_id: str) -> list[dict[str, Any]]:
    """The server's messages for one operation, up to its end."""
    messages = []
    while True:
        message = ws.receive_json()
        assert message.get("id") == operation_id, message
        messages.append(message)
        if message["type"] in ("complete", "error"):
            return messages


def test_operations_over_a_websocket_spend_the_budget(empty_database):
    settings = replace(empty_database, rate_limits=True, rate_limit_anonymous="2/minute")
    with TestClient(create_app(settings)) as http, http.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        answers = []
        for n in range(3):
            ws.send_json({"id": str(n), "type": "subscribe", "payload": READ})
            answers.append(ws_answers(ws, str(n)))
        assert [a[0]["payload"] for a in answers[:2]] == [{"data": {"__typename": "Query"}}] * 2
        [error] = answers[2][0]["payload"]["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 1 <= error["extensions"]["retryAfter"] <= 60
        ws.send_json({"id": "s", "type": "subscribe", "payload": {
            "query": "subscription { auditEventAdded { action } }"}})
        refused, complete = ws_answers(ws, "s")  # never subscribed
        assert refused["payload"]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert complete["type"] == "complete"
        # The socket and HTTP share the address's budget.
        assert_limited(http.post("/graphql", json=READ))


def test_one_websocket_runs_a_bounded_number_of_operations(empty_database):
    auditor, _ = prepare(empty_database)
    settings = replace(empty_database, ws_max_subscriptions_per_connection=1)
    subscription = {"query": "subscription { auditEventAdded { action } }"}
    with TestClient(create_app(settings)) as client, client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        assert open_subscription(ws, auditor)["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": subscription})
        ws.send_json({"id": "2", "type": "subscribe", "payload": subscription})
        [error] = ws_answers(ws, "2")
        assert error["type"] == "error"
        assert error["payload"][0]["message"] == "Subscription limit reached"


def test_limit_settings_have_defaults_and_are_read():
    defaults = load_settings({})
    assert defaults.rate_limit_auth_failures == "30/minute"
    assert defaults.ws_max_subscriptions_per_connection == 10
    settings = load_settings({"VMESTE_RATE_LIMIT_AUTH_FAILURES": "5/second",
                              "VMESTE_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION": "3"})
    assert settings.rate_limit_auth_failures == "5/second"
    assert settings.ws_max_subscriptions_per_connection == 3
    for name, bad in (("VMESTE_RATE_LIMIT_AUTH_FAILURES", "often"),
                      ("VMESTE_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION", "0")):
        with pytest.raises(SettingsError) as error:
            load_settings({name: bad})
        assert error.value.variable == name


def test_forwarded_for_counts_only_behind_a_trusted_proxy():
    trusted = parse_networks(["10.0.0.0/8"])

    def scope(peer: str, forwarded: str | None) -> dict[str, Any]:
        headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
        return {"client": (peer, 1), "headers": headers}

    assert client_address(scope("203.0.113.9", "1.2.3.4"), trusted) == "203.0.113.9"
    assert client_address(scope("203.0.113.9", "1.2.3.4"), ()) == "203.0.113.9"
    assert client_address(scope("10.0.0.2", "1.2.3.4"), trusted) == "1.2.3.4"
    # A client's own forged entries are left of the proxy's: the rightmost untrusted wins.
    assert client_address(scope("10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.3"), trusted) == "1.2.3.4"
    assert client_address(scope("10.0.0.2", "garbage"), trusted) == "10.0.0.2"
    assert client_address(scope("10.0.0.2", None), trusted) == "10.0.0.2"
    assert client_address({"headers": []}, trusted) == "unknown"


async def test_a_trusted_proxy_passes_each_client_its_own_budget(db):
    async with http_client(db, ip="10.1.2.3", trusted_proxies=("10.0.0.0/8",),
                           rate_limit_anonymous="1/minute") as http:
        def post(client: str) -> Any:
            return http.post("/graphql", json=READ, headers={"X-Forwarded-For": client})

        assert (await post("192.0.2.1")).status_code == 200
        assert (await post("192.0.2.1")).status_code == 429
        assert (await post("192.0.2.2")).status_code == 200


@pytest_asyncio.fixture
async def shared_storage(db) -> AsyncIterator[Settings]:
    require_service(REDIS_URL, 6379)
    prefix = f"vt{os.getpid()}rl"
    yield replace(db, rate_limit_storage_url=REDIS_URL, queue_prefix=prefix)
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"*{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


async def test_api_processes_share_counters_in_redis(shared_storage, make_token):
    token = await make_token("citizen", sub="everywhere")
    async with http_client(shared_storage, rate_limit_reads="5/minute") as one, \
            http_client(shared_storage, rate_limit_reads="5/minute") as two:
        statuses = [(await http.post("/graphql", json=READ, headers=bearer(token))).status_code
                    for http in (one, two, one, two, one, two)]
        assert statuses == [200] * 5 + [429]
        assert_limited(await one.post("/graphql", json=READ, headers=bearer(token)))


async def test_unreachable_storage_lets_requests_through(db, caplog):
    async with http_client(db, rate_limit_storage_url="redis://127.0.0.1:1/0",
                           rate_limit_anonymous="1/minute") as http:
        with caplog.at_level(logging.WARNING, logger="vmeste.ratelimits"):
            assert [(await http.post("/graphql", json=READ)).status_code
                    for _ in range(3)] == [200, 200, 200]
    # One warning for the outage, not one per request.
    assert [record.message for record in caplog.records] == [
        "rate limit storage unavailable, letting requests through: ConnectionError"]


# --- the citizen's submission quota (region policy) -----------------------------------------


@pytest_asyncio.fixture
async def appeal_world(world) -> Any:
    return await seed_appeal_world()


def texts(count: int) -> list[str]:
    """Different texts: basic moderation rejects a repeat of the same one."""
    return [f"Яма номер {n} на дороге у дома {n}, машины бьют колёса." for n in range(count)]


async def test_submissions_per_hour_follow_the_region_policy(graphql, make_token,
                                                            region_policy, appeal_world):
    await region_policy(REGION_A, "submission_quota", "per-hour",
                        {"max_submissions_per_hour": 2})
    citizen = await make_token("citizen", sub="prolific")
    results = []
    for text in texts(3):
        body = ok_data(await graphql(SUBMIT, submit_input(text=text), token=citizen))
        results.append(user_error_codes(body["submitAppeal"]))
    assert results == [[], [], ["RATE_LIMITED"]]
    assert await Appeal.filter(applicant__subject="prolific").count() == 2
    # The quota is the citizen's: another one submits freely.
    other = await make_token("citizen", sub="neighbour")
    body = ok_data(await graphql(SUBMIT, submit_input(), token=other))
    assert user_error_codes(body["submitAppeal"]) == []


async def test_a_retry_with_the_same_key_is_never_over_the_quota(graphql, make_token,
                                                                region_policy, appeal_world):
    await region_policy(REGION_A, "submission_quota", "per-hour",
                        {"max_submissions_per_hour": 1})
    citizen = await make_token("citizen", sub="retrying")
    first = ok_data(await graphql(SUBMIT, submit_input(idempotencyKey="k-1"), token=citizen))
    again = ok_data(await graphql(SUBMIT, submit_input(idempotencyKey="k-1"), token=citizen))
    assert again["submitAppeal"]["appeal"]["id"] == first["submitAppeal"]["appeal"]["id"]
    fresh = ok_data(await graphql(SUBMIT, submit_input(text=texts(1)[0],
                                                       idempotencyKey="k-2"), token=citizen))
    assert user_error_codes(fresh["submitAppeal"]) == ["RATE_LIMITED"]


async def test_the_quota_window_is_an_hour_and_says_when_to_retry(vmeste_app, submit_appeal,
                                                                 region_policy, appeal_world):
    await region_policy(MUNICIPALITY_A, "submission_quota", "per-hour",
                        {"max_submissions_per_hour": 2})
    made = [await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                citizen="hourly", text=text) for text in texts(2)]
    resolver = vmeste_app.state.runtime.resolver
    now = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        await check_submission_quota(resolver, MUNICIPALITY_A, made[0].applicant_id, now, None)
    assert 3500 <= caught.value.retry_after <= 3600
    assert caught.value.extensions["code"] == "RATE_LIMITED"
    later = now + timedelta(minutes=61)
    await check_submission_quota(resolver, MUNICIPALITY_A, made[0].applicant_id, later, None)


async def test_parallel_submissions_cannot_overrun_the_quota(vmeste_app, make_token,
                                                           region_policy, appeal_world):
    """Thirty at once all pass the early count; the count under the applicant's lock,
    inside the insert's transaction, lets exactly the quota through."""
    await region_policy(REGION_A, "submission_quota", "per-hour",
                        {"max_submissions_per_hour": 5})
    await region_policy(REGION_A, "moderation", "basic", {"similar_count": 0})
    await make_token("citizen", sub="parallel")
    principal = await load_principal(await User.get(issuer=DEV_ISSUER, subject="parallel"))
    appeals = vmeste_app.state.runtime.service(AppealServices)
    results = await asyncio.gather(*(
        appeals.submit(principal, SubmitInput(text=text, category_code="roads.pits",
                                              territory_code=MUNICIPALITY_A,
                                              channel=Channel.PORTAL))
        for text in texts(30)), return_exceptions=True)
    made = [r for r in results if isinstance(r, Appeal)]
    refused = [r for r in results if isinstance(r, RateLimited)]
    assert (len(made), len(refused)) == (5, 25), [r for r in results
                                                 if not isinstance(r, Appeal | RateLimited)]
    assert await Appeal.filter(applicant__subject="parallel").count() == 5


async def test_the_default_quota_is_twenty_and_a_region_can_switch_it_off(
        vmeste_app, region_policy, appeal_world, submit_appeal):
    resolver = vmeste_app.state.runtime.resolver
    [strategy] = await resolver.resolve(MUNICIPALITY_A, "submission_quota")
    assert strategy.settings == {"max_submissions_per_hour": 20}
    with pytest.raises(Exception, match="max_submissions_per_hour"):
        await region_policy(REGION_A, "submission_quota", "per-hour",
                            {"max_submissions_per_hour": 0})
    await region_policy(REGION_A, "submission_quota", "per-hour",
                        {"max_submissions_per_hour": 1})
    made = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A, citizen="free")
    with pytest.raises(RateLimited):
        await check_submission_quota(resolver, MUNICIPALITY_A, made.applicant_id,
                                     datetime.now(UTC), None)
    await region_policy(REGION_A, "submission_quota", "per-hour", active=False)
    assert await resolver.resolve(MUNICIPALITY_A, "submission_quota") == []
    await check_submission_quota(resolver, MUNICIPALITY_A, made.applicant_id,
                                 datetime.now(UTC), None)
