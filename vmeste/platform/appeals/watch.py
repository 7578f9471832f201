"""The appeals' deadline kinds: what the watchdog sweeps for them, and the steps it
takes (reminders, the overdue marking and the escalation of running terms; the
reminders and the timeout of clarification pauses).

Each step is an appeal event written through the appeal's revision lock
(:data:`vmeste.platform.appeals.steps.APPEAL_STEPS`), the same as a person's, and
what it did is recorded on the row it checks before acting (``reminders_sent``,
``overdue_at``, ``escalated_at``, the pause's own ``reminders_sent`` and
``ended_at``), so every step is taken once however many sweeps see it due.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from vmeste.platform.appeals.lifecycle import CLOCK_RUNNING, Action
from vmeste.platform.appeals.models import Appeal, AppealCopy, AppealStatus
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.appeals.steps import APPEAL_STEPS, working_status
from vmeste.platform.appeals.terms import OPEN_WITH_TERM, RECOMPUTED_FIELDS, SUBJECT, AppealTerms
from vmeste.platform.deadlines.models import DeadlinePause
from vmeste.platform.reference.models import Organization, subtree

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

ACTOR = "system:watchdog"
#: How often one appeal is re-read when a lifecycle step changes it meanwhile.
RETRIES = 3


class RunningTerms:
    """Registered appeals whose clock runs."""

    name = "appeals"
    subject_type = SUBJECT
    steps = ("reminders", "overdue", "escalated")

    def due(self, now: datetime) -> QuerySet[Appeal]:
        """Running clocks that may have a step to take. Before the due moment that is a
        reminder, whose fractions are the region's settings, so a row is read once and
        then not again before its ``next_check_at`` (its next reminder moment or its
        due moment); after it, the overdue marking, or an escalation still owed to a
        body that has a parent. An overdue appeal with nobody to escalate to is not
        read again until its deadline or its body changes."""
        supervised = Subquery(Organization.filter(parent_id__isnull=False).values("id"))
        return Appeal.filter(
            Q(due_at__gte=now) | Q(overdue_at__isnull=True)
            | Q(escalated_at__isnull=True, organization_id__in=supervised),
            Q(next_check_at__isnull=True) | Q(next_check_at__lte=now),
            status__in=CLOCK_RUNNING, due_at__isnull=False, registered_at__isnull=False)

    def subject_id(self, row: Appeal) -> int:
        return row.id

    async def step(self, runtime: Runtime, row: Appeal, now: datetime) -> list[str]:
        return await _sweep_running(runtime.service(AppealServices).terms, row, now)

    def following(self, scope: str | None) -> QuerySet[Appeal]:
        """Open registered appeals under ``scope`` (every territory when None)."""
        query = Appeal.filter(status__in=OPEN_WITH_TERM, registered_at__isnull=False)
        return query if scope is None else query.filter(subtree(scope, "territory_path"))

    async def recompute(self, runtime: Runtime, subject_id: int, now: datetime) -> bool:
        """Rewrite the appeal's deadline columns under its revision lock (bumping it,
        so a step that read the old columns cannot write them back); re-read on a
        clash."""
        terms = runtime.service(AppealServices).terms
        for _ in range(RETRIES):
            appeal = await Appeal.get_or_none(id=subject_id)
            if appeal is None or appeal.status not in OPEN_WITH_TERM:
                return False
            await terms.recompute(appeal, now)
            changed = await Appeal.filter(id=appeal.id, revision=appeal.revision).update(
                **{name: getattr(appeal, name) for name in RECOMPUTED_FIELDS},
                revision=appeal.revision + 1)
            if changed:
                return True
        return False


class ClarificationPauses:
    """Open clarification pauses: the applicant is reminded, and silence ends them."""

    name = "appeal_clarifications"
    subject_type = SUBJECT
    steps = ("clarification_reminders", "clarification_timeouts")

    def due(self, now: datetime) -> QuerySet[DeadlinePause]:
        waiting = Subquery(Appeal.filter(status=AppealStatus.CLARIFICATION_REQUESTED)
                           .values("id"))
        return DeadlinePause.filter(subject_type=SUBJECT, ended_at__isnull=True,
                                    timeout_at__isnull=False, subject_id__in=waiting)

    def subject_id(self, row: DeadlinePause) -> int:
        return row.subject_id

    async def step(self, runtime: Runtime, row: DeadlinePause, now: datetime) -> list[str]:
        return await _sweep_pause(runtime.service(AppealServices).terms, row, now)

    def following(self, scope: str | None) -> None:
        """A pause's timeout is a span of days from its start, not a term."""
        return None

    async def recompute(self, runtime: Runtime, subject_id: int, now: datetime) -> bool:
        return False


def _crossed(fractions: list[float], done: list[float], start: datetime, end: datetime,
             now: datetime) -> list[float]:
    """The fractions of [start, end] that ``now`` has passed and nobody reminded of."""
    span = end - start
    return [f for f in sorted(fractions) if f not in done and start + span * f <= now]


def _next_reminder(fractions: list[float], done: list[float], start: datetime,
                   due: datetime, now: datetime) -> datetime:
    """When a running term next has a step to consider: its next reminder moment, or
    its due moment."""
    span = due - start
    return min([start + span * f for f in fractions if f not in done
                and start + span * f > now] + [due])


async def _sweep_running(terms: AppealTerms, appeal: Appeal, now: datetime) -> list[str]:
    assert appeal.due_at is not None and appeal.registered_at is not None
    settings = await terms.settings_for(appeal)
    due = appeal.due_at
    crossed = (_crossed(settings["reminders"], appeal.reminders_sent, appeal.registered_at,
                        due, now) if now <= due else [])
    grace = timedelta(hours=settings["escalation_grace_hours"])
    late = now > due and appeal.overdue_at is None
    escalate = now > due and appeal.escalated_at is None and now >= due + grace
    if now <= due:
        upcoming: datetime | None = _next_reminder(
            settings["reminders"], [*appeal.reminders_sent, *crossed], appeal.registered_at,
            due, now)
    else:  # past due the query's own conditions decide, after the escalation grace
        upcoming = due + grace if now < due + grace else None
    if not (crossed or late or escalate):
        if upcoming != appeal.next_check_at:
            # Not a lifecycle step: no revision bump, but only onto the revision read,
            # so a term changed meanwhile keeps its "check at the next sweep".
            await Appeal.filter(id=appeal.id, revision=appeal.revision).update(
                next_check_at=upcoming)
        return []
    appeal.next_check_at = upcoming
    taken = []
    async with in_transaction() as conn:
        if crossed:
            # Only the latest crossed fraction is announced; earlier ones a stopped
            # scheduler missed would only repeat it.
            appeal.reminders_sent = [*appeal.reminders_sent, *crossed]
            await APPEAL_STEPS.move(conn, appeal, ACTOR, Action.REMIND, appeal.status,
                                    payload={"fraction": crossed[-1], "due_at": due.isoformat()})
            taken.append("reminders")
        if late:
            appeal.overdue_at = now
            await APPEAL_STEPS.move(conn, appeal, ACTOR, Action.OVERDUE, appeal.status,
                                    payload={"due_at": due.isoformat()})
            taken.append("overdue")
        if escalate and await _escalate(conn, appeal, now):
            taken.append("escalated")
    return taken


async def _escalate(conn: BaseDBAsyncClient, appeal: Appeal, now: datetime) -> bool:
    """To the supervising body (the responsible body's parent), which gets a copy so it
    sees the appeal; an appeal without one has nobody to escalate to."""
    if appeal.organization_id is None:
        return False
    parents = await Organization.filter(id=appeal.organization_id).using_db(conn).values_list(
        "parent_id", flat=True)
    parent = parents[0] if parents else None
    if parent is None:
        return False
    appeal.escalated_at = now
    await APPEAL_STEPS.move(conn, appeal, ACTOR, Action.ESCALATE, appeal.status,
                            payload={"to_organization_id": parent})
    await AppealCopy.get_or_create(appeal_id=appeal.id, organization_id=parent, using_db=conn)
    return True


async def _sweep_pause(terms: AppealTerms, pause: DeadlinePause, now: datetime) -> list[str]:
    assert pause.timeout_at is not None
    timed_out = now >= pause.timeout_at
    crossed: list[float] = []
    appeal = await Appeal.get(id=pause.subject_id)
    if not timed_out:
        settings = await terms.settings_for(appeal)
        crossed = _crossed(settings["clarification_reminders"], pause.reminders_sent,
                           pause.started_at, pause.timeout_at, now)
        if not crossed:
            return []
    async with in_transaction() as conn:
        if timed_out:
            # The applicant did not answer in time: the pause ends at its timeout and
            # the body goes on with what it has.
            await DeadlinePause.filter(id=pause.id).using_db(conn).update(
                ended_at=pause.timeout_at)
            await terms.recompute(appeal, now, conn)
            await APPEAL_STEPS.move(
                conn, appeal, ACTOR, Action.CLARIFICATION_TIMEOUT, working_status(appeal),
                payload={"timeout_at": pause.timeout_at.isoformat(),
                         "due_at": appeal.due_at.isoformat() if appeal.due_at else None})
            return ["clarification_timeouts"]
        await DeadlinePause.filter(id=pause.id).using_db(conn).update(
            reminders_sent=[*pause.reminders_sent, *crossed])
        await APPEAL_STEPS.move(conn, appeal, ACTOR, Action.CLARIFICATION_REMINDER,
                                appeal.status, payload={
                                    "fraction": crossed[-1],
                                    "timeout_at": pause.timeout_at.isoformat()})
        return ["clarification_reminders"]
