"""An appeal's terms: the 59-ФЗ statute or the region's policy at registration, and
the due moment recomputed from the appeal's pauses and extensions.

The clock itself is the deadlines package's, for any subject; what is the appeal's
own lives here: a formal appeal under 59-ФЗ gets 30 calendar days (art. 12), must be
redirected within 7 days when outside the body's competence (art. 8 p. 3), and may be
extended once by up to 30 days (art. 12 p. 2), while a platform message gets what the
region policy's strategy chooses and is never extended. A clarification request
pauses either clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.appeals.lifecycle import CLOCK_RUNNING
from vmeste.platform.appeals.models import Appeal, AppealStatus, LegalTrack
from vmeste.platform.deadlines.clock import CalendarDays, Policy, parse_policy
from vmeste.platform.deadlines.models import DeadlineExtension, DeadlinePause
from vmeste.platform.deadlines.policy import DeadlineRules
from vmeste.platform.deadlines.preview import Preview, preview
from vmeste.platform.deadlines.terms import Deadlines, Subject, Term
from vmeste.platform.reference.models import PATH_SEPARATOR, Category, Territory

#: How appeals name themselves to the deadlines package.
SUBJECT = "appeal"
#: 59-ФЗ art. 12: thirty days from registration.
STATUTE_59FZ = CalendarDays(30)
#: 59-ФЗ art. 8 p. 3: an appeal outside the body's competence is redirected within 7 days.
REDIRECT_59FZ = CalendarDays(7)
#: 59-ФЗ art. 12 p. 2: one extension of up to thirty days.
MAX_EXTENSION_DAYS = 30
#: Why a clock was paused: the body asked the applicant for a clarification.
CLARIFICATION = "clarification"
#: The appeal columns a registration or a recomputation writes.
DEADLINE_FIELDS = ("registered_at", "deadline_policy", "due_at", "calendar_version",
                   "redirect_due_at")
#: The columns :meth:`AppealTerms.recompute` may change: the deadline, and the
#: watchdog's record of what it did about the old one.
RECOMPUTED_FIELDS = (*DEADLINE_FIELDS, "overdue_at", "reminders_sent", "escalated_at",
                     "next_check_at")
#: Appeals whose clock is running or paused: their due moments follow the calendar.
OPEN_WITH_TERM = (*CLOCK_RUNNING, AppealStatus.CLARIFICATION_REQUESTED)
ANSWERED = frozenset({AppealStatus.ANSWERED, AppealStatus.CLOSED})
DROPPED = frozenset({AppealStatus.REJECTED, AppealStatus.WITHDRAWN})


def local_day(moment: datetime, timezone: str) -> date:
    """The day ``moment`` falls on in ``timezone``: statistics count periods in the
    territory's own days, not the server's."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def first_answer(appeal: Appeal, at: datetime) -> None:
    """Stamp the first answer (not saved): its moment, the time from registration, and
    whether the due moment in force was kept. Later answers after rework change none of
    it, so the time to answer is the citizen's wait for the first reply."""
    appeal.first_answered_at = at
    if appeal.registered_at is not None:
        appeal.answer_seconds = max(int((at - appeal.registered_at).total_seconds()), 0)
    if appeal.due_at is not None:
        appeal.answered_late = at > appeal.due_at


def subject(appeal: Appeal) -> Subject:
    return Subject(SUBJECT, appeal.id)


def territory_code(appeal: Appeal) -> str:
    """The appeal's territory code: the last step of its stored path."""
    return appeal.territory_path.rsplit(PATH_SEPARATOR, 1)[-1]


@dataclass(frozen=True)
class AppealStanding:
    """An appeal's term as of a moment, as the API shows it."""

    due_at: datetime | None
    paused_for: float
    paused: bool
    #: Seconds left (negative: overdue by); after the answer, what was left then; None
    #: for a rejected or withdrawn appeal.
    remaining: int | None
    #: Past due while the clock runs (not paused, not answered).
    overdue: bool


class AppealTerms:
    """Appeals' side of the deadlines, bound to this process's :class:`Deadlines`."""

    def __init__(self, deadlines: Deadlines) -> None:
        self.deadlines = deadlines

    async def rules(self, territory_code: str, category: Category | None, track: LegalTrack
                    ) -> DeadlineRules:
        if track == LegalTrack.APPEAL_59FZ:
            # The statute, whatever the region chose; its settings still govern the
            # reminders and the pauses.
            return DeadlineRules(STATUTE_59FZ, "59-fz",
                                 await self.deadlines.settings(territory_code))
        return await self.deadlines.rules(
            await self.deadlines.request(SUBJECT, territory_code, category))

    async def settings_for(self, appeal: Appeal) -> Mapping[str, Any]:
        """The settings of the deadline strategy serving the appeal's territory."""
        return await self.deadlines.settings(territory_code(appeal))

    async def rules_for(self, appeal: Appeal, track: LegalTrack | None = None
                        ) -> DeadlineRules:
        category = await Category.get(id=appeal.category_id)
        return await self.rules(territory_code(appeal), category, track or appeal.legal_track)

    async def registration(self, territory: Territory, category: Category, track: LegalTrack,
                           now: datetime) -> dict[str, Any]:
        """The deadline columns of an appeal registered ``now`` (no pauses yet)."""
        rules = await self.rules(territory.code, category, track)
        term = await self.deadlines.term(rules.policy, territory.path, territory.timezone)
        return _columns(term, track, now, now)

    async def term(self, appeal: Appeal, using: BaseDBAsyncClient | None = None,
                   policy: Policy | None = None, track: LegalTrack | None = None) -> Term:
        """The appeal's term as stored: its policy (or ``policy``), its territory's
        calendar and zone, its pauses and, on the 59-ФЗ track, its extension."""
        assert appeal.deadline_policy is not None or policy is not None
        timezone = await Territory.filter(id=appeal.territory_id).using_db(using).values_list(
            "timezone", flat=True)
        return await self.deadlines.stored_term(
            subject(appeal), policy or parse_policy(appeal.deadline_policy or ""),
            appeal.territory_path, timezone[0], using=using,
            extended=(track or appeal.legal_track) == LegalTrack.APPEAL_59FZ)

    async def recompute(self, appeal: Appeal, now: datetime,
                        using: BaseDBAsyncClient | None = None, policy: Policy | None = None
                        ) -> None:
        """Set the appeal's :data:`RECOMPUTED_FIELDS` (not saved) from its registration,
        pauses and extensions; an unregistered appeal has none to set.

        A deadline that moved later is a new term for the watchdog: a reminder already
        sent is sent again only if its moment under the new term is still ahead (one
        whose moment has passed either way would only repeat itself), and once the
        deadline lies in the future again so do its overdue marking and its escalation
        (the steps already taken stay in the history); else the new term would run
        unwatched."""
        if appeal.registered_at is None:
            return
        before = appeal.due_at
        term = await self.term(appeal, using, policy)
        for name, value in _columns(term, appeal.legal_track, appeal.registered_at,
                                    now).items():
            setattr(appeal, name, value)
        if before is not None and appeal.due_at > before:
            span = appeal.due_at - appeal.registered_at
            appeal.reminders_sent = [fraction for fraction in appeal.reminders_sent
                                     if appeal.registered_at + span * fraction <= now]
        if appeal.due_at > now:
            appeal.overdue_at = None
            appeal.escalated_at = None
        appeal.next_check_at = None  # the watchdog looks at the new term on its next sweep

    async def standing(self, appeal: Appeal, timezone: str,
                       pauses: Sequence[DeadlinePause],
                       extensions: Sequence[DeadlineExtension], now: datetime
                       ) -> AppealStanding:
        """The term as stored, with the pause and the time left as of ``now``, from
        pauses and extensions the caller loaded (a page of appeals in one query each)."""
        due, paused_for, paused = appeal.due_at, 0.0, False
        if pauses and appeal.deadline_policy and appeal.registered_at:
            units = (sum(e.units for e in extensions)
                     if appeal.legal_track == LegalTrack.APPEAL_59FZ else 0)
            term = await self.deadlines.term(
                parse_policy(appeal.deadline_policy), appeal.territory_path, timezone,
                [(p.started_at, p.ended_at) for p in pauses], units)
            found = term.standing(appeal.registered_at, appeal.due_at, now)
            due, paused_for, paused = found.due_at, found.paused_for, found.paused
        # The clock stopped at the answer; a rejected or withdrawn appeal has no term left.
        at = appeal.answered_at if appeal.status in ANSWERED and appeal.answered_at else now
        return AppealStanding(
            due_at=due, paused_for=paused_for, paused=paused,
            remaining=(int((due - at).total_seconds())
                       if due and appeal.status not in DROPPED else None),
            overdue=due is not None and appeal.status in CLOCK_RUNNING and now > due)

    async def preview(self, *, territory_code: str, start: str | None = None,
                      category_code: str | None = None, policy: str | None = None,
                      legal_track: LegalTrack = LegalTrack.MESSAGE) -> Preview:
        """The deadline an appeal registered at ``start`` would get (``policy`` when
        given); a 59-ФЗ appeal's preview carries its redirect term as the second one."""
        formal = legal_track == LegalTrack.APPEAL_59FZ
        return await preview(
            self.deadlines, subject_type=SUBJECT, territory_code=territory_code, start=start,
            category_code=category_code, policy=policy,
            statute=DeadlineRules(STATUTE_59FZ, "59-fz", {}) if formal else None,
            secondary=REDIRECT_59FZ if formal else None)


def _columns(term: Term, track: LegalTrack, registered_at: datetime, now: datetime
             ) -> dict[str, Any]:
    redirect = None
    if track == LegalTrack.APPEAL_59FZ:
        redirect = Term(REDIRECT_59FZ, term.calendar, term.tz).due(registered_at, now)
    return {"registered_at": registered_at, "deadline_policy": str(term.policy),
            "due_at": term.due(registered_at, now), "calendar_version": term.calendar.version,
            "redirect_due_at": redirect}
