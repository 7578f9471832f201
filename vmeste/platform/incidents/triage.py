"""Triage: the region's monitoring staff react to an incident (it is routed to a body
by the routing engine, as an appeal on the same category and territory would be) or
dismiss it with a reason, route it by hand when no rule decided, and confirm or
correct its topic.

Reacting chooses the category (given, or the one the region's ``incident_sla`` maps
the topic to) and the territory (given, or the incident's; a geotag point refines it
through the routing chain's geo strategy), routes it on the ``social`` channel, and
stores the routing's trace, so every decision explains itself. It ends the reaction
stage (``reacted_at``, ``reaction_late``) and starts the answer's, counted again on
the routed body's calendar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from vmeste.platform.appeals.models import ApplicantType, Channel
from vmeste.platform.appeals.router import RoutingDecision, RoutingRequest
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.incidents import sla
from vmeste.platform.incidents.access import require_monitor
from vmeste.platform.incidents.lifecycle import Action
from vmeste.platform.incidents.models import Incident, IncidentStatus
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.incidents.steps import INCIDENT_STEPS
from vmeste.platform.publics.topics import NAMES as TOPICS
from vmeste.platform.reference.models import Category, Organization, Territory

#: The longest reason of a dismissal or a manual routing.
REASON_MAX = 1000
#: How a manual routing is named in the incident's ``routing``.
MANUAL = "manual"


def _monitor(principal: Principal) -> Callable[[Incident], None]:
    return lambda incident: require_monitor(principal, incident.territory_path)


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise DomainError.of("reason", _("State the reason"), ErrorCode.REQUIRED)
    if len(text) > REASON_MAX:
        raise DomainError.of("reason", _("At most {limit} characters", limit=REASON_MAX))
    return text


async def react(services: IncidentServices, principal: Principal, incident_id: int,
                category_code: str | None = None, territory_code: str | None = None,
                latitude: float | None = None, longitude: float | None = None) -> Incident:
    """React to a NEW incident: route it (ROUTED, or UNROUTED for the region to route
    by hand when no body is found)."""
    incident = await INCIDENT_STEPS.open(incident_id, Action.REACT, _monitor(principal))
    policy = await sla.policy_of(services, incident)
    category, territory = await _references(incident, category_code, territory_code,
                                            latitude, longitude,
                                            policy.topic_categories.get(incident.topic))
    require_monitor(principal, territory.path)
    now = services.clock()
    point = (latitude, longitude) if latitude is not None and longitude is not None else None
    decision = await services.router.route(RoutingRequest(
        category_id=category.id, territory_id=territory.id, territory_code=territory.code,
        territory_path=territory.path, applicant_type=ApplicantType.PERSON.value,
        channel=Channel.SOCIAL.value, on=now.astimezone(ZoneInfo(territory.timezone)).date(),
        point=point))
    if decision.territory_id != territory.id:
        territory = await Territory.get(id=decision.territory_id)
    await sla.fill_terms(services, incident, policy)
    assert incident.reaction_due_at is not None
    incident.category_id = category.id
    incident.territory_id, incident.territory_path = territory.id, territory.path
    incident.organization_id = decision.organization_id
    incident.routing = _trace(decision, category, territory)
    incident.reacted_at = now
    incident.reaction_late = now > incident.reaction_due_at
    # The answer's stage begins: its own reminders and escalation, on the body's calendar.
    incident.reminders, incident.escalated = 0, False
    incident.answer_due_at = (await sla.answer_term(services, incident, policy))[1]
    incident.next_check_at = now
    status = IncidentStatus.ROUTED if decision.organization_id else IncidentStatus.UNROUTED
    return await INCIDENT_STEPS.take(incident, principal.actor, Action.REACT, status,
                                     payload=_routed(incident))


async def _references(incident: Incident, category_code: str | None,
                      territory_code: str | None, latitude: float | None,
                      longitude: float | None, topic_category: str | None
                      ) -> tuple[Category, Territory]:
    errors: list[FieldError] = []
    code = category_code or topic_category
    category = None
    if not code:
        errors.append(FieldError("categoryCode", _(
            "Choose a category: the region's settings give none for the topic «{topic}»",
            topic=incident.topic), ErrorCode.REQUIRED))
    else:
        category = await Category.get_or_none(code=code, active=True)
        if category is None:
            errors.append(FieldError("categoryCode", _("The category is not found or closed"),
                                     ErrorCode.NOT_FOUND))
    if territory_code:
        territory = await Territory.get_or_none(code=territory_code)
        if territory is None:
            errors.append(FieldError("territoryCode", _("Territory not found"),
                                     ErrorCode.NOT_FOUND))
    else:
        territory = await Territory.get(id=incident.territory_id)
    if (latitude is None) != (longitude is None):
        errors.append(FieldError("latitude", _("Give both latitude and longitude"),
                                 ErrorCode.INVALID))
    elif latitude is not None and not (-90 <= latitude <= 90
                                       and -180 <= (longitude or 0) <= 180):
        errors.append(FieldError("latitude", _("The coordinates are out of range"),
                                 ErrorCode.INVALID))
    if errors:
        raise DomainError(*errors)
    assert category is not None and territory is not None
    return category, territory


def _trace(decision: RoutingDecision, category: Category, territory: Territory
           ) -> dict[str, Any]:
    """The routing as stored on the incident: what was asked, what decided, and every
    strategy's step."""
    return {"strategy": decision.strategy, "organization_id": decision.organization_id,
            "rule_id": decision.rule_id, "fallback": decision.fallback,
            "category_code": category.code, "territory_code": territory.code,
            "trace": decision.trace}


def _routed(incident: Incident) -> dict[str, Any]:
    return {"organization_id": incident.organization_id, "category_id": incident.category_id,
            "due_at": incident.answer_due_at.isoformat() if incident.answer_due_at else None}


async def dismiss(services: IncidentServices, principal: Principal, incident_id: int,
                  reason: str) -> Incident:
    """Not a problem to work on (spam, a joke, nothing the authorities do): dismissed
    with the reason, and no longer watched."""
    text = _reason(reason)
    incident = await INCIDENT_STEPS.open(incident_id, Action.DISMISS, _monitor(principal))
    incident.next_check_at = None
    if incident.reacted_at is None:  # a dismissal is the first reaction too
        now = services.clock()
        incident.reacted_at = now
        incident.reaction_late = (incident.reaction_due_at is not None
                                  and now > incident.reaction_due_at)
    return await INCIDENT_STEPS.take(incident, principal.actor, Action.DISMISS,
                                     IncidentStatus.DISMISSED, reason=text)


async def route(services: IncidentServices, principal: Principal, incident_id: int,
                organization_id: int, reason: str) -> Incident:
    """Route by hand: an incident no rule decided, or a reroute to another body. The
    answer's term is counted again on the new body's calendar; the routing trace keeps
    the engine's steps beside the monitor's decision."""
    text = _reason(reason)
    incident = await INCIDENT_STEPS.open(incident_id, Action.ROUTE, _monitor(principal))
    if not await Organization.exists(id=organization_id):
        raise DomainError.of("organizationId", _("Organization not found"),
                             ErrorCode.NOT_FOUND)
    if organization_id == incident.organization_id:
        raise DomainError.of("organizationId", _("The incident is with this organization "
                                                 "already"))
    now = services.clock()
    policy = await sla.policy_of(services, incident)
    await sla.fill_terms(services, incident, policy)
    assert incident.answer_due_at is not None
    before = incident.answer_due_at
    incident.organization_id = organization_id
    origin, incident.answer_due_at = await sla.answer_term(services, incident, policy)
    sla.retime(incident, policy, origin, before, incident.answer_due_at, now)
    previous = incident.routing or {}
    incident.routing = {"strategy": MANUAL, "organization_id": organization_id,
                        "actor": principal.actor, "reason": text,
                        "trace": previous.get("trace", [])}
    incident.next_check_at = now
    return await INCIDENT_STEPS.take(incident, principal.actor, Action.ROUTE,
                                     IncidentStatus.ROUTED, reason=text,
                                     payload=_routed(incident))


async def set_topic(services: IncidentServices, principal: Principal, incident_id: int,
                    topic: str, confirmed: bool = True) -> Incident:
    """Confirm or correct the classifier's topic (a confirmed one is a training
    example)."""
    if topic not in TOPICS:
        raise DomainError.of("topic", _("Unknown topic «{topic}»", topic=topic),
                             ErrorCode.NOT_FOUND)
    incident = await INCIDENT_STEPS.open(incident_id, Action.SET_TOPIC, _monitor(principal))
    previous = incident.topic
    incident.topic, incident.topic_confirmed = topic, confirmed
    return await INCIDENT_STEPS.take(incident, principal.actor, Action.SET_TOPIC,
                                     incident.status,
                                     payload={"topic": topic, "previous_topic": previous})
