"""What the privacy part's deadline kinds share: their rows are their own subjects, by
id, and none of them follows the production calendars."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


class OwnRows:
    """The calendar-free half of :class:`vmeste.platform.deadlines.kinds.DeadlineKind`."""

    def subject_id(self, row: Any) -> int:
        return int(row.id)

    def following(self, scope: str | None) -> None:
        return None

    async def recompute(self, runtime: Runtime, subject_id: int, now: datetime) -> bool:
        return False
