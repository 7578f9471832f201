"""The packaged calendars are seeded on first use, also when many requests arrive at
once on a fresh database (a race that once left some of them without any calendar)."""

from __future__ import annotations

import asyncio
from typing import Any

from vmeste.platform.deadlines.store import FEDERAL, PACKAGED, load_current


async def test_concurrent_first_use_sees_every_packaged_calendar(db: Any) -> None:
    sets = await asyncio.gather(*(load_current() for _ in range(16)))
    for calendar_set in sets:
        assert set(PACKAGED) <= set(calendar_set.calendars)
        assert calendar_set.for_path("RU/33000000").name == FEDERAL
