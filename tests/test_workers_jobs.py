"""The job wrapper on a real dramatiq worker (in-process broker): the ORM on the
worker's loop, retries with backoff, ``last_attempt``, dead letters and re-driving."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import dramatiq
import pytest
from tortoise.transactions import in_transaction

from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.outbox.deadletters import redrive
from vmeste.platform.outbox.models import DeadLetter, OutboxMessage
from vmeste.platform.outbox.services import RetryLater, emit
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.runtime import Runtime, build_runtime
from vmeste.platform.settings import Settings
from vmeste.workers.broker import build_broker
from vmeste.workers.jobs import declare_actors
from vmeste.workers.scheduler import Scheduler


class Refused(Exception):
    """A failure whose text is safe to keep."""


class Probe:
    """A topic whose handler writes an audit event per run, failing while asked to, and
    before that finding its work held elsewhere ``held`` times."""

    def __init__(self, failures: int, held: int = 0) -> None:
        self.failures = failures
        self.held = held
        self.last_attempts: list[bool] = []

    async def handle(self, runtime: Runtime, payload: dict[str, Any], last: bool) -> None:
        self.last_attempts.append(last)
        if self.held:
            self.held -= 1
            raise RetryLater("held by another worker", delay_seconds=0.01)
        if self.failures:
            self.failures -= 1
            raise Refused(f"refused {payload['n']}") if payload.get("safe") else OSError(
                "secret@example.org")
        await record(actor="worker", action="probe.ran", object_type="probe",
                     object_id=payload["n"], before=None, after=payload)

    async def scope(self, payload: dict[str, Any]) -> str:
        return payload.get("path", "")

    def topic(self) -> Topic:
        return Topic("test.probe", "vmeste.test_probe", "probe", self.handle, self.scope,
                     safe_errors=(Refused,))


class Harness:
    def __init__(self, settings: Settings, probe: Probe) -> None:
        self.runtime = build_runtime(settings)
        self.broker = build_broker(settings)
        self.topics = {"test.probe": probe.topic()}
        declare_actors(self.broker, self.runtime, self.topics)
        self.scheduler = Scheduler(self.runtime, self.broker, self.topics)
        self.worker = dramatiq.Worker(self.broker, worker_threads=2, worker_timeout=50)

    async def emit(self, payload: dict[str, Any], key: str) -> None:
        async with in_transaction() as conn:
            await emit(conn, "test.probe", payload, key)

    async def drain(self) -> None:
        await self.scheduler.sweep_outbox()
        await asyncio.to_thread(self.broker.join, "vmeste.probe", fail_fast=False)
        await asyncio.to_thread(self.worker.join)


@pytest.fixture
def fast(db: Settings) -> Settings:
    return replace(db, job_max_retries=2, job_min_backoff_ms=1, job_max_backoff_ms=20)


def harness(settings: Settings, probe: Probe) -> Iterator[Harness]:
    h = Harness(settings, probe)
    h.worker.start()
    try:
        yield h
    finally:
        h.worker.stop()
        h.broker.close()


async def test_a_job_runs_on_the_worker_loop_with_the_database(fast):
    probe = Probe(failures=0)
    for h in harness(fast, probe):
        await h.emit({"n": 1}, "a")
        await h.emit({"n": 2}, "b")
        await h.drain()
    assert sorted(await AuditEvent.filter(action="probe.ran").values_list(
        "object_id", flat=True)) == ["1", "2"]
    assert probe.last_attempts == [False, False]
    assert not await DeadLetter.exists()


async def test_a_failing_job_is_retried_with_last_attempt_on_the_final_try(fast):
    probe = Probe(failures=2)
    for h in harness(fast, probe):
        await h.emit({"n": 7}, "a")
        await h.drain()
    assert probe.last_attempts == [False, False, True]
    assert await AuditEvent.filter(action="probe.ran").count() == 1
    assert not await DeadLetter.exists()


async def test_the_last_failure_is_a_dead_letter_without_personal_data(fast):
    probe = Probe(failures=3)
    for h in harness(fast, probe):
        await h.emit({"n": 3, "path": "RU/33000000"}, "a")
        await h.drain()
    letter = await DeadLetter.get()
    assert (letter.actor, letter.queue, letter.attempts) == ("vmeste.test_probe",
                                                             "vmeste.probe", 3)
    assert letter.kwargs == {"n": 3, "path": "RU/33000000"}
    assert letter.scope_path == "RU/33000000"
    assert letter.error == "OSError"  # its text held an address
    assert letter.message_id and letter.redriven_at is None


async def test_a_redriven_dead_letter_runs_again_through_the_outbox(fast):
    probe = Probe(failures=3)
    for h in harness(fast, probe):
        await h.emit({"n": 4, "safe": True}, "a")
        await h.drain()
        letter = await DeadLetter.get()
        assert letter.error == "Refused: refused 4"
        [done] = await redrive(SYSTEM, [letter.id], h.topics)
        assert done.redriven_by == "system"
        row = await OutboxMessage.get(dedupe_key=f"redrive:{letter.id}")
        assert row.relayed_at is None and row.payload == letter.kwargs
        await h.drain()
    assert await AuditEvent.filter(action="probe.ran").count() == 1
    audit = await AuditEvent.get(action="dead_letter.redrive")
    assert audit.object_id == str(letter.id) and audit.actor == "system"
    with pytest.raises(DomainError) as again:
        await redrive(SYSTEM, [letter.id], h.topics)
    assert [e.code for e in again.value.errors] == ["CONFLICT"]
    with pytest.raises(DomainError) as missing:
        await redrive(SYSTEM, [letter.id + 100], h.topics)
    assert [e.code for e in missing.value.errors] == ["NOT_FOUND"]


async def test_a_finished_job_marks_its_outbox_row_done(fast):
    probe = Probe(failures=1)
    for h in harness(fast, probe):
        await h.emit({"n": 1}, "a")
        await h.drain()
    row = await OutboxMessage.get(dedupe_key="a")
    assert row.relayed_at is not None and row.done_at is not None
    assert probe.last_attempts == [False, False]  # done after a retry


async def test_a_dead_lettered_job_marks_its_outbox_row_done(fast):
    probe = Probe(failures=3)
    for h in harness(fast, probe):
        await h.emit({"n": 1}, "a")
        await h.drain()
    assert await DeadLetter.exists()
    assert (await OutboxMessage.get(dedupe_key="a")).done_at is not None


async def test_work_held_elsewhere_waits_without_spending_retries(fast):
    probe = Probe(failures=0, held=5)  # more than job_max_retries (2)
    for h in harness(fast, probe):
        await h.emit({"n": 1}, "a")
        await h.drain()
    assert probe.last_attempts == [False] * 6
    assert await AuditEvent.filter(action="probe.ran").count() == 1
    assert not await DeadLetter.exists()
    assert (await OutboxMessage.get(dedupe_key="a")).done_at is not None


class TimedOut(Probe):
    """A job that dramatiq's time limit stops each time (it cancels the coroutine)."""

    async def handle(self, runtime: Runtime, payload: dict[str, Any], last: bool) -> None:
        self.last_attempts.append(last)
        raise asyncio.CancelledError


async def test_a_job_the_time_limit_stops_on_its_last_attempt_is_a_dead_letter(fast):
    probe = TimedOut(failures=0)
    for h in harness(fast, probe):
        await h.emit({"n": 5}, "a")
        await h.drain()
    assert probe.last_attempts == [False, False, True]
    letter = await DeadLetter.get()
    assert letter.error == "CancelledError" and letter.attempts == 3
    assert await OutboxMessage.filter(dedupe_key="a", done_at__isnull=False).exists()
