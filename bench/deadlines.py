"""Deadlines per second over the four-year production calendar (2024–2027), against a
bare baseline measured in the same run.

The platform's path is ``clock.due_at`` on the layered Tatarstan calendar (federal
decrees plus the region's holidays): time-zone conversion, the working-day index, the
end of the territory's day. The baseline is what a naive system does: ``date +
timedelta`` with no calendar and no zone. Random registration moments span the four
covered years; each policy is measured separately, and the ratio platform/baseline is
printed for each.

    python bench/deadlines.py [--deadlines 200000]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from vmeste.platform.deadlines.calendar import load_calendar
from vmeste.platform.deadlines.clock import due_at, parse_policy

FIRST, LAST = datetime(2024, 1, 1, tzinfo=UTC), datetime(2027, 10, 1, tzinfo=UTC)
POLICIES = ("working-days:10", "calendar-days:30", "working-hours:8")


def moments(count: int) -> list[datetime]:
    rng = random.Random(4)
    span = int((LAST - FIRST).total_seconds())
    return [FIRST + timedelta(seconds=rng.randrange(span)) for _ in range(count)]


def per_second(work: list[datetime], compute: object) -> float:
    started = time.perf_counter()
    for moment in work:
        compute(moment)  # type: ignore[operator]
    return len(work) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadlines", type=int, default=200_000)
    args = parser.parse_args()
    calendar = load_calendar("ru_92_tatarstan")
    tz = ZoneInfo("Europe/Moscow")
    work = moments(args.deadlines)
    days = timedelta(days=14)

    def baseline(moment: datetime) -> date:
        return moment.date() + days

    bare = per_second(work, baseline)
    print(f"calendar {calendar.name} {calendar.version}, {len(work)} deadlines per run")
    print(f"{'baseline date + timedelta':<28}{bare:>14,.0f} /s")
    for text in POLICIES:
        policy = parse_policy(text)
        rate = per_second(work, lambda m, p=policy: due_at(p, m, calendar, tz))
        print(f"{text:<28}{rate:>14,.0f} /s   ratio {rate / bare:.3f}")


if __name__ == "__main__":
    main()
