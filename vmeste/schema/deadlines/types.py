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


@strawberry.type(description="Продление срока (59-ФЗ: одно, до 30 дней).")
class DeadlineExtension:
    days: int
    reason: str
    at: datetime


@strawberry.type(description="Срок ответа по обращению.")
class Deadline:
    due_at: datetime | None = strawberry.field(
        description="Когда ответ должен быть дан (с учётом пауз и продлений); во время "
                    "паузы — если бы пауза закончилась сейчас.")
    policy: str | None = strawberry.field(
        description="Политика срока: working-days:N, calendar-days:N или working-hours:N.")
    registered_at: datetime | None = strawberry.field(
        description="Регистрация обращения: срок считается со следующего дня.")
    paused_for: float = strawberry.field(
        description="На сколько паузы отодвинули срок, в единицах политики: рабочих "
                    "днях, календарных днях или рабочих часах.")
    paused: bool = strawberry.field(description="Срок сейчас приостановлен (ждём уточнения).")
    extensions: list[DeadlineExtension]
    remaining: int | None = strawberry.field(
        description="Сколько секунд осталось до срока; отрицательное — на сколько просрочено. "
                    "После ответа — сколько оставалось в момент ответа; у отклонённого и "
                    "отозванного — null.")
    overdue: bool = strawberry.field(
        description="Срок истёк, а часы идут: ответа нет и срок не приостановлен; так же "
                    "считает фильтр appeals(filter: {overdue}).")
    redirect_due_at: datetime | None = strawberry.field(
        description="59-ФЗ: до какого момента обращение вне компетенции нужно перенаправить.")
    calendar_version: str | None = strawberry.field(
        description="Производственный календарь и его версия, по которым посчитан срок.")


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


@strawberry.type(description="Версия производственного календаря.")
class Calendar:
    name: str
    version: str
    territory_code: str = strawberry.field(
        description="Территория, к которой привязан календарь (RU — федеральный).")
    base: str | None = strawberry.field(description="Календарь, поверх которого он строится.")
    current: bool
    author: str
    created_at: datetime
    checksum: str
    document: JSON = strawberry.field(description="Документ календаря, как он загружен.")

    @classmethod
    def from_model(cls, row: StoredCalendar) -> Self:
        return cls(name=row.name, version=row.version, territory_code=row.territory_code,
                   base=row.base, current=row.current, author=row.author,
                   created_at=row.created_at, checksum=row.checksum, document=row.data)


@strawberry.type(description="Срок, посчитанный без обращения.")
class DeadlinePreview:
    start: datetime
    due_at: datetime
    policy: str
    strategy: str = strawberry.field(
        description="Кто выбрал политику: стратегия региона, 59-fz или explicit.")
    calendar: str
    calendar_version: str
    timezone: str
    covered: bool = strawberry.field(
        description="false — срок выходит за годы, для которых в календаре есть данные "
                    "постановлений; переносы там не учтены.")
    redirect_due_at: datetime | None

    @classmethod
    def from_preview(cls, found: Preview) -> Self:
        return cls(start=found.start, due_at=found.due_at, policy=str(found.policy),
                   strategy=found.strategy, calendar=found.calendar,
                   calendar_version=found.calendar_version, timezone=found.timezone,
                   covered=found.covered, redirect_due_at=found.secondary_due_at)
