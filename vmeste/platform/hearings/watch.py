"""The hearing clock: the deadline watchdog opens the exposition on its first day, and
ends the proposals (to the meeting of a public hearing, then to the protocol) when
their stage is over, at midnight in the territory's time zone.

Each step sets ``next_check_at`` to the start of the next stage it takes, so the
sweep's query is one index range. A stage counted in working days moves with the
production calendar: an import recomputes the running hearings' dates from their
notice day with the lengths the organiser chose (:meth:`HearingClock.recompute`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from tortoise.queryset import QuerySet

from vmeste.platform.errors import DomainError
from vmeste.platform.hearings import hearings, schedule
from vmeste.platform.hearings.models import Hearing, HearingKind, ProcedureTemplate
from vmeste.platform.hearings.models import HearingStatus as S
from vmeste.platform.reference.models import subtree

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

ACTOR = "system:watchdog"
#: The stages the clock moves on.
MOVING = (S.NOTICE, S.EXPOSITION, S.MEETING)


async def advance(hearing: Hearing, now: datetime) -> list[str]:
    """Every step whose moment has come, oldest first (a scheduler that was down takes
    them all)."""
    taken = []
    while hearing.status in MOVING and hearing.next_check_at and hearing.next_check_at <= now:
        if hearing.status is S.NOTICE:
            await hearings.open_exposition(hearing, ACTOR, now)
            taken.append("exposition_opened")
        elif hearing.status is S.EXPOSITION and hearing.kind is HearingKind.PUBLIC_HEARING:
            await hearings.hold_meeting(hearing, ACTOR)
            taken.append("meeting_held")
        else:
            await hearings.close_proposals(hearing, ACTOR)
            taken.append("proposals_closed")
    return taken


class HearingClock:
    name = "hearing_clock"
    subject_type = "hearing"
    steps = ("exposition_opened", "meeting_held", "proposals_closed")

    def due(self, now: datetime) -> QuerySet[Hearing]:
        return Hearing.filter(status__in=MOVING, next_check_at__lte=now)

    def subject_id(self, row: Hearing) -> int:
        return row.id

    async def step(self, runtime: Runtime, row: Hearing, now: datetime) -> list[str]:
        return await advance(row, now)

    def following(self, scope: str | None) -> QuerySet[Hearing]:
        """Hearings whose stages still lie ahead (a stage in working days moves with the
        calendar; one without is read and left as it is)."""
        query = Hearing.filter(status__in=MOVING)
        return query if scope is None else query.filter(subtree(scope, "territory_path"))

    async def recompute(self, runtime: Runtime, subject_id: int, now: datetime) -> bool:
        """The dates again from the notice day on the current calendar, written onto the
        revision read (a step meanwhile wins and the import's next batch is not needed:
        the step read the old dates, so the recomputation is tried once more)."""
        for _ in range(3):
            hearing = await Hearing.get_or_none(id=subject_id)
            if (hearing is None or hearing.status not in MOVING
                    or not schedule.follows_calendar(hearing.schedule)):
                return False
            template = await ProcedureTemplate.get(id=hearing.template_id)
            production = await runtime.deadlines.calendars.for_path(hearing.territory_path)
            notice_on = date.fromisoformat(hearing.schedule["notice"]["starts_on"])
            try:
                periods = schedule.compute(template, notice_on, production,
                                           schedule.lengths_of(hearing.schedule))
            except DomainError:  # the new calendar breaks the term: keep the dates
                return False
            dates = schedule.as_json(periods)
            if dates == hearing.schedule:
                return False
            check = hearings.next_check(hearing.status, dates, await hearings.zone_of(hearing))
            changed = await Hearing.filter(id=hearing.id, revision=hearing.revision).update(
                schedule=dates, next_check_at=check, revision=hearing.revision + 1)
            if changed:
                return True
        return False
