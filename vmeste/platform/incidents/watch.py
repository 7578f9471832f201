"""The incident clock: the deadline watchdog counts an incident's terms, reminds of a
running term, escalates an overdue one, and closes an answer nobody scored.

The sweep is one index range on ``next_check_at``: every step sets it to the next
moment something is due (a reminder, the escalation after the grace, the end of the
satisfaction wait), or None when nothing is until a person acts; a person's step that
changes the terms sets it to its own moment, and the clock plans from there. Each step
is an incident event written through :data:`INCIDENT_STEPS` under the revision lock, and
what it did is on the row it checks first (``reminders``, ``escalated``, the status),
so a step is taken once however many sweeps see it; the loser of a race gets
``DomainError(CONFLICT)`` and the next sweep finds the step done.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise.queryset import QuerySet

from vmeste.platform.errors import DomainError
from vmeste.platform.incidents import sla
from vmeste.platform.incidents.lifecycle import OPEN, Action
from vmeste.platform.incidents.models import Incident, IncidentStatus
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.incidents.steps import INCIDENT_STEPS
from vmeste.platform.reference.models import subtree

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

ACTOR = "system:watchdog"
#: Why the clock closed an answered incident.
NO_SCORE = "no score"
#: How often one incident is re-read when a step changes it during a recount.
RETRIES = 3


async def sweep(services: IncidentServices, incident: Incident, now: datetime) -> list[str]:
    """Take what is due for the incident at ``now``; the names of the steps taken."""
    policy = await sla.policy_of(services, incident)
    taken = []
    if incident.status in OPEN and await sla.fill_terms(services, incident, policy):
        incident.next_check_at = now
        await sla.write_terms(incident, "reaction_due_at", "answer_due_at", "next_check_at")
        taken.append("scheduled")
    stage = sla.stage_of(incident)
    term = await sla.stage_term(services, incident)
    step = sla.plan(incident, policy, term, now)
    incident.next_check_at = step.upcoming
    if step.remind is not None:
        assert term is not None
        incident.reminders = step.reminders
        await INCIDENT_STEPS.take(incident, ACTOR, Action.REMIND, incident.status, payload={
            "stage": stage, "fraction": step.remind, "due_at": term[1].isoformat()})
        taken.append("reminded")
    elif step.escalate:
        assert term is not None
        incident.escalated = True
        await INCIDENT_STEPS.take(incident, ACTOR, Action.ESCALATE, incident.status, payload={
            "stage": stage, "due_at": term[1].isoformat(),
            "organization_id": incident.organization_id})
        taken.append("escalated")
    elif step.close:
        await INCIDENT_STEPS.take(incident, ACTOR, Action.CLOSE, IncidentStatus.CLOSED,
                                  reason=NO_SCORE)
        taken.append("closed")
    else:
        # Not a step: no revision bump, but only onto the revision read, so a step
        # taken meanwhile keeps the moment it set.
        await Incident.filter(id=incident.id, revision=incident.revision).update(
            next_check_at=step.upcoming)
    return taken


async def recount(services: IncidentServices, incident: Incident, now: datetime) -> list[str]:
    """Count the running terms again on the current calendars (set on ``incident``, not
    saved); the names of the columns that changed."""
    policy = await sla.policy_of(services, incident)
    changed = []
    if incident.status == IncidentStatus.NEW:
        reaction = await sla.reaction_due(services, incident, policy)
        if reaction != incident.reaction_due_at:
            assert incident.reaction_due_at is not None
            sla.retime(incident, policy, incident.registered_at, incident.reaction_due_at,
                       reaction, now)
            incident.reaction_due_at = reaction
            changed.append("reaction_due_at")
    origin, answer = await sla.answer_term(services, incident, policy)
    if answer != incident.answer_due_at:
        assert incident.answer_due_at is not None
        if sla.stage_of(incident) == sla.ANSWER:
            sla.retime(incident, policy, origin, incident.answer_due_at, answer, now)
        incident.answer_due_at = answer
        changed.append("answer_due_at")
    return changed


class IncidentClock:
    """The :class:`~vmeste.platform.deadlines.kinds.DeadlineKind` of incident SLAs."""

    name = "incident_sla"
    subject_type = "incident"
    steps = ("scheduled", "reminded", "escalated", "closed")

    def due(self, now: datetime) -> QuerySet[Incident]:
        return Incident.filter(next_check_at__lte=now, status__in=sla.WATCHED)

    def subject_id(self, row: Incident) -> int:
        return row.id

    async def step(self, runtime: Runtime, row: Incident, now: datetime) -> list[str]:
        return await sweep(runtime.service(IncidentServices), row, now)

    def following(self, scope: str | None) -> QuerySet[Incident]:
        """Open incidents with counted terms under ``scope`` (every territory when
        None); one not yet counted reads the new calendar on its first sweep."""
        query = Incident.filter(status__in=OPEN, answer_due_at__isnull=False)
        return query if scope is None else query.filter(subtree(scope, "territory_path"))

    async def recompute(self, runtime: Runtime, subject_id: int, now: datetime) -> bool:
        """Rewrite the incident's terms under its revision lock, and have the next sweep
        plan the new ones; re-read on a clash."""
        services = runtime.service(IncidentServices)
        for _ in range(RETRIES):
            incident = await Incident.get_or_none(id=subject_id)
            if (incident is None or incident.status not in OPEN
                    or incident.answer_due_at is None):
                return False
            changed = await recount(services, incident, now)
            if not changed:
                return False
            incident.next_check_at = now
            try:
                await sla.write_terms(incident, *changed, "reminders", "escalated",
                                      "next_check_at")
            except DomainError:  # a step meanwhile: count again from what it wrote
                continue
            return True
        return False
