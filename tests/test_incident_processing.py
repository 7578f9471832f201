"""The processing batch: monitoring rules by page and keyword, merging by similarity and
window, comments joining their incident, every change with its event and outbox
message, and two batches at once never deciding a post twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.incident_world import NOW, official_page, post, rule, services_of
from tests.worlds import MUNICIPALITY_A, REGION_A, REGION_B, World
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.incidents.ingest import PROCESS_TOPIC, store_posts
from vmeste.platform.incidents.models import (
    Incident,
    IncidentEvent,
    IncidentReply,
    IncidentStatus,
    PostState,
    ReplyStatus,
    SocialPost,
)
from vmeste.platform.incidents.processing import process_batch
from vmeste.platform.incidents.steps import INCIDENT_EVENTS
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.policies.services import RegionPolicyInput, set_region_policy

PIT = "Огромная яма на дороге на улице Ленина, машины бьют колёса"
PIT_AGAIN = "На улице Ленина яма на дороге, уже третья машина пробила колесо"
SNOW = "Во дворе на Профсоюзной не убирают снег, сугробы по колено"


@pytest.fixture
def services(vmeste_app: Starlette) -> Any:
    return services_of(vmeste_app)


async def states() -> dict[str, tuple[str, int | None]]:
    return {ref: (state, incident) for ref, state, incident in
            await SocialPost.all().values_list("post_ref", "state", "incident_id")}


async def test_a_page_rule_takes_the_pages_posts_and_similar_ones_merge(
        world: World, services: Any) -> None:
    page = await official_page()
    await rule(REGION_A, pages=(page,))
    await store_posts([post("1", PIT), post("2", PIT_AGAIN, minutes=5),
                       post("3", SNOW, minutes=6), post("4", PIT, page_ref="-999")], NOW)
    done = await process_batch(services, NOW)
    assert (done.processed, done.created, done.attached, done.ignored) == (4, 2, 3, 1)
    pit, snow = await Incident.all().order_by("id")
    assert (pit.topic, pit.post_count, pit.status, pit.official_page_id) == (
        "road_repair", 2, IncidentStatus.NEW, page.id)
    assert (pit.territory_path, pit.registered_at, pit.next_check_at) == (
        page.territory_path, NOW, NOW)
    assert pit.first_posted_at == NOW - timedelta(hours=1)
    assert pit.last_posted_at == NOW - timedelta(minutes=55)
    assert "яма" in pit.lemmas.split() and snow.topic == "snow_removal"
    assert await states() == {"1": ("attached", pit.id), "2": ("attached", pit.id),
                              "3": ("attached", snow.id), "4": ("ignored", None)}
    topics = dict(await SocialPost.all().values_list("post_ref", "topic"))
    assert topics["1"] == "road_repair" and topics["4"] == "road_repair"
    events = await IncidentEvent.filter(incident_id=pit.id).values_list(
        "action", "actor", "payload")
    assert events == [("create", "system:incidents",
                       {"post_ids": [1, 2], "topic": "road_repair"})]
    assert await OutboxMessage.filter(topic=INCIDENT_EVENTS).count() == 2
    assert (await process_batch(services, NOW)).processed == 0


async def test_a_later_post_attaches_under_the_revision_within_the_window(
        world: World, services: Any) -> None:
    page = await official_page()
    await rule(REGION_A, pages=(page,))
    await store_posts([post("1", PIT)], NOW)
    await process_batch(services, NOW)
    await store_posts([post("2", PIT_AGAIN, minutes=47 * 60),
                       post("3", PIT, minutes=47 * 60 + 49 * 60)], NOW)
    await process_batch(services, NOW)
    first, late = await Incident.all().order_by("id")
    assert (first.post_count, first.revision) == (2, 1)
    assert (late.post_count, late.topic) == (1, "road_repair")
    actions = await IncidentEvent.filter(incident_id=first.id).order_by("id").values_list(
        "action", "payload")
    assert actions == [("create", {"post_ids": [1], "topic": "road_repair"}),
                       ("attach", {"post_ids": [2]})]


async def test_the_regions_similarity_and_window_decide_merging(
        world: World, services: Any, vmeste_app: Starlette) -> None:
    await set_region_policy(SYSTEM, vmeste_app.state.runtime.resolver, RegionPolicyInput(
        territory_code=REGION_A, kind="incident_sla", plugin="standard",
        settings={"merge_window_hours": 1, "merge_similarity": 100}))
    page = await official_page()
    await rule(REGION_A, pages=(page,))
    await store_posts([post("1", PIT), post("2", PIT_AGAIN, minutes=5),
                       post("3", PIT, minutes=10), post("4", PIT, minutes=75)], NOW)
    await process_batch(services, NOW)
    counts = await Incident.all().order_by("id").values_list("post_count", flat=True)
    assert counts == [2, 1, 1]  # 2 is too unlike at 100, 4 is after the hour


async def test_keywords_match_lemmas_and_phrases_and_name_the_rules_territory(
        world: World, services: Any) -> None:
    page = await official_page()
    await rule(REGION_B, keywords=("вывоз мусора", "свалка"))
    both = await rule(REGION_A, pages=(page,), keywords=("сосулька",))
    await store_posts([
        post("1", "Третий день нет вывоза мусора у дома 5", page_ref="-1"),
        post("2", "Мусора много, вывоз не работает", page_ref="-1"),
        post("3", "Со свалками беда", page_ref="-1"),
        post("4", "Сосульки висят над входом", page_ref="-1"),
        post("5", "С крыши свисают огромные сосульки"),
        post("6", "Яма во дворе"),
    ], NOW)
    await process_batch(services, NOW)
    found = await states()
    assert [found[ref][0] for ref in "123456"] == [
        "attached", "ignored", "attached", "ignored", "attached", "ignored"]
    garbage = await Incident.get(id=found["1"][1])
    icicles = await Incident.get(id=found["5"][1])
    assert garbage.territory_path.endswith(REGION_B) and garbage.official_page_id is None
    assert icicles.rule_id == both.id and icicles.territory_path.endswith(MUNICIPALITY_A)


async def test_an_inactive_rule_takes_nothing(world: World, services: Any) -> None:
    await rule(REGION_A, keywords=("яма",), active=False)
    await store_posts([post("1", PIT)], NOW)
    assert (await process_batch(services, NOW)).ignored == 1


async def test_comments_join_their_incident_and_answers_to_a_reply_are_returned(
        world: World, services: Any) -> None:
    page = await official_page()
    await rule(REGION_A, keywords=("яма",))
    await store_posts([post("1", PIT, page_ref="-5"),
                       post("2", "Согласен!", parent_ref="1", page_ref="-5", minutes=1),
                       post("3", "+1", parent_ref="2", page_ref="-5", minutes=2)], NOW)
    await process_batch(services, NOW)
    incident = await Incident.get()
    assert incident.post_count == 3
    incident.official_page_id = page.id
    await incident.save()
    await IncidentReply.create(incident_id=incident.id, text="Отремонтируем до пятницы",
                               parent_ref="1", written_by="op", status=ReplyStatus.PUBLISHED,
                               comment_ref="900")
    await Incident.filter(id=incident.id).update(status=IncidentStatus.ANSWERED)
    await store_posts([post("4", "Спасибо, заделали", parent_ref="900", minutes=3),
                       post("5", "Ещё одна", parent_ref="404", minutes=4),
                       post("6", "Это ответ в другой сети", parent_ref="900",
                            network="ok", minutes=5)], NOW)
    done = await process_batch(services, NOW)
    assert done.reply_comments == [(incident.id, 4)]
    found = await states()
    assert found["4"] == ("attached", incident.id) and found["5"][0] == "ignored"
    assert found["6"][0] == "ignored"
    after = await Incident.get(id=incident.id)
    assert (after.post_count, after.revision) == (3, incident.revision)  # no step taken


async def test_a_comment_follows_its_incident_into_the_merge(world: World,
                                                             services: Any) -> None:
    await rule(REGION_A, keywords=("яма",))
    await store_posts([post("1", PIT, page_ref="-5")], NOW)
    await process_batch(services, NOW)
    source = await Incident.get()
    target = await Incident.create(
        topic="road_repair", territory_id=source.territory_id,
        territory_path=source.territory_path, first_posted_at=NOW, last_posted_at=NOW,
        registered_at=NOW, registered_on=NOW.date())
    await Incident.filter(id=source.id).update(status=IncidentStatus.MERGED,
                                               merged_into_id=target.id)
    await store_posts([post("2", "Когда?", parent_ref="1", page_ref="-5", minutes=2)], NOW)
    await process_batch(services, NOW)
    assert (await states())["2"] == ("attached", target.id)
    assert (await Incident.get(id=target.id)).post_count == 1


async def test_two_batches_at_once_decide_each_post_once(world: World, services: Any) -> None:
    page = await official_page()
    await rule(REGION_A, pages=(page,))
    await store_posts([post(str(n), f"{PIT} {n}", minutes=n) for n in range(40)], NOW)
    results = await asyncio.gather(*(process_batch(services, NOW, limit=15)
                                     for _ in range(4)))
    while (await process_batch(services, NOW, limit=15)).processed:
        pass
    assert sum(r.processed for r in results) <= 40
    assert await SocialPost.filter(state=PostState.NEW).count() == 0
    assert await Incident.all().count() == 1
    assert (await Incident.get()).post_count == 40
    mentioned = [pk for payload in await IncidentEvent.all().values_list("payload", flat=True)
                 for pk in payload["post_ids"]]
    assert sorted(mentioned) == list(range(1, 41))


async def test_the_outbox_job_processes_until_nothing_is_new(world: World,
                                                             vmeste_app: Starlette) -> None:
    await rule(REGION_A, keywords=("снег",))
    await store_posts([post(str(n), SNOW, minutes=n) for n in range(450)], NOW)
    runtime = vmeste_app.state.runtime
    topic = runtime.topics[PROCESS_TOPIC]
    assert topic.queue == "incidents"
    assert await topic.handle(runtime, {}, False) == 450
    assert await SocialPost.filter(state=PostState.NEW).count() == 0
