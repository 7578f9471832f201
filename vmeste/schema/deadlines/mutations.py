"""Importing production calendars."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from vmeste.platform.deadlines.services import import_calendar
from vmeste.schema.deadlines.types import Calendar
from vmeste.schema.errors import UserError, run_mutation


@strawberry.type
class ImportCalendarPayload:
    calendar: Calendar | None
    affected: int = strawberry.field(
        description="Сколько открытых обращений затронуто: их сроки по новому календарю "
                    "пересчитывает фоновая задача, обычно за секунды.")
    user_errors: list[UserError]


@strawberry.type
class DeadlinesMutation:
    @strawberry.mutation(description="Загрузить новую версию производственного календаря "
                                     "(федеральный — федеральный конфигуратор, региональный — "
                                     "администратор региона); сроки открытых обращений "
                                     "пересчитываются в фоне.")
    async def import_calendar(self, info: strawberry.Info, document: JSON
                              ) -> ImportCalendarPayload:
        result, errors = await run_mutation(import_calendar(
            info.context.principal, document, info.context.runtime.deadlines))
        if result is None:
            return ImportCalendarPayload(calendar=None, affected=0, user_errors=errors)
        return ImportCalendarPayload(calendar=Calendar.from_model(result.calendar),
                                     affected=result.affected, user_errors=[])
