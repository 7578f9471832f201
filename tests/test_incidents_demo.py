"""The incidents of ``vmeste demo``: a replayed week of Kirov posts with every stage of
an incident's life, and statistics over GraphQL that a hand count over the rows
reproduces."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

from starlette.applications import Starlette

from vmeste.platform.appeals.demo import load_demo_appeals
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.incidents.demo import load_demo_incidents
from vmeste.platform.incidents.models import (
    Incident,
    IncidentEvent,
    IncidentReply,
    IncidentStatus,
    MonitoringRule,
    ReplyKind,
    ReplyStatus,
    SocialPost,
)
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.publics.services import PublicsServices
from vmeste.platform.reference.demo import load_demo_data
from vmeste.testing import GraphQLClient, TokenFactory

#: A Thursday noon: the week before holds a weekend, so working hours matter.
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
FIGURES = ("incidents responded meanFirstResponseSeconds medianFirstResponseSeconds "
           "reactionOnTime reactionJudged reactionSlaShare answerOnTime answerJudged "
           "answerSlaShare")
QUERY = f"""{{ incidentStatistics(scope: {{territoryCode: "33000000"}}) {{ {FIGURES} }}
  incidentBreakdown(by: TOPIC, scope: {{territoryCode: "33000000"}}) {{
    key figures {{ {FIGURES} }} }} }}"""


def by_hand(rows: list[dict]) -> dict:
    """The figures of some incident rows, counted in plain Python."""
    seconds = sorted(r["first_response_seconds"] for r in rows
                     if r["first_response_seconds"] is not None)
    middle = len(seconds) // 2
    median = (None if not seconds else seconds[middle] if len(seconds) % 2
              else (seconds[middle - 1] + seconds[middle]) / 2)
    reaction = [r["reaction_late"] for r in rows if r["reaction_late"] is not None]
    answer = [r["answer_late"] for r in rows if r["answer_late"] is not None]
    return {
        "incidents": len(rows), "responded": len(seconds),
        "meanFirstResponseSeconds": sum(seconds) / len(seconds) if seconds else None,
        "medianFirstResponseSeconds": median,
        "reactionOnTime": reaction.count(False), "reactionJudged": len(reaction),
        "reactionSlaShare": reaction.count(False) / len(reaction) if reaction else None,
        "answerOnTime": answer.count(False), "answerJudged": len(answer),
        "answerSlaShare": answer.count(False) / len(answer) if answer else None,
    }


async def load(vmeste_app: Starlette) -> str:
    runtime = vmeste_app.state.runtime
    await load_demo_data()
    await load_demo_appeals(runtime.service(AppealServices))
    return await load_demo_incidents(
        replace(runtime.service(IncidentServices), clock=lambda: NOW),
        replace(runtime.service(PublicsServices), clock=lambda: NOW))


async def test_the_statistics_are_the_hand_count_of_the_demo(
        vmeste_app: Starlette, graphql: GraphQLClient, make_token: TokenFactory) -> None:
    summary = await load(vmeste_app)
    rows = await Incident.exclude(status=IncidentStatus.MERGED).values(
        "topic", "status", "first_response_seconds", "reaction_late", "answer_late")
    assert summary.startswith(f"26 social posts, {len(rows) + 1} incidents (")
    assert summary.endswith("; 6 official pages")

    for role in ("regional_admin", "auditor"):
        body = await graphql(QUERY, token=await make_token(role, territory="33000000"))
        assert "errors" not in body, body
        assert body["data"]["incidentStatistics"] == by_hand(rows)
        groups = {g["key"]: g["figures"] for g in body["data"]["incidentBreakdown"]}
        topics = Counter(r["topic"] for r in rows)
        assert {k: g["incidents"] for k, g in groups.items()} == dict(topics)
        assert len(topics) == 5
        for topic in topics:
            assert groups[topic] == by_hand([r for r in rows if r["topic"] == topic]), topic


async def test_the_demo_shows_every_stage_and_loads_once(vmeste_app: Starlette) -> None:
    await load(vmeste_app)
    rows = await Incident.all()
    statuses = Counter(r.status for r in rows)
    assert any(r.answer_late is False for r in rows), "answered within the SLA"
    assert any(r.answer_late for r in rows) and any(r.reaction_late for r in rows)
    assert statuses[IncidentStatus.MERGED] == 1 and any(r.post_count == 3 for r in rows), (
        "one merged by hand into an incident whose first two posts the batch merged")
    assert statuses[IncidentStatus.DISMISSED] == 1
    assert statuses[IncidentStatus.UNROUTED] == 1 and statuses[IncidentStatus.NEW] >= 3
    # A low score reopens the incident and stays in its history; the next answer is
    # scored afresh.
    rated = {(event.payload["score"], (await Incident.get(id=event.incident_id)).status)
             for event in await IncidentEvent.filter(action="rate")}
    assert rated == {(5, IncidentStatus.CLOSED), (2, IncidentStatus.ROUTED)}, (
        "the author's 5 closed one, a 2 sent one back to the body")
    assert await SocialPost.filter(text="5", parent_ref__not="").exists()
    assert await IncidentReply.filter(kind=ReplyKind.INTERIM,
                                      status=ReplyStatus.PUBLISHED).count() == 1
    assert all(r.registered_at < NOW for r in rows)

    posts, replies = await SocialPost.all().count(), await IncidentReply.all().count()
    assert await load_demo_incidents(
        replace(vmeste_app.state.runtime.service(IncidentServices), clock=lambda: NOW),
        vmeste_app.state.runtime.service(PublicsServices)) == "0 social posts, 0 incidents"
    assert not await SocialPost.filter(state="ignored").exists(), "the rule takes every post"
    (rule,) = await MonitoringRule.all()
    assert rule.next_fetch_at is None, "the demo has no network: nothing is to be fetched"
    assert (await SocialPost.all().count(), await IncidentReply.all().count(),
            await Incident.all().count()) == (posts, replies, len(rows))
