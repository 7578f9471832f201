"""The author's score of a final answer: read from their comment (a digit or a word),
recorded by staff from the reactions, only the first counting; a low score reopens
the incident with a new answer term, any other closes it."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette

from tests.incident_answer_world import (
    NOW,
    VK_GROUP,
    Clock,
    incident,
    page,
    person,
    post,
    services_on,
    vk,
)
from tests.worlds import ORG_A, ORG_B, World
from vmeste.platform.deadlines.clock import WorkingHours, due_at
from vmeste.platform.errors import DomainError, ErrorCode, Forbidden
from vmeste.platform.identity.models import Role
from vmeste.platform.incidents import satisfaction
from vmeste.platform.incidents.models import (
    Incident,
    IncidentEvent,
    IncidentStatus,
    PostState,
    SatisfactionSource,
    SocialPost,
)


@pytest.mark.parametrize(("text", "score"), [
    ("5", 5), ("Спасибо, пять!", 5), ("на 4", 4), ("Отлично, заделали", 5),
    ("Четвёрка", 4), ("ставлю 2, яма осталась", 2), ("3 из 5", 3), ("1!!!", 1),
])
def test_a_score_is_read_from_a_digit_or_a_word(text: str, score: int) -> None:
    assert satisfaction.score_of(text) == score


@pytest.mark.parametrize("text", ["Спасибо", "15 дней ждали", "4.5", "оценка 0", "6", ""])
def test_no_score_in_other_comments(text: str) -> None:
    assert satisfaction.score_of(text) is None


async def answered(world: World) -> Incident:
    official = await page(world, "vk", VK_GROUP)
    return await incident(world, official, status=IncidentStatus.ANSWERED,
                          answered_at=NOW - timedelta(hours=1),
                          next_check_at=NOW + timedelta(hours=71), reminders=2,
                          escalated=True)


async def test_a_good_score_from_the_author_closes_and_only_the_first_counts(
        world: World, vmeste_app: Starlette) -> None:
    services = services_on(vmeste_app, vk(), Clock())
    row = await answered(world)
    other = await post(row, "vk", "21", "5", author="999", parent_ref="7")
    score = await post(row, "vk", "22", "Спасибо, пять!", parent_ref="7")
    later = await post(row, "vk", "23", "Нет, всё-таки 1", parent_ref="7")
    assert await satisfaction.read_scores(
        services, [(row.id, other.id), (row.id, score.id), (row.id, later.id)], NOW) == [row.id]
    done = await Incident.get(id=row.id)
    assert (done.status, done.satisfaction, done.satisfaction_source, done.next_check_at) == (
        IncidentStatus.CLOSED, 5, SatisfactionSource.AUTHOR, None)
    assert (await SocialPost.get(id=score.id)).state is PostState.FEEDBACK
    assert (await SocialPost.get(id=later.id)).state is PostState.ATTACHED
    events = await IncidentEvent.filter(incident_id=row.id).values_list("action", "to_status")
    assert events == [("rate", "answered"), ("close", "closed")]


async def test_a_low_score_reopens_with_a_new_answer_term(
        world: World, vmeste_app: Starlette) -> None:
    services = services_on(vmeste_app, vk(), Clock())
    row = await answered(world)
    comment = await post(row, "vk", "21", "2, яма на месте", parent_ref="7")
    assert await satisfaction.read_scores(services, [(row.id, comment.id)], NOW) == [row.id]
    back = await Incident.get(id=row.id)
    calendar = await services.deadlines.calendars.for_path(back.territory_path)
    # The score stays in the history; the next answer is scored afresh.
    assert (back.status, back.satisfaction) == (IncidentStatus.ROUTED, None)
    assert back.answer_due_at == due_at(WorkingHours(8), NOW, calendar,
                                        ZoneInfo("Europe/Kirov"))
    assert (back.answer_from, back.answer_in_days) == (NOW, False)
    assert (back.reminders, back.escalated, back.next_check_at) == (0, False, NOW)
    events = await IncidentEvent.filter(incident_id=row.id).values_list("action", "payload")
    assert [(action, payload["score"]) for action, payload in events] == [("rate", 2),
                                                                          ("reopen", 2)]


async def test_comments_on_an_incident_not_answered_are_not_scores(
        world: World, vmeste_app: Starlette) -> None:
    services = services_on(vmeste_app, vk(), Clock())
    row = await incident(world, await page(world, "vk", VK_GROUP))
    comment = await post(row, "vk", "21", "5", parent_ref="7")
    assert await satisfaction.read_scores(services, [(row.id, comment.id)], NOW) == []
    assert (await Incident.get(id=row.id)).satisfaction is None


async def test_staff_record_a_score_from_the_reactions(
        world: World, vmeste_app: Starlette) -> None:
    services = services_on(vmeste_app, vk(), Clock())
    row = await answered(world)
    executor = await person("executor", Role.EXECUTOR, organization_id=world.organizations[ORG_A])
    stranger = await person("other", Role.EXECUTOR, organization_id=world.organizations[ORG_B])
    with pytest.raises(Forbidden):
        await satisfaction.record(services, stranger, row.id, 4)
    with pytest.raises(DomainError) as invalid:
        await satisfaction.record(services, executor, row.id, 6)
    assert invalid.value.errors[0].code is ErrorCode.INVALID
    done = await satisfaction.record(services, executor, row.id, 4)
    assert (done.status, done.satisfaction, done.satisfaction_source) == (
        IncidentStatus.CLOSED, 4, SatisfactionSource.REACTIONS)
    with pytest.raises(DomainError) as again:
        await satisfaction.record(services, executor, row.id, 1)
    assert again.value.errors[0].code is ErrorCode.ILLEGAL_TRANSITION


async def test_a_reopened_incident_answered_again_is_scored_again(
        world: World, vmeste_app: Starlette) -> None:
    services = services_on(vmeste_app, vk(), Clock())
    row = await answered(world)
    executor = await person("executor", Role.EXECUTOR, organization_id=world.organizations[ORG_A])
    await satisfaction.record(services, executor, row.id, 1)
    assert (await Incident.get(id=row.id)).status == IncidentStatus.ROUTED
    await Incident.filter(id=row.id).update(status=IncidentStatus.ANSWERED)  # answered again
    comment = await post(row, "vk", "21", "5", parent_ref="7")
    assert await satisfaction.read_scores(services, [(row.id, comment.id)], NOW) == [row.id]
    again = await Incident.get(id=row.id)
    assert (again.status, again.satisfaction) == (IncidentStatus.CLOSED, 5)
    with pytest.raises(DomainError) as refused:  # one score an answer
        await satisfaction.record(services, executor, row.id, 4)
    assert refused.value.errors[0].code is ErrorCode.ILLEGAL_TRANSITION
