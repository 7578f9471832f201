"""What a poll keeps that could join a person to their answers, and when it lets go of
it: participations with random ids, a response's territory no finer than its group,
replay keys gone at closing, minutes coarsened to the day at publication."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tests.poll_world import answers_for, organised, questions_of, respondent, services_of
from tests.worlds import MUNICIPALITY_A, REGION_A, World, add_territory
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.polls.models import PollParticipation, PollResponse, PollTextAnswer
from vmeste.platform.reference.models import Territory, TerritoryKind

SETTLEMENT_A = "33701000001"


async def test_participations_have_random_ids_that_order_nothing(
        world: World, db: Any, vmeste_app: Any) -> None:
    services = services_of(vmeste_app)
    poll = await organised(services)
    questions = await questions_of(poll)
    for n in range(4):
        await services.responses.submit(await respondent(db, f"p{n}"), poll.id,
                                        answers_for(questions))
    ids = await PollParticipation.filter(poll_id=poll.id).values_list("id", flat=True)
    assert len(ids) == 4
    assert all(isinstance(i, uuid.UUID) and i.version == 4 for i in ids)


async def test_a_response_keeps_the_territory_group_not_the_settlement(
        world: World, db: Any, vmeste_app: Any) -> None:
    await add_territory(SETTLEMENT_A, TerritoryKind.SETTLEMENT, MUNICIPALITY_A, "г. Киров")
    services = services_of(vmeste_app)
    regional = await organised(services, territory=REGION_A)
    municipal = await organised(services, territory=MUNICIPALITY_A)
    person = await respondent(db, "ivanov", oktmo=SETTLEMENT_A)
    for poll in (regional, municipal):
        await services.responses.submit(person, poll.id, answers_for(await questions_of(poll)))
    municipality = await Territory.get(code=MUNICIPALITY_A)
    settlement = await Territory.get(code=SETTLEMENT_A)
    assert (await PollResponse.get(poll_id=regional.id)).territory_path == municipality.path
    # Of a municipal poll the group is the settlement; a resident of the poll's own
    # territory keeps the poll's path.
    assert (await PollResponse.get(poll_id=municipal.id)).territory_path == settlement.path
    direct = await respondent(db, "petrov", oktmo=MUNICIPALITY_A)
    await services.responses.submit(direct, municipal.id,
                                    answers_for(await questions_of(municipal)))
    paths = await PollResponse.filter(poll_id=municipal.id).values_list("territory_path",
                                                                        flat=True)
    assert sorted(paths) == sorted([settlement.path, municipality.path])
    # Who answered still says where they live.
    assert (await PollParticipation.get(poll_id=regional.id, user_id=person.user.id)
            ).territory_path == settlement.path


async def test_closing_forgets_the_replay_keys(world: World, db: Any, vmeste_app: Any) -> None:
    services = services_of(vmeste_app)
    poll = await organised(services)
    other = await organised(services)
    person = await respondent(db, "ivanov")
    for each in (poll, other):
        await services.responses.submit(person, each.id, answers_for(await questions_of(each)),
                                        "key-1")
    assert await PollResponse.filter(replay_key__isnull=False).count() == 2
    await services.close(SYSTEM, poll.id)
    assert await PollResponse.filter(poll_id=poll.id).values_list("replay_key",
                                                                  flat=True) == [None]
    # Another poll's, still open, keeps its retries.
    assert await PollResponse.filter(poll_id=other.id, replay_key__isnull=False).exists()


async def test_publishing_coarsens_the_minutes_to_the_utc_day(
        world: World, db: Any, vmeste_app: Any, clock: Any) -> None:
    services = services_of(vmeste_app)
    clock.set(datetime(2026, 5, 1, 9, tzinfo=UTC))
    poll = await organised(services)
    questions = await questions_of(poll)
    moments = [datetime(2026, 5, 1, 12, 34, 56, tzinfo=UTC),
               datetime(2026, 5, 1, 23, 59, tzinfo=UTC),
               datetime(2026, 5, 2, 0, 0, 30, tzinfo=UTC)]
    for n, moment in enumerate(moments):
        clock.set(moment)
        await services.responses.submit(await respondent(db, f"p{n}"), poll.id,
                                        answers_for(questions))

    async def minutes() -> list[tuple[str, datetime]]:
        rows = [("response", m) for m in await PollResponse.filter(
            poll_id=poll.id).values_list("submitted_minute", flat=True)]
        rows += [("text", m) for m in await PollTextAnswer.filter(
            poll_id=poll.id).values_list("submitted_minute", flat=True)]
        return sorted(rows)

    running = [datetime(2026, 5, 1, 12, 34, tzinfo=UTC), datetime(2026, 5, 1, 23, 59,
                                                                   tzinfo=UTC),
               datetime(2026, 5, 2, 0, 0, tzinfo=UTC)]
    assert await minutes() == sorted([(kind, m) for m in running
                                      for kind in ("response", "text")])
    await services.close(SYSTEM, poll.id)
    assert len({m for _kind, m in await minutes()}) == 3
    await services.publish(SYSTEM, poll.id)
    days = [datetime(2026, 5, 1, tzinfo=UTC)] * 2 + [datetime(2026, 5, 2, tzinfo=UTC)]
    assert await minutes() == sorted([(kind, d) for d in days
                                      for kind in ("response", "text")])
