"""A response and the closing step never interleave: a response checks inside its
transaction that the poll still takes responses, closing waits for the responses under
way and counts them, and a response arriving while the poll closes is refused and
writes nothing. On PostgreSQL these are row locks (run with
``VMESTE_TEST_DATABASE_URL``); SQLite serialises its writing transactions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.poll_world import answers_for, organised, questions_of, respondent, services_of
from tests.worlds import World
from vmeste.platform.errors import DomainError
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.participation import tallies
from vmeste.platform.polls import services as poll_services
from vmeste.platform.polls.counting import SUBJECT_TYPE
from vmeste.platform.polls.models import (
    Poll,
    PollEvent,
    PollParticipation,
    PollResponse,
    PollStatus,
    PollTextAnswer,
)
from vmeste.platform.polls.services import PollServices
from vmeste.platform.polls.watch import ACTOR

#: Long enough for a step that does not wait to finish.
SETTLE = 0.5


def paused(original: Callable[..., Awaitable[Any]], entered: asyncio.Event,
           release: asyncio.Event) -> Callable[..., Awaitable[Any]]:
    """``original``, held until ``release`` once it is reached (inside a transaction)."""

    async def held(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        await release.wait()
        return await original(*args, **kwargs)

    return held


async def _refused(services: PollServices, person: Any, poll: Poll) -> str:
    try:
        await services.responses.submit(person, poll.id, answers_for(await questions_of(poll)))
    except DomainError as error:
        return error.errors[0].code.value
    return "taken"


async def test_a_response_that_loses_the_race_with_closing_writes_nothing(
        world: World, db: Any, vmeste_app: Any, monkeypatch: Any) -> None:
    services = services_of(vmeste_app)
    poll = await organised(services)
    person = await respondent(db, "ivanov")

    async def closed_meanwhile(**_: Any) -> bool:
        # The poll is closed after the response's first check, before its transaction.
        await poll_services.close(await Poll.get(id=poll.id), ACTOR, services.clock())
        return False

    monkeypatch.setattr(PollParticipation, "exists", closed_meanwhile)
    assert await _refused(services, person, poll) == "POLL_NOT_OPEN"
    assert (await Poll.get(id=poll.id)).status == PollStatus.CLOSED
    assert not await PollParticipation.exists(poll_id=poll.id)
    assert not await PollResponse.filter(poll_id=poll.id).exists()
    assert not await PollTextAnswer.filter(poll_id=poll.id).exists()
    assert not await tallies.totals(SUBJECT_TYPE, poll.id)


async def test_closing_waits_for_a_response_under_way_and_counts_it(
        world: World, db: Any, vmeste_app: Any, monkeypatch: Any) -> None:
    services = services_of(vmeste_app)
    poll = await organised(services)
    person = await respondent(db, "ivanov")
    entered, release = asyncio.Event(), asyncio.Event()
    monkeypatch.setattr(tallies, "add", paused(tallies.add, entered, release))
    answering = asyncio.ensure_future(_refused(services, person, poll))
    await asyncio.wait_for(entered.wait(), 10)
    closing = asyncio.ensure_future(services.close(SYSTEM, poll.id))
    await asyncio.sleep(SETTLE)
    waited = not closing.done()
    release.set()
    assert await asyncio.wait_for(answering, 10) == "taken"
    await asyncio.wait_for(closing, 10)
    assert waited, "closing did not wait for the response under way"
    event = await PollEvent.filter(poll_id=poll.id, action="close").get()
    assert event.payload == {"total_responses": 1}


@pytest.mark.parametrize("by", ["organiser", "watchdog"])
async def test_a_response_arriving_while_the_poll_closes_is_refused(
        by: str, world: World, db: Any, vmeste_app: Any, monkeypatch: Any) -> None:
    services = services_of(vmeste_app)
    poll = await organised(services)
    person = await respondent(db, "ivanov")
    entered, release = asyncio.Event(), asyncio.Event()
    # The closing step's audit record is written inside its transaction.
    monkeypatch.setattr(poll_services, "_audit", paused(poll_services._audit, entered,
                                                        release))
    closing = asyncio.ensure_future(
        services.close(SYSTEM, poll.id) if by == "organiser" else
        poll_services.close(await Poll.get(id=poll.id), ACTOR, services.clock()))
    await asyncio.wait_for(entered.wait(), 10)
    answering = asyncio.ensure_future(_refused(services, person, poll))
    await asyncio.sleep(SETTLE)
    release.set()
    await asyncio.wait_for(closing, 10)
    assert await asyncio.wait_for(answering, 10) == "POLL_NOT_OPEN"
    assert not await PollResponse.filter(poll_id=poll.id).exists()
    assert not await PollParticipation.exists(poll_id=poll.id)
