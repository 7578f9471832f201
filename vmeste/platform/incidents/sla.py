"""An incident's SLA terms: the first reaction and the answer, in working hours on the
production calendar, and what the clock does next about them.

Both terms count from ``registered_at`` (DESIGN §5): the reaction within
``reaction_hours`` working hours, the answer within ``answer_hours``. They are counted
on the calendar and in the time zone of whoever works on the incident: the body it is
routed to (its territory), or, before routing, the incident's territory. A body in
Tatarstan keeps Tatarstan's holidays for an incident posted anywhere. The territory's
region policy (``incident_sla``) sets the numbers.

A new incident is stored with empty terms and ``next_check_at = registered_at``
(:func:`scheduled`): the intake writes no deadline, the clock's first sweep counts
them (and triage does, if it comes first). An interim answer published at T makes the
final answer due ``interim_days`` working days after T, and a low score reopens it with
``answer_hours`` from then (:func:`restart_answer`); the term's origin is stored, so a
term recounted later (a calendar import, a reroute) counts from it again.

Each stage has its own reminders and escalation: the reaction while the incident is
NEW, the answer while it is UNROUTED or ROUTED. ``reminders`` counts the stage's
reminders sent (the first ``reminders`` of its sorted fractions), ``escalated`` says
whether its overdue term was escalated; both start again with the answer's stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from vmeste.platform.deadlines.clock import Policy, WorkingDays, WorkingHours
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import translate
from vmeste.platform.incidents.lifecycle import OPEN
from vmeste.platform.incidents.models import (
    Incident,
    IncidentStatus,
)
from vmeste.platform.incidents.policy import IncidentPolicy, policy_for
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.incidents.steps import INCIDENT_STEPS
from vmeste.platform.reference.models import PATH_SEPARATOR, Organization, Territory

REACTION, ANSWER = "reaction", "answer"
#: The statuses the clock watches: open terms, and answers waiting for a score.
WATCHED = (*OPEN, IncidentStatus.ANSWERED)


def scheduled(registered_at: datetime, timezone: str) -> dict[str, Any]:
    """The SLA columns of a new incident, for the intake's ``Incident.create``: no terms
    yet, and due for the clock's first sweep at once; the registration day is the
    territory's local day (``timezone``), the statistics' day."""
    return {"registered_at": registered_at, "next_check_at": registered_at,
            "registered_on": registered_at.astimezone(ZoneInfo(timezone)).date(),
            "reaction_due_at": None, "answer_due_at": None, "reminders": 0,
            "escalated": False}


def territory_code(incident: Incident) -> str:
    return incident.territory_path.rsplit(PATH_SEPARATOR, 1)[-1]


async def policy_of(services: IncidentServices, incident: Incident) -> IncidentPolicy:
    """The incident territory's settings (the region's promise, wherever the body is)."""
    return await policy_for(services.resolver, territory_code(incident))


def stage_of(incident: Incident) -> str | None:
    """Which term is running: the reaction while NEW, the answer until it is given."""
    if incident.status == IncidentStatus.NEW:
        return REACTION
    if incident.status in OPEN:
        return ANSWER
    return None


async def _place(incident: Incident) -> tuple[str, str]:
    """(path, time zone) of the territory the answer is counted in: the routed body's,
    else the incident's."""
    if incident.organization_id is not None:
        found = await Organization.filter(id=incident.organization_id).values_list(
            "territory__path", "territory__timezone")
        if found:
            return found[0]
    return await _own_place(incident)


async def _own_place(incident: Incident) -> tuple[str, str]:
    found = await Territory.filter(id=incident.territory_id).values_list("path", "timezone")
    return found[0]


async def _due(services: IncidentServices, policy: Policy, place: tuple[str, str],
               start: datetime) -> datetime:
    term = await services.deadlines.term(policy, *place)
    return term.due(start, start)


async def reaction_due(services: IncidentServices, incident: Incident,
                       policy: IncidentPolicy) -> datetime:
    """The first reaction's due moment, on the incident territory's calendar (nobody
    else has it before the reaction)."""
    return await _due(services, WorkingHours(policy.reaction_hours),
                      await _own_place(incident), incident.registered_at)


def answer_origin(incident: Incident) -> datetime:
    """Where the running answer term counts from: an interim answer's publication or a
    reopening, else the registration."""
    return incident.answer_from or incident.registered_at


async def answer_term(services: IncidentServices, incident: Incident,
                      policy: IncidentPolicy) -> tuple[datetime, datetime]:
    """(origin, due moment) of the answer on the routed body's calendar:
    ``answer_hours`` working hours from the origin, or ``interim_days`` working days
    after an interim answer."""
    origin = answer_origin(incident)
    term = (WorkingDays(policy.interim_days) if incident.answer_in_days
            else WorkingHours(policy.answer_hours))
    return origin, await _due(services, term, await _place(incident), origin)


async def stage_term(services: IncidentServices, incident: Incident
                     ) -> tuple[datetime, datetime] | None:
    """(origin, due moment) of the running stage's stored term; None when none runs."""
    stage = stage_of(incident)
    if stage == REACTION and incident.reaction_due_at is not None:
        return incident.registered_at, incident.reaction_due_at
    if stage == ANSWER and incident.answer_due_at is not None:
        return answer_origin(incident), incident.answer_due_at
    return None


async def fill_terms(services: IncidentServices, incident: Incident,
                     policy: IncidentPolicy) -> bool:
    """Count the terms still empty (not saved); whether any was."""
    filled = False
    if incident.reaction_due_at is None:
        incident.reaction_due_at = await reaction_due(services, incident, policy)
        filled = True
    if incident.answer_due_at is None:
        incident.answer_due_at = (await answer_term(services, incident, policy))[1]
        filled = True
    return filled


async def restart_answer(services: IncidentServices, incident: Incident, at: datetime,
                         *, in_days: bool) -> datetime:
    """A new answer term from ``at``: ``interim_days`` working days after an interim
    answer (``in_days``), or ``answer_hours`` working hours after a reopening; on the
    routed body's calendar.

    For the step that publishes the interim answer or reopens the incident, in its own
    transaction: it sets the term on the in-memory ``incident`` with its origin (so a
    recount after a calendar import counts from there again) and starts the answer's
    reminders and escalation afresh (``next_check_at = at``: the clock's next sweep plans
    the new term); the step writes the row with :data:`INCIDENT_STEPS`, whose fields
    these all are."""
    incident.answer_from, incident.answer_in_days = at, in_days
    incident.answer_due_at = (await answer_term(services, incident,
                                                await policy_of(services, incident)))[1]
    incident.reminders, incident.escalated = 0, False
    incident.next_check_at = at
    return incident.answer_due_at


def retime(incident: Incident, policy: IncidentPolicy, origin: datetime, before: datetime,
           after: datetime, now: datetime) -> None:
    """A running stage's term moved from ``before`` to ``after`` (a recount): a later
    term takes back the reminders whose moment under it is still ahead and, when it
    lies ahead again, its escalation (the steps taken stay in the history); else the
    new term would run unwatched."""
    if after <= before:
        return
    span = after - origin
    passed = sum(1 for f in sorted(policy.reminders) if origin + span * f <= now)
    incident.reminders = min(incident.reminders, passed)
    if after > now:
        incident.escalated = False


@dataclass(frozen=True)
class Plan:
    """What the clock does about an incident at a moment."""

    #: The fraction of the running term to remind of (the latest one crossed).
    remind: float | None = None
    #: How many of the stage's reminders are then sent.
    reminders: int = 0
    escalate: bool = False
    close: bool = False
    #: The next moment something is due, after this step (None: nothing is).
    upcoming: datetime | None = None


def plan(incident: Incident, policy: IncidentPolicy, term: tuple[datetime, datetime] | None,
         now: datetime) -> Plan:
    """The clock's next step for the incident (``term`` is :func:`stage_term`'s)."""
    if incident.status == IncidentStatus.ANSWERED:
        if incident.satisfaction is not None or incident.answered_at is None:
            return Plan()
        close_at = incident.answered_at + timedelta(hours=policy.satisfaction_wait_hours)
        return Plan(close=True) if now >= close_at else Plan(upcoming=close_at)
    if term is None:
        return Plan()
    origin, due = term
    escalate_at = due + timedelta(hours=policy.escalation_grace_hours)
    if now > due:
        if incident.escalated:
            return Plan()
        return Plan(escalate=True) if now > escalate_at else Plan(upcoming=escalate_at)
    span = due - origin
    moments = [(f, origin + span * f) for f in sorted(policy.reminders)]
    crossed = [i for i, (_f, at) in enumerate(moments) if i >= incident.reminders and at <= now]
    sent = crossed[-1] + 1 if crossed else incident.reminders
    ahead = [at for _f, at in moments[sent:] if at > now]
    upcoming = min([*ahead, *([] if incident.escalated else [escalate_at])], default=None)
    if crossed:
        return Plan(remind=moments[crossed[-1]][0], reminders=sent, upcoming=upcoming)
    return Plan(upcoming=upcoming)


async def write_terms(incident: Incident, *names: str) -> None:
    """Write SLA columns onto the revision read, bumping it (so a step that read the
    old terms cannot write them back); no event: a term is data, not a step. A lost
    race is ``DomainError(CONFLICT)``, as with any incident step."""
    changed = await INCIDENT_STEPS.model.filter(
        id=incident.id, revision=incident.revision).update(
        **{name: getattr(incident, name) for name in names}, revision=incident.revision + 1)
    if changed != 1:
        raise DomainError.of(None, translate(INCIDENT_STEPS.conflict), ErrorCode.CONFLICT)
    incident.revision += 1
