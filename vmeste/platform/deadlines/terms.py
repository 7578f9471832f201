"""A subject's term: choosing its policy, and computing its due moment from the stored
pauses and extensions.

The due moment is always recomputed from the registration moment, every pause and
every extension, never adjusted in place, so paused time survives a change of policy
and of calendar (an import). Which subject it is (an appeal, a hearing's stage, an
incident) matters only to the component that owns it: here a subject is a type and
an id.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.deadlines.calendar import ProductionCalendar
from vmeste.platform.deadlines.clock import (
    Pause,
    Policy,
    WorkingHours,
    due_with_pauses,
    paused_for,
)
from vmeste.platform.deadlines.models import DeadlineExtension, DeadlinePause
from vmeste.platform.deadlines.policy import DeadlineChooser, DeadlineRequest, DeadlineRules
from vmeste.platform.deadlines.store import CalendarStore
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.reference.models import PATH_SEPARATOR, Category
from vmeste.platform.versions import REFERENCE_TREE_VERSION, current_version

if TYPE_CHECKING:
    from vmeste.platform.deadlines.kinds import DeadlineKind

_HOUR = 3600


@dataclass(frozen=True)
class Subject:
    """What a clock belongs to, as its pauses and extensions name it."""

    type: str
    id: int


@dataclass(frozen=True)
class Standing:
    """A term as of a moment: what an API shows about it."""

    #: The due moment; while paused, as if the pause ended at that moment.
    due_at: datetime | None
    #: How far the pauses moved the term, in the policy's unit (hours for working
    #: hours, days otherwise).
    paused_for: float
    #: Whether a pause is open.
    paused: bool


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

    def standing(self, registered_at: datetime, stored_due: datetime | None,
                 now: datetime) -> Standing:
        """The stored due moment stays right until a pause opens; an open pause moves
        it on with every moment it lasts."""
        paused = any(end is None for _, end in self.pauses)
        amount = paused_for(self.policy, self.pauses, self.calendar, self.tz, now)
        units = (amount.total_seconds() / _HOUR if isinstance(self.policy, WorkingHours)
                 else float(amount.days))
        return Standing(due_at=self.due(registered_at, now) if paused else stored_due,
                        paused_for=units, paused=paused)


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
    """Terms of any subject, bound to this process's caches, and the deadline kinds the
    components declare (the watchdog sweeps them; a calendar import recomputes the
    terms they hold)."""

    def __init__(self, resolver: PolicyResolver, calendars: CalendarStore,
                 check_seconds: float = 2.0, kinds: Sequence[DeadlineKind] = ()) -> None:
        self.chooser = DeadlineChooser(resolver)
        self.calendars = calendars
        self.categories = CategoryPolicies(check_seconds)
        self.kinds = tuple(kinds)

    async def request(self, subject_type: str, territory_code: str,
                      category: Category | None) -> DeadlineRequest:
        if category is None:
            return DeadlineRequest(subject_type, territory_code, (), None)
        return DeadlineRequest(
            subject_type=subject_type, territory_code=territory_code,
            category_codes=tuple(category.path.split(PATH_SEPARATOR)),
            category_policy=await self.categories.inherited(category))

    async def rules(self, request: DeadlineRequest) -> DeadlineRules:
        return await self.chooser.rules(request)

    async def settings(self, territory_code: str) -> Mapping[str, Any]:
        """The settings of the deadline strategy serving the territory."""
        return (await self.chooser.strategy(territory_code))[1]

    async def term(self, policy: Policy, territory_path: str, timezone: str,
                   pauses: Sequence[Pause] = (), extensions: int = 0) -> Term:
        """A term on the current calendar of the territory, from pauses and extensions
        already at hand (a page of items loads them in one query)."""
        return Term(policy, await self.calendars.for_path(territory_path), ZoneInfo(timezone),
                    tuple(pauses), extensions)

    async def stored_term(self, subject: Subject, policy: Policy, territory_path: str,
                          timezone: str, *, extended: bool = True,
                          using: BaseDBAsyncClient | None = None) -> Term:
        """The subject's term with its stored pauses and, when ``extended``, its
        extensions (a subject whose rules disregard them passes False)."""
        return await self.term(policy, territory_path, timezone,
                               await pauses_of(subject, using),
                               await extension_units(subject, using) if extended else 0)


async def pauses_of(subject: Subject, using: BaseDBAsyncClient | None = None
                    ) -> list[Pause]:
    return list(await DeadlinePause.filter(
        subject_type=subject.type, subject_id=subject.id).using_db(using).values_list(
            "started_at", "ended_at"))


async def extension_units(subject: Subject, using: BaseDBAsyncClient | None = None) -> int:
    return sum(await DeadlineExtension.filter(
        subject_type=subject.type, subject_id=subject.id).using_db(using).values_list(
            "units", flat=True))


async def pause(conn: BaseDBAsyncClient, subject: Subject, started_at: datetime, reason: str,
                timeout_at: datetime | None = None) -> DeadlinePause:
    """Stop the subject's clock (in the step's transaction)."""
    return await DeadlinePause.create(subject_type=subject.type, subject_id=subject.id,
                                      started_at=started_at, reason=reason,
                                      timeout_at=timeout_at, using_db=conn)


async def resume(conn: BaseDBAsyncClient, subject: Subject, at: datetime) -> None:
    """End the subject's open pauses at ``at``."""
    await DeadlinePause.filter(subject_type=subject.type, subject_id=subject.id,
                               ended_at__isnull=True).using_db(conn).update(ended_at=at)


async def extend(conn: BaseDBAsyncClient, subject: Subject, units: int, reason: str,
                 actor: str) -> DeadlineExtension:
    return await DeadlineExtension.create(subject_type=subject.type, subject_id=subject.id,
                                          units=units, reason=reason, actor=actor,
                                          using_db=conn)


async def extended(subject: Subject) -> bool:
    return await DeadlineExtension.exists(subject_type=subject.type, subject_id=subject.id)
