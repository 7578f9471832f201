"""Triage: reacting routes an incident through the routing engine (with its trace, a
geotag refining the territory, the answer counted on the routed body's calendar),
dismissing needs a reason, routing by hand and correcting the topic are the monitors',
and the notifications reach the monitors, the body and, on escalation, the region."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from tests.appeal_world import INSIDE, SETTLEMENT_A
from tests.hearing_world import principal
from tests.incident_sla_world import (
    new_incident,
    organization_id,
    seed_incident_world,
    services_of,
)
from tests.worlds import (
    MUNICIPALITY_A,
    MUNICIPALITY_B,
    ORG_A,
    ORG_A_SCHOOL,
    ORG_FEDERAL,
    REGION_A,
    REGION_B,
)
from vmeste.platform.deadlines import watchdog
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.identity.principal import Principal
from vmeste.platform.incidents import triage
from vmeste.platform.incidents.models import Incident, IncidentEvent, IncidentStatus
from vmeste.platform.notifications.models import Notification

KIROV = ZoneInfo("Europe/Kirov")
MOSCOW = ZoneInfo("Europe/Moscow")
REGISTERED = datetime(2025, 3, 11, 9, 0, tzinfo=KIROV)
REACTED = datetime(2025, 3, 11, 10, 0, tzinfo=KIROV)


@pytest_asyncio.fixture
async def services(world, vmeste_app):
    services = services_of(vmeste_app)
    services.city_admin = await seed_incident_world(vmeste_app.state.runtime.resolver)
    services.clock = lambda: REACTED
    return services


@pytest_asyncio.fixture
async def monitor(services, make_token) -> Principal:
    return await principal(make_token, "moderator", "monitor-a", territory=REGION_A)


async def refused(call) -> tuple[str | None, ErrorCode]:
    with pytest.raises(DomainError) as caught:
        await call
    return caught.value.errors[0].field, caught.value.errors[0].code


async def test_react_routes_by_the_topics_category(services, monitor):
    incident = await new_incident(MUNICIPALITY_A, REGISTERED)
    reacted = await triage.react(services, monitor, incident.id)
    stored = await Incident.get(id=incident.id)
    assert stored.status == IncidentStatus.ROUTED == reacted.status
    assert stored.organization_id == await organization_id(services.city_admin)
    assert stored.category_id is not None and stored.reacted_at == REACTED
    # Counted at triage since no sweep came first: due at 11:00, reacted at 10:00.
    assert stored.reaction_due_at == datetime(2025, 3, 11, 11, 0, tzinfo=KIROV)
    assert stored.reaction_late is False
    assert stored.answer_due_at == datetime(2025, 3, 11, 18, 0, tzinfo=KIROV)
    routing = stored.routing
    assert (routing["strategy"], routing["category_code"], routing["fallback"]) == (
        "competence-table", "roads.pits", False)
    assert [step["strategy"] for step in routing["trace"]] == [
        "widget-target", "geo-boundary", "competence-table"]
    event = await IncidentEvent.get(incident_id=incident.id)
    assert (event.action, event.actor, event.to_status) == ("react", monitor.actor, "routed")
    assert event.payload["organization_id"] == stored.organization_id


async def test_a_geotag_refines_the_territory(services, monitor):
    incident = await new_incident(MUNICIPALITY_A, REGISTERED)
    await triage.react(services, monitor, incident.id, **INSIDE)
    stored = await Incident.get(id=incident.id)
    assert stored.territory_path.endswith(SETTLEMENT_A)
    assert stored.organization_id == await organization_id(ORG_A_SCHOOL)
    geo = next(s for s in stored.routing["trace"] if s["strategy"] == "geo-boundary")
    assert geo["territory_code"] == SETTLEMENT_A
    assert stored.routing["territory_code"] == SETTLEMENT_A


async def test_no_rule_leaves_it_unrouted_with_the_trace(services, monitor):
    incident = await new_incident(MUNICIPALITY_A, REGISTERED, topic="snow_removal")
    reacted = await triage.react(services, monitor, incident.id)
    assert reacted.status == IncidentStatus.UNROUTED and reacted.organization_id is None
    assert reacted.routing["fallback"] is True
    assert reacted.routing["trace"][-1]["strategy"] == "moderation-queue"
    assert reacted.routing["category_code"] == "snow"


async def test_the_category_is_required_when_the_topic_has_none(services, monitor):
    incident = await new_incident(MUNICIPALITY_A, REGISTERED, topic="healthcare")
    assert await refused(triage.react(services, monitor, incident.id)) == (
        "categoryCode", ErrorCode.REQUIRED)
    assert await refused(triage.react(services, monitor, incident.id,
                                      category_code="nope")) == (
        "categoryCode", ErrorCode.NOT_FOUND)
    assert await refused(triage.react(services, monitor, incident.id, category_code="roads",
                                      latitude=58.6)) == ("latitude", ErrorCode.INVALID)
    reacted = await triage.react(services, monitor, incident.id, category_code="roads")
    assert reacted.organization_id == await organization_id(ORG_A)  # roads in region A
    assert await refused(triage.react(services, monitor, incident.id)) == (
        None, ErrorCode.ILLEGAL_TRANSITION)


async def test_a_late_reaction_is_marked_and_the_answer_counts_on_the_bodys_calendar(
        services, make_token, vmeste_app):
    # Region B keeps the Tatarstan calendar; roads there go to the federal ministry.
    registered = datetime(2025, 11, 5, 15, 0, tzinfo=MOSCOW)
    incident = await new_incident(MUNICIPALITY_B, registered)
    await watchdog.run_watchdog(vmeste_app.state.runtime, registered)
    before = await Incident.get(id=incident.id)
    assert before.answer_due_at == datetime(2025, 11, 7, 16, 0, tzinfo=MOSCOW)
    services.clock = lambda: datetime(2025, 11, 5, 17, 30, tzinfo=MOSCOW)
    monitor_b = await principal(make_token, "regional_admin", "admin-b", territory=REGION_B)
    reacted = await triage.react(services, monitor_b, incident.id, category_code="roads")
    assert reacted.organization_id == await organization_id(ORG_FEDERAL)
    assert reacted.reaction_late is True
    # The federal calendar has no Constitution Day: 15–18, then Thursday 9–13 and 14–15.
    assert reacted.answer_due_at == datetime(2025, 11, 6, 15, 0, tzinfo=MOSCOW)


async def test_dismiss_needs_a_reason(services, monitor):
    incident = await new_incident(MUNICIPALITY_A, REGISTERED)
    assert await refused(triage.dismiss(services, monitor, incident.id, "  ")) == (
        "reason", ErrorCode.REQUIRED)
    assert await refused(triage.dismiss(services, monitor, incident.id,
                                        "x" * (triage.REASON_MAX + 1))) == (
        "reason", ErrorCode.INVALID)
    dismissed = await triage.dismiss(services, monitor, incident.id, " Реклама ")
    assert dismissed.status == IncidentStatus.DISMISSED and dismissed.next_check_at is None
    # A dismissal is the reaction: it counts in the reaction SLA.
    stored = await Incident.get(id=incident.id)
    assert stored.reacted_at == REACTED and stored.reaction_late is not None
    event = await IncidentEvent.get(incident_id=incident.id)
    assert (event.action, event.reason) == ("dismiss", "Реклама")
    assert await refused(triage.dismiss(services, monitor, incident.id, "again")) == (
        None, ErrorCode.ILLEGAL_TRANSITION)


async def test_route_by_hand(services, monitor):
    incident = await new_incident(MUNICIPALITY_A, REGISTERED, topic="snow_removal")
    ministry = await organization_id(ORG_A)
    assert await refused(triage.route(services, monitor, incident.id, ministry, "к ним")) == (
        None, ErrorCode.ILLEGAL_TRANSITION)  # NEW: react first
    await triage.react(services, monitor, incident.id)
    assert await refused(triage.route(services, monitor, incident.id, ministry, "")) == (
        "reason", ErrorCode.REQUIRED)
    assert await refused(triage.route(services, monitor, incident.id, 10 ** 9, "к ним")) == (
        "organizationId", ErrorCode.NOT_FOUND)
    routed = await triage.route(services, monitor, incident.id, ministry,
                                "Уборка снега на региональных дорогах")
    assert (routed.status, routed.organization_id) == (IncidentStatus.ROUTED, ministry)
    assert routed.routing["strategy"] == triage.MANUAL
    assert routed.routing["reason"] == "Уборка снега на региональных дорогах"
    assert routed.routing["trace"][-1]["strategy"] == "moderation-queue"  # the engine's kept
    assert await refused(triage.route(services, monitor, incident.id, ministry, "снова")) == (
        "organizationId", ErrorCode.INVALID)
    events = await IncidentEvent.filter(incident_id=incident.id).order_by("id")
    assert [(e.action, e.to_status) for e in events] == [("react", "unrouted"),
                                                         ("route", "routed")]


async def test_set_topic(services, monitor):
    incident = await new_incident(MUNICIPALITY_A, REGISTERED)
    assert await refused(triage.set_topic(services, monitor, incident.id, "weather")) == (
        "topic", ErrorCode.NOT_FOUND)
    changed = await triage.set_topic(services, monitor, incident.id, "snow_removal")
    assert (changed.topic, changed.topic_confirmed, changed.status) == (
        "snow_removal", True, IncidentStatus.NEW)
    event = await IncidentEvent.get(incident_id=incident.id)
    assert event.payload == {"topic": "snow_removal", "previous_topic": "road_repair"}


async def test_only_the_territorys_monitors_triage(services, monitor, make_token):
    incident = await new_incident(MUNICIPALITY_A, REGISTERED)
    outsider = await principal(make_token, "moderator", "monitor-b", territory=REGION_B)
    operator = await principal(make_token, "operator", "op", org=services.city_admin)
    anonymous = Principal(None)
    ministry = await organization_id(ORG_A)
    for who, code in ((outsider, ErrorCode.FORBIDDEN), (operator, ErrorCode.FORBIDDEN),
                      (anonymous, ErrorCode.UNAUTHENTICATED)):
        for call in (triage.react(services, who, incident.id),
                     triage.dismiss(services, who, incident.id, "нет"),
                     triage.route(services, who, incident.id, ministry, "нет"),
                     triage.set_topic(services, who, incident.id, "other")):
            assert (await refused(call))[1] == code
    # A monitor cannot move an incident into a territory outside their scope.
    assert (await refused(triage.react(services, monitor, incident.id,
                                       territory_code=MUNICIPALITY_B)))[1] == ErrorCode.FORBIDDEN
    assert (await Incident.get(id=incident.id)).status == IncidentStatus.NEW
    assert not await IncidentEvent.filter(incident_id=incident.id).exists()


async def test_notifications_reach_monitors_the_body_and_the_region(
        services, monitor, make_token, clock, run_background):
    clock.set(REGISTERED)
    city = services.city_admin
    local = await principal(make_token, "moderator", "monitor-city", territory=MUNICIPALITY_A)
    outsider = await principal(make_token, "moderator", "monitor-b", territory=REGION_B)
    operator = await principal(make_token, "operator", "op", org=city)
    head = await principal(make_token, "org_admin", "head", org=city)
    people = {p.user.id: name for name, p in (
        ("monitor", monitor), ("local", local), ("outsider", outsider),
        ("operator", operator), ("head", head))}

    async def told(event: str) -> set[str]:
        rows = await Notification.filter(subject_type="incident", event=event)
        return {people[row.recipient_id] for row in rows if row.recipient_id}

    incident = await new_incident(MUNICIPALITY_A, REGISTERED, announce=True, post_count=3)
    await run_background()
    assert await told("incident_created") == {"monitor", "local"}
    created = await Notification.filter(event="incident_created").first()
    assert "Ремонт дорог" in created.subject and "город Киров" in created.body
    services.clock = lambda: REACTED
    await triage.react(services, monitor, incident.id)
    await run_background()
    assert await told("incident_routed") == {"operator"}
    # Past the answer's term (18:00) without an answer: escalated.
    clock.set(datetime(2025, 3, 11, 18, 30, tzinfo=KIROV))
    await run_background()
    assert await told("incident_escalated") == {"operator", "head", "monitor"}
    escalated = await Notification.filter(event="incident_escalated").first()
    assert "18:00" in escalated.body and "11.03.2025" in escalated.body
