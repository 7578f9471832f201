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
        description="How many open subjects are affected: a background job recomputes "
                    "their terms by the new calendar, usually within seconds.")
    user_errors: list[UserError]


@strawberry.type
class DeadlinesMutation:
    @strawberry.mutation(description="Import a new version of a production calendar (the "
                                     "federal one by a federal configurator, a regional one by "
                                     "the region's administrator); the terms of open subjects "
                                     "are recomputed in the background.")
    async def import_calendar(self, info: strawberry.Info, document: JSON
                              ) -> ImportCalendarPayload:
        result, errors = await run_mutation(import_calendar(
            info.context.principal, document, info.context.runtime.deadlines))
        if result is None:
            return ImportCalendarPayload(calendar=None, affected=0, user_errors=errors)
        return ImportCalendarPayload(calendar=Calendar.from_model(result.calendar),
                                     affected=result.affected, user_errors=[])
