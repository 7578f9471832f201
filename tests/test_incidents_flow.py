"""The incident flow end to end through the public API and the workers: a monitoring
rule over the body's VK community, posts fetched from the wall (the fake VK) and
ingested, merged into one incident by the processing job, reacted to and routed to the
body, answered (drafted by its operator, approved by its ``org_admin``, published once
though the network dropped the connection after taking the comment), scored by the
author's comment, and counted; a low score sends it back; the live feed over a real
WebSocket; an incident filed as an appeal; and bad input answered with typed
``userErrors``. The workers are the outbox jobs and the deadline watchdog, run in the
test's event loop (``run_background``)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from starlette.testclient import TestClient

from tests.incident_flow_world import (
    AUTHOR,
    CREATE_RULE,
    ERRORS,
    REACT,
    Flow,
    gid,
    seed_flow,
)
from tests.incident_sla_world import new_incident, seed_incident_world
from tests.worlds import MUNICIPALITY_A, ORG_B, REGION_A, seed_world
from vmeste.app import create_app
from vmeste.platform.db import connect
from vmeste.platform.identity.dev_tokens import issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.publics.connectors import ConnectorError
from vmeste.platform.publics.pages import PageInput
from vmeste.platform.publics.services import PublicsServices
from vmeste.schema import live


@pytest_asyncio.fixture
async def flow(world, vmeste_app, graphql, make_token) -> Flow:
    return await seed_flow(vmeste_app, graphql, make_token)


async def routed(flow: Flow, run_background) -> dict:
    """Two near-duplicate posts ingested and processed into one incident, reacted to
    half an hour after :data:`T0`; the incident as the reaction returns it."""
    await flow.create_rule()
    await flow.ingest("1", "Огромная яма на дороге на улице Ленина у дома 5, машины бьют "
                           "колёса")
    await flow.ingest("2", "Яма на дороге на улице Ленина у дома 5, колёса бьют все машины",
                      author="502")
    await run_background()
    [incident] = await flow.incidents()
    flow.at(minutes=30)
    reacted = await flow.react(incident["id"])
    assert reacted["userErrors"] == []
    return reacted["incident"]


async def answered(flow: Flow, run_background, incident_id: str) -> dict:
    """The body's answer drafted, approved and published two hours after :data:`T0`."""
    reply = (await flow.draft(incident_id, "Яму заделаем до пятницы."))["reply"]
    assert (await flow.approve(reply["id"]))["userErrors"] == []
    flow.at(hours=2)
    await run_background()
    [incident] = await flow.incidents()
    return incident


async def test_a_post_becomes_an_answered_and_scored_incident(flow, run_background):
    rule = await flow.create_rule()
    assert rule["userErrors"] == []
    assert rule["rule"]["pages"] == [{"id": gid("OfficialPage", flow.page.id)}]
    # The fetch job reads the wall (the watchdog queues it, the rule being due).
    first = flow.wall_post("Огромная яма на дороге на улице Ленина у дома 5, машины бьют "
                           "колёса")
    flow.wall_post("Яма на дороге на улице Ленина у дома 5, колёса бьют все машины",
                   author="502", minutes=5)
    run = await run_background()
    assert run.jobs["incidents.fetch"] == 1 and run.jobs["incidents.process"] >= 1
    [incident] = await flow.incidents()
    assert (incident["status"], incident["topic"], incident["postCount"]) == (
        "NEW", "road_repair", 2)
    assert [p["authorRef"] for p in incident["posts"]] == [AUTHOR, "502"]
    assert incident["officialPage"] == {"id": gid("OfficialPage", flow.page.id)}
    assert incident["reactionDueAt"] is not None, "the watchdog started the SLA clock"

    flow.at(minutes=30)
    reacted = await flow.react(incident["id"])
    assert reacted["userErrors"] == []
    assert reacted["incident"]["status"] == "ROUTED"
    assert reacted["incident"]["organization"] == {"id": gid("Organization", flow.body.id)}
    assert reacted["incident"]["reactionLate"] is False

    draft = await flow.draft(incident["id"], "Яму заделаем до пятницы.")
    assert draft["userErrors"] == []
    assert (draft["reply"]["status"], draft["reply"]["parentRef"]) == ("DRAFT", first)
    approved = await flow.approve(draft["reply"]["id"])
    assert approved["userErrors"] == [] and approved["reply"]["status"] == "APPROVED"

    # Every attempt of the job's call is taken by VK and its answer lost: the job fails,
    # and the outbox runs it again.
    flow.vk.inject("wall.createComment", *["drop"] * 5)
    flow.at(hours=2)
    with pytest.raises(ConnectorError):
        await run_background()
    await run_background()
    assert len(flow.vk.comments) == 1, flow.vk.comments
    assert flow.vk.comments[0]["post_id"] == int(first)
    assert flow.vk.comments[0]["text"].startswith("Яму заделаем до пятницы.")
    [incident] = await flow.incidents()
    [reply] = incident["replies"]
    assert (reply["status"], reply["commentRef"]) == ("PUBLISHED", "1")
    assert incident["status"] == "ANSWERED"
    assert incident["firstResponseSeconds"] == 2 * 3600
    assert incident["answerLate"] is False

    # The author's score under the answer, ingested: it closes the incident.
    flow.at(hours=3)
    await flow.ingest("101", "Спасибо, 5", parent_ref=reply["commentRef"])
    await run_background()
    [incident] = await flow.incidents()
    assert (incident["status"], incident["satisfaction"], incident["satisfactionSource"]) == (
        "CLOSED", 5, "AUTHOR")
    assert [e["action"] for e in incident["history"]][-2:] == ["rate", "close"]
    assert len(flow.vk.comments) == 1
    assert await flow.statistics() == {
        "incidents": 1, "reacted": 1, "responded": 1, "meanFirstResponseSeconds": 7200.0,
        "reactionOnTime": 1, "reactionJudged": 1, "answerOnTime": 1, "answerJudged": 1,
        "rated": 1, "satisfactionMean": 5.0, "satisfiedShare": 1.0}


async def test_a_low_score_sends_the_incident_back_with_a_new_term(flow, run_background):
    incident = await routed(flow, run_background)
    incident = await answered(flow, run_background, incident["id"])
    assert incident["status"] == "ANSWERED"
    first_term = incident["answerDueAt"]
    [reply] = incident["replies"]
    flow.at(hours=3)
    await flow.ingest("101", "Ничего не сделали, 2", parent_ref=reply["commentRef"])
    await run_background()
    [incident] = await flow.incidents()
    # The score is in the history; the next answer is scored afresh.
    assert (incident["status"], incident["satisfaction"]) == ("ROUTED", None)
    assert incident["organization"] == {"id": gid("Organization", flow.body.id)}
    assert incident["answerDueAt"] > first_term
    assert [e["action"] for e in incident["history"]][-2:] == ["rate", "reopen"]
    # Back with the body: a new answer can be drafted.
    assert (await flow.draft(incident["id"], "Заделали, проверьте."))["userErrors"] == []


# --- an incident filed as an appeal ---------------------------------------------------

CONVERT = f"""mutation($id: ID!) {{ convertIncidentToAppeal(id: $id) {{
  incident {{ status appealId }} appeal {{ id channel }} {ERRORS} }} }}"""
APPEAL_POSTS = """query($id: ID!) { appealSocialPosts(appealId: $id) { postRef authorRef
  network } }"""


async def test_an_incident_becomes_an_appeal_that_shows_its_posts(flow, run_background,
                                                                    make_token):
    incident = await routed(flow, run_background)
    converted = await flow.mutate(CONVERT, flow.operator, id=incident["id"])
    assert converted["userErrors"] == []
    assert converted["appeal"]["channel"] == "SOCIAL"
    assert converted["incident"] == {"status": "APPEALED",
                                     "appealId": converted["appeal"]["id"]}
    posts = await flow.call(APPEAL_POSTS, flow.operator, id=converted["appeal"]["id"])
    assert posts["appealSocialPosts"] == [
        {"postRef": "1", "authorRef": AUTHOR, "network": "vk"},
        {"postRef": "2", "authorRef": "502", "network": "vk"}]
    stranger = await make_token("operator", org=ORG_B, sub="stranger")
    assert (await flow.call(APPEAL_POSTS, stranger, id=converted["appeal"]["id"]))[
        "appealSocialPosts"] == []
    # Converting again answers with the same appeal.
    again = await flow.mutate(CONVERT, flow.operator, id=incident["id"])
    assert again["userErrors"] == [] and again["appeal"]["id"] == converted["appeal"]["id"]


# --- bad input: typed userErrors, never a 500 -----------------------------------------

DISMISS = f"""mutation($id: ID!, $reason: String!) {{ dismissIncident(id: $id, reason: $reason)
  {{ incident {{ status }} {ERRORS} }} }}"""
REJECT = f"""mutation($id: ID!, $reason: String!) {{ rejectIncidentReply(id: $id,
  reason: $reason) {{ reply {{ status }} {ERRORS} }} }}"""
SCORE = f"""mutation($id: ID!, $score: Int!) {{ recordIncidentSatisfaction(id: $id,
  score: $score) {{ incident {{ status satisfaction }} {ERRORS} }} }}"""
SETTLE = f"""mutation($id: ID!) {{ settleIncidentReply(id: $id) {{ reply {{ status }}
  {ERRORS} }} }}"""
INCIDENT_BY_ID = "query($id: ID!) { incident(id: $id) { id } }"


def refusal(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def test_bad_input_is_refused_with_typed_user_errors(flow, run_background):
    incident = await routed(flow, run_background)
    unknown, appeal = gid("Incident", 999_999), gid("Appeal", 1)
    draft = (await flow.draft(incident["id"], "Яму заделаем до пятницы."))["reply"]
    cases = [
        # Unknown ids.
        (flow.react(unknown), [("id", "NOT_FOUND")]),
        (flow.draft(unknown, "Текст"), [("incidentId", "NOT_FOUND")]),
        (flow.approve(gid("IncidentReply", 999_999)), [("replyId", "NOT_FOUND")]),
        (flow.mutate(SETTLE, flow.approver, id=gid("IncidentReply", 999_999)),
         [("replyId", "NOT_FOUND")]),
        (flow.mutate(SCORE, flow.monitor, id=unknown, score=5), [("id", "NOT_FOUND")]),
        # Ids of another type, or past the column.
        (flow.react(appeal), [("id", "INVALID")]),
        (flow.draft(appeal, "Текст"), [("incidentId", "INVALID")]),
        (flow.approve(incident["id"]), [("id", "INVALID")]),
        (flow.mutate(SCORE, flow.monitor, id=gid("Incident", 2**64), score=5),
         [("id", "INVALID")]),
        # Texts: a reason too long, an empty draft.
        (flow.mutate(DISMISS, flow.monitor, id=incident["id"], reason="x" * 1001),
         [("reason", "INVALID")]),
        (flow.mutate(REJECT, flow.approver, id=draft["id"], reason="x" * 1001),
         [("reason", "INVALID")]),
        (flow.draft(incident["id"], "   "), [("text", "REQUIRED")]),
        (flow.draft(incident["id"], "я" * 3501), [("text", "INVALID")]),
        # A score of an incident not answered yet.
        (flow.mutate(SCORE, flow.monitor, id=incident["id"], score=5),
         [(None, "ILLEGAL_TRANSITION")]),
    ]
    found = [refusal(await call) for call, _expected in cases]
    assert found == [expected for _call, expected in cases]
    data = await flow.call(INCIDENT_BY_ID, flow.monitor, id=unknown)
    assert data == {"incident": None}
    wrong = await flow.graphql(INCIDENT_BY_ID, {"id": appeal}, token=flow.monitor)
    assert wrong["data"] == {"incident": None}
    assert wrong["errors"][0]["extensions"]["code"] == "INVALID"

    # A score of 7 on an answered incident; then a dismissed incident is not reacted to.
    await flow.mutate(REJECT, flow.approver, id=draft["id"], reason="Уточните срок")
    answered_incident = await answered(flow, run_background, incident["id"])
    assert answered_incident["status"] == "ANSWERED"
    assert refusal(await flow.mutate(SCORE, flow.monitor, id=incident["id"], score=7)) == [
        ("score", "INVALID")]
    await flow.ingest("3", "Снег не убирают во дворе на улице Мира, не пройти",
                      author="503")
    await run_background()
    [fresh] = await flow.incidents(status="NEW")
    dismissed = await flow.mutate(DISMISS, flow.monitor, id=fresh["id"], reason="Не проблема")
    assert dismissed["userErrors"] == [] and dismissed["incident"]["status"] == "DISMISSED"
    assert refusal(await flow.react(fresh["id"])) == [(None, "ILLEGAL_TRANSITION")]


# --- the live feed over a real WebSocket ----------------------------------------------

FEED = "subscription { incidentUpdates { action incident { id status } } }"


def feed_world(settings) -> tuple[str, dict[str, str]]:
    """A NEW incident in region A's city, and the tokens of two of region A's monitors
    and of a citizen (the app runs in the test client's thread, so this is seeded
    beforehand on its own connection)."""

    async def seed() -> tuple[str, dict[str, str]]:
        async with connect(settings):
            await seed_world()
            resolver = create_app(settings, manage_database=False).state.runtime.resolver
            await seed_incident_world(resolver)
            incident = await new_incident(MUNICIPALITY_A, datetime.now(UTC), announce=True)
            tokens = {sub: await issue_dev_token(settings, Role.MODERATOR, subject=sub,
                                                 territory_code=REGION_A)
                      for sub in ("monitor-a", "monitor-b")}
            tokens["citizen"] = await issue_dev_token(settings, Role.CITIZEN)
            return gid("Incident", incident.id), tokens

    return asyncio.run(seed())


def subscribed(ws, token: str | None) -> None:
    """The feed subscribed; a ping answered after a pause means the server started it."""
    ws.send_json({"type": "connection_init",
                  "payload": {"Authorization": f"Bearer {token}"} if token else {}})
    assert ws.receive_json()["type"] == "connection_ack"
    ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": FEED}})
    time.sleep(0.3)
    ws.send_json({"type": "ping"})
    assert ws.receive_json()["type"] == "pong"


def test_the_live_feed_brings_a_step_taken_by_another_monitor(empty_database):
    incident, tokens = feed_world(empty_database)
    with TestClient(create_app(empty_database)) as http, http.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribed(ws, tokens["monitor-a"])
        with http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as cit:
            subscribed(cit, tokens["citizen"])
            response = http.post("/graphql", json={"query": REACT, "variables": {
                "id": incident}}, headers={"Authorization": f"Bearer {tokens['monitor-b']}"})
            assert response.json()["data"]["reactToIncident"]["userErrors"] == []
            message = ws.receive_json()
            assert message["type"] == "next", message
            assert message["payload"]["data"]["incidentUpdates"] == {
                "action": "react", "incident": {"id": incident, "status": "ROUTED"}}
            # The citizen's view of incidents is empty: past a poll, nothing came.
            time.sleep(live.POLL_SECONDS * 1.5)
            cit.send_json({"type": "ping"})
            assert cit.receive_json()["type"] == "pong"


def test_an_anonymous_subscription_to_the_feed_is_refused(empty_database):
    feed_world(empty_database)
    with TestClient(create_app(empty_database)) as http, http.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": FEED}})
        message = ws.receive_json()
        errors = message["payload"] if message["type"] == "error" else message["payload"][
            "errors"]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED", message


# --- two communities' walls number their posts alike -----------------------------------

async def test_posts_of_two_communities_with_the_same_ids_are_both_kept(flow, run_background):
    """VK numbers posts per wall: post 1 of one community is not post 1 of another, and a
    comment under the second one's post 1 joins the second one's incident."""
    other = await flow.app.state.runtime.service(PublicsServices).register_page(
        SYSTEM, PageInput(organization_id=flow.body.id, territory_code=MUNICIPALITY_A,
                          network="vk", page_ref="12", registered_name="Киров сегодня"))
    rule = await flow.mutate(CREATE_RULE, flow.monitor, input={
        "name": "Сообщества", "territoryCode": REGION_A,
        "pageIds": [gid("OfficialPage", flow.page.id), gid("OfficialPage", other.id)]})
    assert rule["userErrors"] == []
    await flow.ingest("1", "Огромная яма на дороге на улице Ленина у дома 5")
    await flow.ingest("1", "Снег не убирают во дворе на улице Мира, не пройти",
                      page_ref="12", author="503")
    await flow.ingest("2", "Во дворе на улице Мира снег так и лежит", page_ref="12",
                      parent_ref="1", author="504")
    await run_background()
    incidents = {i["officialPage"]["id"]: i for i in await flow.incidents()}
    assert sorted(len(i["posts"]) for i in incidents.values()) == [1, 2]
    assert [p["authorRef"] for p in incidents[gid("OfficialPage", other.id)]["posts"]] == [
        "503", "504"]
    assert [p["authorRef"] for p in incidents[gid("OfficialPage", flow.page.id)]["posts"]] == [
        AUTHOR]
