"""Reading calendars and previewing deadlines: public information, open to anyone."""

from __future__ import annotations

import strawberry

from vmeste.platform.appeals.models import LegalTrack as LegalTrackModel
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.deadlines.models import StoredCalendar
from vmeste.schema.appeals.types import LegalTrack
from vmeste.schema.deadlines.types import Calendar, DeadlinePreview


@strawberry.type
class DeadlinesQuery:
    @strawberry.field(description="The current versions of the production calendars.")
    async def calendars(self, info: strawberry.Info) -> list[Calendar]:
        await info.context.runtime.deadlines.calendars.current()  # seeds a fresh database
        rows = await StoredCalendar.filter(current=True).order_by("name")
        return [Calendar.from_model(row) for row in rows]

    @strawberry.field(description="Compute a term without a subject. start is YYYY-MM-DD (the "
                                  "start of the day) or YYYY-MM-DDTHH:MM, in the territory's "
                                  "time; without policy, the region's policy for the category "
                                  "chooses the term.")
    async def preview_deadline(
        self, info: strawberry.Info, territory_code: str, category_code: str | None = None,
        start: str | None = None,
        legal_track: LegalTrack = LegalTrackModel.MESSAGE,  # type: ignore[valid-type]
        policy: str | None = None,
    ) -> DeadlinePreview:
        terms = info.context.runtime.service(AppealServices).terms
        found = await terms.preview(territory_code=territory_code, start=start,
                                    category_code=category_code, policy=policy,
                                    legal_track=LegalTrackModel(legal_track))
        return DeadlinePreview.from_preview(found)
