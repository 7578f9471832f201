"""GraphQL types of deadlines: an appeal's term, calendars and previews."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Self

import strawberry
from strawberry.scalars import JSON

from vmeste.platform.appeals import models
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.deadlines.models import StoredCalendar
from vmeste.platform.deadlines.preview import Preview


@strawberry.type(description="An extension of the term (59-FZ: one, of up to 30 days).")
class DeadlineExtension:
    days: int
    reason: str
    at: datetime


@strawberry.type(description="The answer term of a subject.")
class Deadline:
    due_at: datetime | None = strawberry.field(
        description="When the answer is due (pauses and extensions included); during a "
                    "pause, as if the pause ended now.")
    policy: str | None = strawberry.field(
        description="The deadline policy: working-days:N, calendar-days:N or working-hours:N.")
    registered_at: datetime | None = strawberry.field(
        description="The registration: the term counts from the next day.")
    paused_for: float = strawberry.field(
        description="How far pauses moved the term, in the policy's units: working "
                    "days, calendar days or working hours.")
    paused: bool = strawberry.field(description="The term is paused now (waiting for a "
                                                "clarification).")
    extensions: list[DeadlineExtension]
    remaining: int | None = strawberry.field(
        description="Seconds left until the term; negative: how long it is overdue. "
                    "After the answer, what was left at the moment of answering; null for a "
                    "rejected or withdrawn one.")
    overdue: bool = strawberry.field(
        description="The term has run out and the clock runs: no answer and no pause; the "
                    "filter appeals(filter: {overdue}) counts the same way.")
    redirect_due_at: datetime | None = strawberry.field(
        description="59-FZ: by when an appeal outside the competence must be redirected.")
    calendar_version: str | None = strawberry.field(
        description="The production calendar and its version the term was computed by.")


async def appeal_deadline(info: strawberry.Info, row: models.Appeal) -> Deadline:
    """The term as the platform stands it now; batched, so a page of appeals costs one
    query for pauses and one for extensions."""
    loaders = info.context.loaders
    extensions = await loaders.appeal_extensions.load(row.id)
    pauses = await loaders.appeal_pauses.load(row.id)
    territory = await loaders.territory.load(row.territory_id)
    terms = info.context.runtime.service(AppealServices).terms
    standing = await terms.standing(row, territory.timezone, pauses, extensions,
                                    datetime.now(UTC))
    return Deadline(
        due_at=standing.due_at, policy=row.deadline_policy, registered_at=row.registered_at,
        paused_for=standing.paused_for, paused=standing.paused,
        extensions=[DeadlineExtension(days=e.units, reason=e.reason, at=e.at)
                    for e in extensions],
        remaining=standing.remaining, overdue=standing.overdue,
        redirect_due_at=row.redirect_due_at, calendar_version=row.calendar_version)


@strawberry.type(description="A version of a production calendar.")
class Calendar:
    name: str
    version: str
    territory_code: str = strawberry.field(
        description="The territory the calendar is bound to (RU: the federal one).")
    base: str | None = strawberry.field(description="The calendar it is built on top of.")
    current: bool
    author: str
    created_at: datetime
    checksum: str
    document: JSON = strawberry.field(description="The calendar document as imported.")

    @classmethod
    def from_model(cls, row: StoredCalendar) -> Self:
        return cls(name=row.name, version=row.version, territory_code=row.territory_code,
                   base=row.base, current=row.current, author=row.author,
                   created_at=row.created_at, checksum=row.checksum, document=row.data)


@strawberry.type(description="A term computed without a subject.")
class DeadlinePreview:
    start: datetime
    due_at: datetime
    policy: str
    strategy: str = strawberry.field(
        description="What chose the policy: the region's strategy, 59-fz or explicit.")
    calendar: str
    calendar_version: str
    timezone: str
    covered: bool = strawberry.field(
        description="false: the term runs past the years the calendar has decree data "
                    "for; day moves there are not counted.")
    redirect_due_at: datetime | None

    @classmethod
    def from_preview(cls, found: Preview) -> Self:
        return cls(start=found.start, due_at=found.due_at, policy=str(found.policy),
                   strategy=found.strategy, calendar=found.calendar,
                   calendar_version=found.calendar_version, timezone=found.timezone,
                   covered=found.covered, redirect_due_at=found.secondary_due_at)
