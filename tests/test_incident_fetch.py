"""Fetching the monitored pages: the watchdog queues a job per due rule, the job reads
each page through its connector (the local fakes of VK and Telegram) page by page,
stores the posts and then saves the page's cursor; a rate limit fails the job for the
outbox to retry, and a page the network refuses is recorded while the others go on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.incident_monitor_world import (
    CHAT,
    Networks,
    monitoring_on,
    rule_for,
    telegram_chat,
    vk_group,
)
from tests.worlds import World
from vmeste.platform.deadlines.watchdog import run_watchdog
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.incidents.fetching import FETCH_TOPIC, MonitoringClock
from vmeste.platform.incidents.models import MonitoringRule, SocialPost
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.publics.failures import RateLimited
from vmeste.platform.publics.services import PublicsServices

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)
DAY = int(NOW.timestamp()) - 86_400


@pytest.fixture
def networks() -> Networks:
    return Networks()


@pytest.fixture
def now() -> list[datetime]:
    return [NOW]


@pytest.fixture
def runtime(vmeste_app: Starlette, networks: Networks, now: list[datetime]) -> Any:
    monitoring_on(vmeste_app, networks, now)
    return vmeste_app.state.runtime


async def fetch(runtime: Any, rule: MonitoringRule, last_attempt: bool = False) -> int:
    return await runtime.topics[FETCH_TOPIC].handle(runtime, {"rule_id": rule.id}, last_attempt)


async def refs(network: str) -> list[str]:
    return await SocialPost.filter(network=network).order_by("id").values_list(
        "post_ref", flat=True)


async def test_the_watchdog_queues_a_fetch_per_due_rule_and_moves_it_on(
        world: World, vmeste_app: Starlette, runtime: Any) -> None:
    page = await vk_group(vmeste_app, "11")
    rule = await rule_for([page], NOW, fetch_every_minutes=15)
    assert any(isinstance(kind, MonitoringClock) for kind in runtime.deadlines.kinds)
    counts = await run_watchdog(runtime, NOW - timedelta(minutes=1))
    assert counts[MonitoringClock.name].get("fetch_queued", 0) == 0
    assert (await run_watchdog(runtime, NOW))[MonitoringClock.name]["fetch_queued"] == 1
    assert (await run_watchdog(runtime, NOW + timedelta(minutes=5)))[
        MonitoringClock.name].get("fetch_queued", 0) == 0
    assert (await MonitoringRule.get(id=rule.id)).next_fetch_at == NOW + timedelta(minutes=15)
    assert (await run_watchdog(runtime, NOW + timedelta(minutes=20)))[
        MonitoringClock.name]["fetch_queued"] == 1
    queued = await OutboxMessage.filter(topic=FETCH_TOPIC).order_by("id")
    assert [m.payload for m in queued] == [{"rule_id": rule.id}] * 2
    assert len({m.dedupe_key for m in queued}) == 2
    await rule_for([], NOW, keywords=["яма"])
    assert (await run_watchdog(runtime, NOW + timedelta(days=1)))[
        MonitoringClock.name]["fetch_queued"] == 1, "a keyword rule has nothing to fetch"


async def test_a_page_is_read_page_by_page_and_its_cursor_saved(
        world: World, vmeste_app: Starlette, runtime: Any, networks: Networks) -> None:
    page = await vk_group(vmeste_app, "11")
    for n in range(150):
        networks.vk.post("11", f"Пост {n}", DAY + n)
    rule = await rule_for([page], NOW)
    assert await fetch(runtime, rule) == 150
    assert len(networks.vk.called("wall.get")) == 2, "100 a call, then the rest"
    assert sorted(map(int, await refs("vk"))) == list(range(1, 151))
    stored = await SocialPost.get(network="vk", post_ref="150")
    assert (stored.page_ref, stored.text, stored.ingested_at) == ("11", "Пост 149", NOW)
    assert (await MonitoringRule.get(id=rule.id)).cursors == {str(page.id): "150"}
    networks.vk.post("11", "Яма у дома 5", DAY + 200)
    assert await fetch(runtime, rule) == 1
    assert (await MonitoringRule.get(id=rule.id)).cursors == {str(page.id): "151"}
    # Lost between storing and saving the cursor: read again, stored once.
    await MonitoringRule.filter(id=rule.id).update(cursors={})
    assert await fetch(runtime, rule) == 0
    assert await SocialPost.filter(network="vk").count() == 151


async def test_a_telegram_chat_is_read_by_its_bots_updates(
        world: World, vmeste_app: Starlette, runtime: Any, networks: Networks) -> None:
    page = await telegram_chat(vmeste_app)
    for n in range(120):
        networks.telegram.message(CHAT, f"Сообщение {n}", DAY + n)
    rule = await rule_for([page], NOW)
    assert await fetch(runtime, rule) == 120
    assert len(networks.telegram.called("getUpdates")) == 2, "100, then the other 20"
    assert (await MonitoringRule.get(id=rule.id)).cursors == {str(page.id): "620"}
    assert await fetch(runtime, rule) == 0
    assert networks.telegram.confirmed == 620, "the saved cursor confirms what was read"


async def test_a_rate_limit_fails_the_job_and_the_retry_goes_on(
        world: World, vmeste_app: Starlette, runtime: Any, networks: Networks) -> None:
    page = await vk_group(vmeste_app, "11")
    networks.vk.post("11", "Сугробы во дворе", DAY)
    rule = await rule_for([page], NOW)
    networks.vk.inject("wall.get", *[29] * 5)  # the connector's five attempts all refused
    with pytest.raises(RateLimited):
        await fetch(runtime, rule)
    assert networks.clock.sleeps == [60.0] * 4, "VK's error 29 waits a minute each time"
    assert (await MonitoringRule.get(id=rule.id)).cursors == {}
    assert await SocialPost.all().count() == 0
    assert await fetch(runtime, rule) == 1, "the outbox's retry"
    assert (await MonitoringRule.get(id=rule.id)).errors == {}


async def test_a_refused_page_is_recorded_and_the_others_go_on(
        world: World, vmeste_app: Starlette, runtime: Any, networks: Networks) -> None:
    revoked = await vk_group(vmeste_app, "11", token_variable="kirov")
    working = await vk_group(vmeste_app, "12")
    chat = await telegram_chat(vmeste_app)
    # VK numbers each wall's posts apart: another id, or the store would take it for
    # the other wall's post 1.
    networks.vk.post("11", "Не видно", DAY, id=7)
    networks.vk.post("12", "Яма на дороге", DAY)
    networks.telegram.message(CHAT, "Автобус не пришёл", DAY)
    rule = await rule_for([revoked, working, chat], NOW)
    assert await fetch(runtime, rule) == 2
    saved = await MonitoringRule.get(id=rule.id)
    assert saved.cursors == {str(working.id): "1", str(chat.id): "501"}
    assert saved.errors == {str(revoked.id): {
        "kind": "unauthorized", "message": "vk wall.get: error 5", "at": NOW.isoformat()}}
    assert await SocialPost.filter(page_ref="11").count() == 0
    await runtime.service(PublicsServices).update_page(SYSTEM, revoked.id,
                                                       {"token_variable": ""})
    assert await fetch(runtime, rule) == 1
    assert (await MonitoringRule.get(id=rule.id)).cursors[str(revoked.id)] == "7"
    assert (await MonitoringRule.get(id=rule.id)).errors == {}, "a success clears the error"


async def test_a_failure_on_the_last_attempt_is_recorded_too(
        world: World, vmeste_app: Starlette, runtime: Any, networks: Networks) -> None:
    first, second = await vk_group(vmeste_app, "11"), await vk_group(vmeste_app, "12")
    networks.vk.post("12", "Мусор не вывозят", DAY)
    rule = await rule_for([first, second], NOW)
    networks.vk.inject("wall.get", *["500"] * 5)
    with pytest.raises(Exception, match="HTTP 500"):
        await fetch(runtime, rule, last_attempt=True)
    saved = await MonitoringRule.get(id=rule.id)
    assert saved.errors[str(first.id)]["kind"] == "transient"
    assert saved.cursors == {str(second.id): "1"}, "the second page went on"

