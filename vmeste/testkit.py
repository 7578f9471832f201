"""What a plugin's tests need to see the platform's background work happen: a settable
clock, the outbox's messages, and a run of the jobs and the watchdog on demand.

The jobs run in the test's own event loop, through the same topic handlers the dramatiq
actors call (fan-out, delivery, recomputation, domain events, a plugin's own topics),
so a test exercises the real code without a broker, threads or sleeps. The fixtures of
:mod:`vmeste.testing` (``clock``, ``outbox``, ``run_background``) wrap these classes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from vmeste.platform.deadlines.watchdog import run_watchdog
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.outbox.relay import mark_done
from vmeste.platform.runtime import Runtime
from vmeste.platform.work_context import carried

#: More rounds than this means jobs keep emitting jobs: a loop, reported as an error.
MAX_ROUNDS = 50
#: The watchdog's counters that are not steps taken.
_NOT_STEPS = frozenset({"conflicts", "failed"})


class Clock:
    """A settable "now": the platform's time-driven steps (submission, the watchdog)
    read it instead of the wall clock while a test holds it."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("the clock holds aware datetimes only")
        self.now = moment

    def advance(self, **delta: float) -> datetime:
        """``clock.advance(days=3)``; returns the new now."""
        self.now += timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class OutboxEntry:
    topic: str
    payload: dict[str, Any]
    dedupe_key: str
    done: bool


class OutboxInspector:
    """The outbox as a test reads it: what the steps so far have queued."""

    async def messages(self, topic: str | None = None, *, pending: bool = False
                       ) -> list[OutboxEntry]:
        query = OutboxMessage.all().order_by("id")
        if topic is not None:
            query = query.filter(topic=topic)
        if pending:
            query = query.filter(done_at__isnull=True)
        return [OutboxEntry(row.topic, dict(row.payload), row.dedupe_key,
                            row.done_at is not None) for row in await query]

    async def topics(self, *, pending: bool = False) -> Counter[str]:
        """How many messages of each topic (only unfinished ones with ``pending``)."""
        return Counter(entry.topic for entry in await self.messages(pending=pending))


@dataclass
class BackgroundRun:
    """What one ``run_background()`` did: jobs by topic, the watchdog's steps by name
    (summed over the deadline kinds) and by kind."""

    jobs: Counter[str] = field(default_factory=Counter)
    watchdog: Counter[str] = field(default_factory=Counter)
    by_kind: dict[str, Counter[str]] = field(default_factory=dict)
    rounds: int = 0


class Background:
    """Runs the outbox's due jobs and the deadline watchdog until nothing is left to do.

    A job that raises stops the run with its exception (a test should see its plugin's
    failure, not a retry), and its message stays unfinished, as a failed job's does.
    """

    def __init__(self, runtime: Runtime, clock: Callable[[], datetime]) -> None:
        self.runtime = runtime
        self.clock = clock

    async def __call__(self, *, watchdog: bool = True) -> BackgroundRun:
        run = BackgroundRun()
        while True:
            run.rounds += 1
            if run.rounds > MAX_ROUNDS:
                raise RuntimeError(f"background work did not settle in {MAX_ROUNDS} rounds: "
                                   f"jobs so far {dict(run.jobs)}")
            done = await self._jobs(run)
            steps = 0
            if watchdog:
                for kind, counts in (await run_watchdog(self.runtime, self.clock())).items():
                    for name, count in counts.items():
                        run.watchdog[name] += count
                        run.by_kind.setdefault(kind, Counter())[name] += count
                        steps += 0 if name in _NOT_STEPS else count
            if not done and not steps:
                return run

    async def _jobs(self, run: BackgroundRun) -> int:
        """One pass over the due messages, oldest first; how many ran."""
        topics = self.runtime.topics
        # A delayed message is due by the test's clock or the wall clock, whichever is
        # later: a retry delayed by real seconds must not wait for a frozen clock.
        due = max(self.clock(), datetime.now(UTC))
        rows = await (OutboxMessage.filter(done_at__isnull=True, topic__in=list(topics))
                      .filter(Q(available_at__isnull=True) | Q(available_at__lte=due))
                      .order_by("id"))
        for row in rows:
            with carried(row.request_id, row.traceparent):  # as a worker's job runs
                await topics[row.topic].handle(self.runtime, dict(row.payload), False)
            await OutboxMessage.filter(id=row.id).update(relayed_at=datetime.now(UTC))
            await mark_done(row.id)
            run.jobs[row.topic] += 1
        return len(rows)
