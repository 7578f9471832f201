"""One ballot per person under concurrency: the same person casting from many
connections at once, and many people at once. Run it on PostgreSQL too
(``VMESTE_TEST_DATABASE_URL``), where the casts really overlap: the pool is widened
so that every cast has a connection of its own."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest_asyncio
from tortoise import Tortoise
from tortoise.expressions import Q

from tests.ballot_world import option_ids, principal_of
from tests.vote_world import draft_vote, voter
from tests.worlds import seed_world
from vmeste.platform.db import tortoise_config
from vmeste.platform.errors import DomainError
from vmeste.platform.participation import tallies
from vmeste.platform.settings import Settings
from vmeste.platform.votes import board, merkle
from vmeste.platform.votes.casting import cast
from vmeste.platform.votes.closing import close_vote
from vmeste.platform.votes.methods import Choice
from vmeste.platform.votes.models import Ballot, Vote, VoteParticipation, VoteStatus

CONNECTIONS = 20


@pytest_asyncio.fixture
async def wide(db: Settings) -> AsyncIterator[Settings]:
    """The test database (emptied by ``db``) reopened with a pool of a connection per
    concurrent cast, on PostgreSQL; SQLite has one connection and serialises writers."""
    if db.is_sqlite:
        yield db
        return
    url = db.database_url + ("&" if "?" in db.database_url else "?") + (
        f"maxsize={CONNECTIONS + 2}")
    wider = replace(db, database_url=url)
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(wider))
    yield wider


@pytest_asyncio.fixture
async def runtime(wide: Settings, vmeste_app: Any) -> Any:
    await seed_world()
    return vmeste_app.state.runtime


async def at_once(runtime: Any, principals: list[Any], vote: Any, options: list[int],
                  key: str | None = None) -> list[Any]:
    """Every principal's cast started together; results or the DomainErrors raised."""
    return await asyncio.gather(*(
        cast(runtime, principal, vote.id, [Choice(options[n % len(options)])], key)
        for n, principal in enumerate(principals)), return_exceptions=True)


def refusals(results: list[Any]) -> Counter[str]:
    unexpected = [r for r in results if isinstance(r, BaseException)
                  and not isinstance(r, DomainError)]
    assert not unexpected, unexpected  # never a database error, never a 500
    return Counter(r.errors[0].code.value for r in results if isinstance(r, DomainError))


async def assert_counters(vote: Any, participants: int) -> None:
    """The counters equal a recount of the ballot table."""
    totals = await tallies.totals("vote", vote.id)
    assert totals[("", "*")].count == participants
    recount = Counter(str(option) for ballot in await Ballot.filter(vote_id=vote.id)
                      for option, _points in ballot.choices)
    assert {key: total.count for (_, key), total in totals.items()
            if key != "*" and total.count} == dict(recount)


async def test_one_person_from_many_connections_casts_one_ballot(runtime, wide):
    vote = await draft_vote()
    options = await option_ids(vote)
    await voter(wide, "many")
    principal = await principal_of("many")
    results = await at_once(runtime, [principal] * CONNECTIONS, vote, options)
    assert refusals(results) == Counter({"ALREADY_VOTED": CONNECTIONS - 1})
    assert await Ballot.filter(vote_id=vote.id).count() == 1
    assert await VoteParticipation.filter(vote_id=vote.id).count() == 1
    await assert_counters(vote, 1)


async def test_one_retry_key_from_many_connections_is_one_ballot(runtime, wide):
    vote = await draft_vote()
    options = await option_ids(vote)
    await voter(wide, "retry")
    principal = await principal_of("retry")
    results = await at_once(runtime, [principal] * CONNECTIONS, vote, options, key="once")
    assert refusals(results) == Counter()
    assert len({(str(r.id), r.receipt) for r in results}) == 1
    assert await Ballot.filter(vote_id=vote.id).count() == 1
    await assert_counters(vote, 1)


async def test_concurrent_revotes_leave_one_ballot(runtime, wide):
    vote = await draft_vote(allow_revote=True)
    options = await option_ids(vote)
    await voter(wide, "revoter")
    principal = await principal_of("revoter")
    results = await at_once(runtime, [principal] * CONNECTIONS, vote, options)
    assert refusals(results) == Counter()
    [ballot] = await Ballot.filter(vote_id=vote.id)
    # The last replacement is the ballot that stands; every other was taken back.
    assert str(ballot.id) in {str(r.id) for r in results}
    assert (await VoteParticipation.get(vote_id=vote.id)).revotes == CONNECTIONS - 1
    await assert_counters(vote, 1)


async def test_ballots_of_different_people_all_count(runtime, wide):
    vote = await draft_vote(allow_revote=True)
    options = await option_ids(vote)
    for n in range(CONNECTIONS):
        await voter(wide, f"person-{n}", gender=("male", "female")[n % 2])
    principals = [await principal_of(f"person-{n}") for n in range(CONNECTIONS)]
    results = await at_once(runtime, principals, vote, options)
    assert refusals(results) == Counter()
    assert await Ballot.filter(vote_id=vote.id).count() == CONNECTIONS
    assert await VoteParticipation.filter(vote_id=vote.id).count() == CONNECTIONS
    await assert_counters(vote, CONNECTIONS)
    by_gender = await tallies.totals("vote", vote.id, "gender")
    assert by_gender[("female", "*")].count == by_gender[("male", "*")].count == 10


async def test_a_close_racing_the_casts_seals_every_counted_ballot(runtime, wide,
                                                                    monkeypatch):
    """Casts in flight when the organiser closes: each ballot is on the board or not
    written at all, and no counted ballot keeps a link to its voter. The casts pause
    inside their transactions so that the close overlaps them."""
    vote = await draft_vote(allow_revote=True)
    options = await option_ids(vote)
    for n in range(CONNECTIONS):
        await voter(wide, f"racer-{n}")
    principals = [await principal_of(f"racer-{n}") for n in range(CONNECTIONS)]
    add, writing = tallies.add, asyncio.Event()

    async def slow_add(*args: Any, **kwargs: Any) -> None:
        writing.set()
        await asyncio.sleep(0.05)
        await add(*args, **kwargs)

    monkeypatch.setattr(tallies, "add", slow_add)

    async def close_meanwhile() -> None:
        await writing.wait()  # a ballot is being written
        await close_vote(await Vote.get(id=vote.id), "system", datetime.now(UTC))

    casts = [cast(runtime, principal, vote.id, [Choice(options[n % len(options)])],
                  f"key-{n}") for n, principal in enumerate(principals)]
    late = [cast(runtime, principal, vote.id, [Choice(options[0])], "late")
            for principal in principals[:5]]
    results = await asyncio.gather(*casts, close_meanwhile(), *late, return_exceptions=True)
    assert set(refusals(results)) <= {"VOTE_NOT_OPEN"}
    closed = await Vote.get(id=vote.id)
    counted = await Ballot.filter(vote_id=vote.id).count()
    assert counted > 0
    assert closed.status == VoteStatus.CLOSED
    assert closed.board_size == counted
    assert closed.board_root == merkle.root_of(merkle.levels(await board.receipts(vote.id)))
    await assert_counters(vote, counted)
    assert not await Ballot.filter(Q(voter_key__isnull=False) | Q(replay_key__isnull=False),
                                   vote_id=vote.id).exists()
