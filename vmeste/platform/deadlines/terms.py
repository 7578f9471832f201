"""An appeal's term: choosing its policy at registration, and recomputing its due moment.

The due moment is always recomputed from the registration moment, every pause and
every extension, never adjusted in place, so paused time survives a change of policy
(a conversion between legal tracks) or of calendar (an import).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.appeals.models import Appeal, LegalTrack
from vmeste.platform.deadlines.calendar import ProductionCalendar
from vmeste.platform.deadlines.clock import Pause, Policy, due_with_pauses, parse_policy
from vmeste.platform.deadlines.models import AppealExtension, AppealPause
from vmeste.platform.deadlines.policy import (
    REDIRECT_59FZ,
    DeadlineChooser,
    DeadlineRequest,
    DeadlineRules,
)
from vmeste.platform.deadlines.store import CalendarStore
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.reference.models import PATH_SEPARATOR, Category, Territory
from vmeste.platform.versions import REFERENCE_TREE_VERSION, current_version

#: The appeal columns a registration or a recomputation writes.
DEADLINE_FIELDS = ("registered_at", "deadline_policy", "due_at", "calendar_version",
                   "redirect_due_at")
#: The columns :meth:`Deadlines.recompute` may change: the deadline, and the watchdog's
#: record of what it did about the old one.
RECOMPUTED_FIELDS = (*DEADLINE_FIELDS, "overdue_at", "reminders_sent", "escalated_at",
                     "next_check_at")


@dataclass(frozen=True)
class Term:
    """Everything needed to compute an item's due moment."""

    policy: Policy
    calendar: ProductionCalendar
    tz: ZoneInfo
    pauses: tuple[Pause, ...] = ()
    extensions: int = 0

    def due(self, registered_at: datetime, now: datetime) -> datetime:
        return due_with_pauses(self.policy, registered_at, self.pauses, self.calendar,
                               self.tz, now, self.extensions)


class CategoryPolicies:
    """Category paths → the deadline policy each inherits, cached per process until the
    reference tree's ConfigVersion changes (categories are edited rarely, and a
    submission should not pay a query for its category's ancestors)."""

    def __init__(self, check_seconds: float) -> None:
        self.check_seconds = check_seconds
        self._cache: dict[str, str | None] = {}
        self._version = -1
        self._checked_at = 0.0

    async def inherited(self, category: Category) -> str | None:
        if category.deadline_policy:
            return category.deadline_policy
        now = time.monotonic()
        if now - self._checked_at >= self.check_seconds:
            version = await current_version(REFERENCE_TREE_VERSION)
            self._checked_at = now
            if version != self._version:
                self._cache.clear()
                self._version = version
        if category.path not in self._cache:
            codes = category.path.split(PATH_SEPARATOR)
            found = dict(await Category.filter(code__in=codes, deadline_policy__isnull=False)
                         .values_list("code", "deadline_policy"))
            self._cache[category.path] = next(
                (found[c] for c in reversed(codes) if found.get(c)), None)
        return self._cache[category.path]


class Deadlines:
    """The deadline side of the appeal lifecycle, bound to this process's caches."""

    def __init__(self, resolver: PolicyResolver, calendars: CalendarStore,
                 check_seconds: float = 2.0) -> None:
        self.chooser = DeadlineChooser(resolver)
        self.calendars = calendars
        self.categories = CategoryPolicies(check_seconds)

    async def request(self, territory_code: str, category: Category, track: LegalTrack
                      ) -> DeadlineRequest:
        return DeadlineRequest(
            territory_code=territory_code,
            category_codes=tuple(category.path.split(PATH_SEPARATOR)),
            category_policy=await self.categories.inherited(category), legal_track=track)

    async def rules(self, territory_code: str, category: Category, track: LegalTrack
                    ) -> DeadlineRules:
        return await self.chooser.rules(await self.request(territory_code, category, track))

    async def settings_for(self, appeal: Appeal) -> Mapping[str, Any]:
        """The settings of the deadline strategy serving the appeal's territory."""
        return (await self.chooser.strategy(territory_code(appeal)))[1]

    async def rules_for(self, appeal: Appeal, track: LegalTrack | None = None
                        ) -> DeadlineRules:
        category = await Category.get(id=appeal.category_id)
        return await self.rules(territory_code(appeal), category, track or appeal.legal_track)

    async def registration(self, territory: Territory, category: Category, track: LegalTrack,
                           now: datetime) -> dict[str, Any]:
        """The deadline columns of an appeal registered ``now`` (no pauses yet)."""
        rules = await self.rules(territory.code, category, track)
        calendar = await self.calendars.for_path(territory.path)
        term = Term(rules.policy, calendar, ZoneInfo(territory.timezone))
        return _columns(term, track, now, now)

    async def term(self, appeal: Appeal, using: BaseDBAsyncClient | None = None,
                   policy: Policy | None = None, track: LegalTrack | None = None) -> Term:
        """The appeal's term as stored: its policy (or ``policy``), its territory's
        calendar and zone, its pauses and, on the 59-ФЗ track, its extension."""
        assert appeal.deadline_policy is not None or policy is not None
        timezone = await Territory.filter(id=appeal.territory_id).using_db(using).values_list(
            "timezone", flat=True)
        pauses = await AppealPause.filter(appeal_id=appeal.id).using_db(using).values_list(
            "started_at", "ended_at")
        units = 0
        if (track or appeal.legal_track) == LegalTrack.APPEAL_59FZ:
            units = sum(await AppealExtension.filter(appeal_id=appeal.id).using_db(using)
                        .values_list("units", flat=True))
        return Term(policy or parse_policy(appeal.deadline_policy or ""),
                    await self.calendars.for_path(appeal.territory_path),
                    ZoneInfo(timezone[0]), tuple(pauses), units)

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


def territory_code(appeal: Appeal) -> str:
    """The appeal's territory code: the last step of its stored path."""
    return appeal.territory_path.rsplit(PATH_SEPARATOR, 1)[-1]


def _columns(term: Term, track: LegalTrack, registered_at: datetime, now: datetime
             ) -> dict[str, Any]:
    redirect = None
    if track == LegalTrack.APPEAL_59FZ:
        redirect = Term(REDIRECT_59FZ, term.calendar, term.tz).due(registered_at, now)
    return {"registered_at": registered_at, "deadline_policy": str(term.policy),
            "due_at": term.due(registered_at, now), "calendar_version": term.calendar.version,
            "redirect_due_at": redirect}

