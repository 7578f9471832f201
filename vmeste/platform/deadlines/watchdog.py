"""The deadline watchdog: one sweep over running clocks and open pauses.

Each step it takes is an appeal event written through the lifecycle's optimistic lock
(the appeal's revision), and what it did is recorded on the row it checks before
acting (``reminders_sent``, ``overdue_at``, ``escalated_at``, the pause's own
``reminders_sent`` and ``ended_at``). So a sweep repeated, or two schedulers sweeping
at once, take every step exactly once: the loser of a race hits the revision check,
rolls back, and finds the step done on its next sweep.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from vmeste.platform.appeals.lifecycle import CLOCK_RUNNING, Action
from vmeste.platform.appeals.models import Appeal, AppealCopy, AppealStatus

# The lifecycle's own step writers: the watchdog's steps must take the same lock and
# reach the outbox the same way as a person's.
from vmeste.platform.appeals.services import _move, _working_status
from vmeste.platform.deadlines.models import AppealPause
from vmeste.platform.deadlines.terms import Deadlines
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.reference.models import Organization

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

ACTOR = "system:watchdog"
BATCH = 500
COUNTS = ("reminders", "overdue", "escalated", "clarification_reminders",
          "clarification_timeouts", "conflicts", "failed")
log = logging.getLogger("vmeste.deadlines")


async def run_watchdog(runtime: Runtime, now: datetime | None = None) -> dict[str, int]:
    """One idempotent sweep; returns how many steps of each kind it took, how many
    appeals it left to the next sweep because someone changed them meanwhile
    (``conflicts``), and how many it could not handle (``failed``: logged, and tried
    again on the next sweep, without holding up the others)."""
    now = now or datetime.now(UTC)
    deadlines = runtime.deadlines
    counts = dict.fromkeys(COUNTS, 0)
    async for appeal in _batches(_watched(now)):
        await _guarded(counts, appeal.id, _sweep_running(deadlines, appeal, now, counts))
    paused = AppealPause.filter(ended_at__isnull=True, timeout_at__isnull=False,
                                appeal__status=AppealStatus.CLARIFICATION_REQUESTED)
    async for pause in _batches(paused):
        await _guarded(counts, pause.appeal_id, _sweep_pause(deadlines, pause, now, counts))
    return counts


def _watched(now: datetime) -> QuerySet[Appeal]:
    """Running clocks that may have a step to take. Before the due moment that is a
    reminder, whose fractions are the region's settings, so a row is read once and
    then not again before its ``next_check_at`` (its next reminder moment or its due
    moment); after it, the overdue marking, or an escalation still owed to a body that
    has a parent. An overdue appeal with nobody to escalate to is not read again until
    its deadline or its body changes."""
    supervised = Subquery(Organization.filter(parent_id__isnull=False).values("id"))
    return Appeal.filter(
        Q(due_at__gte=now) | Q(overdue_at__isnull=True)
        | Q(escalated_at__isnull=True, organization_id__in=supervised),
        Q(next_check_at__isnull=True) | Q(next_check_at__lte=now),
        status__in=CLOCK_RUNNING, due_at__isnull=False, registered_at__isnull=False)


async def _batches(query: QuerySet[Any]) -> AsyncIterator[Any]:
    last = 0
    while True:
        rows = await query.filter(id__gt=last).order_by("id").limit(BATCH)
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].id


async def _guarded(counts: dict[str, int], appeal_id: int, step: Coroutine[Any, Any, None]
                   ) -> None:
    """One appeal's step; whatever goes wrong with it stays with it."""
    try:
        await step
    except DomainError as error:
        if error.errors[0].code == ErrorCode.CONFLICT:
            counts["conflicts"] += 1
        else:
            _failed(counts, appeal_id, error)
    except Exception as error:
        _failed(counts, appeal_id, error)


def _failed(counts: dict[str, int], appeal_id: int, error: Exception) -> None:
    # The type only: a message may carry the appeal's personal data.
    log.warning("deadline watchdog: appeal %d failed: %s", appeal_id, type(error).__name__)
    counts["failed"] += 1


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


async def _sweep_running(deadlines: Deadlines, appeal: Appeal, now: datetime,
                         counts: dict[str, int]) -> None:
    assert appeal.due_at is not None and appeal.registered_at is not None
    settings = await deadlines.settings_for(appeal)
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
        return
    appeal.next_check_at = upcoming
    async with in_transaction() as conn:
        if crossed:
            # Only the latest crossed fraction is announced; earlier ones a stopped
            # scheduler missed would only repeat it.
            appeal.reminders_sent = [*appeal.reminders_sent, *crossed]
            await _move(conn, appeal, ACTOR, Action.REMIND, appeal.status, payload={
                "fraction": crossed[-1], "due_at": due.isoformat()})
            counts["reminders"] += 1
        if late:
            appeal.overdue_at = now
            await _move(conn, appeal, ACTOR, Action.OVERDUE, appeal.status,
                        payload={"due_at": due.isoformat()})
            counts["overdue"] += 1
        if escalate:
            await _escalate(conn, appeal, now, counts)


async def _escalate(conn: BaseDBAsyncClient, appeal: Appeal, now: datetime,
                    counts: dict[str, int]) -> None:
    """To the supervising body (the responsible body's parent), which gets a copy so it
    sees the appeal; an appeal without one has nobody to escalate to."""
    if appeal.organization_id is None:
        return
    parents = await Organization.filter(id=appeal.organization_id).using_db(conn).values_list(
        "parent_id", flat=True)
    parent = parents[0] if parents else None
    if parent is None:
        return
    appeal.escalated_at = now
    await _move(conn, appeal, ACTOR, Action.ESCALATE, appeal.status,
                payload={"to_organization_id": parent})
    await AppealCopy.get_or_create(appeal_id=appeal.id, organization_id=parent, using_db=conn)
    counts["escalated"] += 1


async def _sweep_pause(deadlines: Deadlines, pause: AppealPause, now: datetime,
                       counts: dict[str, int]) -> None:
    assert pause.timeout_at is not None
    timed_out = now >= pause.timeout_at
    crossed: list[float] = []
    appeal = await Appeal.get(id=pause.appeal_id)
    if not timed_out:
        settings = await deadlines.settings_for(appeal)
        crossed = _crossed(settings["clarification_reminders"], pause.reminders_sent,
                           pause.started_at, pause.timeout_at, now)
        if not crossed:
            return
    async with in_transaction() as conn:
        if timed_out:
            # The applicant did not answer in time: the pause ends at its timeout and
            # the body goes on with what it has.
            await AppealPause.filter(id=pause.id).using_db(conn).update(
                ended_at=pause.timeout_at)
            await deadlines.recompute(appeal, now, conn)
            await _move(conn, appeal, ACTOR, Action.CLARIFICATION_TIMEOUT,
                        _working_status(appeal), payload={
                            "timeout_at": pause.timeout_at.isoformat(),
                            "due_at": appeal.due_at.isoformat() if appeal.due_at else None})
            counts["clarification_timeouts"] += 1
            return
        await AppealPause.filter(id=pause.id).using_db(conn).update(
            reminders_sent=[*pause.reminders_sent, *crossed])
        await _move(conn, appeal, ACTOR, Action.CLARIFICATION_REMINDER, appeal.status,
                    payload={"fraction": crossed[-1],
                             "timeout_at": pause.timeout_at.isoformat()})
        counts["clarification_reminders"] += 1
