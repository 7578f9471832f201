"""Merging and splitting incidents: the monitoring staff's steps, their events on every
incident involved, a merge undone by a split, and the typed refusals."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from tests.hearing_world import principal
from tests.incident_world import NOW, official_page, post, rule, services_of
from tests.worlds import REGION_A, REGION_B, World
from vmeste.platform.errors import DomainError, ErrorCode, Forbidden
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.incidents.ingest import store_posts
from vmeste.platform.incidents.merging import merge, split
from vmeste.platform.incidents.models import Incident, IncidentEvent, IncidentStatus, SocialPost
from vmeste.platform.incidents.processing import process_batch

PIT = "Огромная яма на дороге на улице Ленина"
SNOW = "Во дворе на Профсоюзной не убирают снег"
BUS = "Автобус номер пять не пришёл на остановку"


@pytest.fixture
async def three(world: World, vmeste_app: Starlette) -> list[Incident]:
    """Three incidents on region A's page: a pit (two posts), snow, a bus."""
    page = await official_page()
    await rule(REGION_A, pages=(page,))
    await store_posts([post("1", PIT), post("2", PIT, minutes=1), post("3", SNOW, minutes=2),
                       post("4", BUS, minutes=3)], NOW)
    await process_batch(services_of(vmeste_app), NOW)
    return list(await Incident.all().order_by("id"))


async def posts_of(incident_id: int) -> list[int]:
    return list(await SocialPost.filter(incident_id=incident_id).order_by("id").values_list(
        "id", flat=True))


async def test_a_merge_undone_by_a_split(three: list[Incident], make_token: Any) -> None:
    pit, snow, bus = three
    monitor = await principal(make_token, "moderator", "mod-a", territory=REGION_A)
    merged = await merge(monitor, pit.id, [snow.id, bus.id], "one road works")
    assert (merged.post_count, merged.revision) == (4, 2)
    assert await posts_of(pit.id) == [1, 2, 3, 4]
    assert "снег" in merged.lemmas.split() and merged.last_posted_at == bus.last_posted_at
    for source in (snow, bus):
        row = await Incident.get(id=source.id)
        assert (row.status, row.merged_into_id, row.post_count) == (
            IncidentStatus.MERGED, pit.id, 0)
    events = await IncidentEvent.all().order_by("id").values_list(
        "incident_id", "action", "actor", "reason", "payload")
    assert events[-4:] == [
        (snow.id, "merge", monitor.actor, "one road works", {"target_id": pit.id,
                                                             "post_ids": [3]}),
        (pit.id, "absorb", monitor.actor, "one road works", {"source_id": snow.id,
                                                             "post_ids": [3]}),
        (bus.id, "merge", monitor.actor, "one road works", {"target_id": pit.id,
                                                            "post_ids": [4]}),
        (pit.id, "absorb", monitor.actor, "one road works", {"source_id": bus.id,
                                                             "post_ids": [4]})]

    again = await split(monitor, pit.id, [3], "snow is its own problem")
    assert await posts_of(again.id) == [3] and await posts_of(pit.id) == [1, 2, 4]
    assert (again.status, again.topic, again.territory_path, again.post_count) == (
        IncidentStatus.NEW, pit.topic, pit.territory_path, 1)
    assert again.first_posted_at == again.last_posted_at == snow.first_posted_at
    assert (again.registered_at, again.next_check_at) == (pit.registered_at, pit.registered_at)
    assert again.lemmas == snow.lemmas
    after = await Incident.get(id=pit.id)
    assert (after.post_count, after.last_posted_at) == (3, bus.last_posted_at)
    assert "снег" not in after.lemmas.split()
    tail = await IncidentEvent.all().order_by("-id").limit(2).values_list(
        "incident_id", "action", "payload")
    assert tail == [(pit.id, "split", {"new_id": again.id, "post_ids": [3]}),
                    (again.id, "create", {"source_id": pit.id, "post_ids": [3]})]


async def test_merges_follow_through_earlier_ones(three: list[Incident]) -> None:
    pit, snow, bus = three
    await merge(SYSTEM, snow.id, [bus.id])
    await merge(SYSTEM, pit.id, [snow.id])
    assert (await Incident.get(id=bus.id)).merged_into_id == pit.id


async def test_refusals_are_typed(three: list[Incident], make_token: Any) -> None:
    pit, snow, bus = three
    cases = [
        (merge(SYSTEM, pit.id, [pit.id]), ErrorCode.INVALID),
        (merge(SYSTEM, pit.id, []), ErrorCode.REQUIRED),
        (merge(SYSTEM, pit.id, [999]), ErrorCode.NOT_FOUND),
        (merge(SYSTEM, 999, [pit.id]), ErrorCode.NOT_FOUND),
        (split(SYSTEM, pit.id, []), ErrorCode.REQUIRED),
        (split(SYSTEM, pit.id, [3]), ErrorCode.NOT_FOUND),
        (split(SYSTEM, pit.id, [1, 2]), ErrorCode.INVALID),
        (split(SYSTEM, 999, [1]), ErrorCode.NOT_FOUND),
    ]
    for attempt, code in cases:
        with pytest.raises(DomainError) as refused:
            await attempt
        assert refused.value.errors[0].code is code
    await Incident.filter(id=bus.id).update(status=IncidentStatus.DISMISSED)
    for attempt in (merge(SYSTEM, pit.id, [bus.id]), merge(SYSTEM, bus.id, [pit.id]),
                    split(SYSTEM, bus.id, [4])):
        with pytest.raises(DomainError) as refused:
            await attempt
        assert refused.value.errors[0].code is ErrorCode.ILLEGAL_TRANSITION
    outsider = await principal(make_token, "moderator", "mod-b", territory=REGION_B)
    operator = await principal(make_token, "auditor", "aud-a", territory=REGION_A)
    for who in (outsider, operator):
        with pytest.raises(Forbidden):
            await merge(who, pit.id, [snow.id])
    assert await posts_of(pit.id) == [1, 2] and (await Incident.get(id=snow.id)).revision == 0
