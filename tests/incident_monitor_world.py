"""Social monitoring for the incident tests, on the shared small world (``tests/worlds.py``):
official pages on VK and Telegram, read through the connectors against the local fakes
(``tests/social_fakes.py``), and the monitoring rules that select them.

``monitoring_on`` points the app's runtime at the fakes, as a deployment points it at
the networks: the publics hub (which the incident services use) talks to one ASGI app
serving both fakes, on their shared fake clock, so a network's backoff costs no time,
and the runtime's clock is ``now[0]``. ``vk_group`` and ``telegram_chat`` register an
official page of region A's body, ``monitor`` is region A's moderator, and
``incident_with`` an incident of some posts as triage leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from starlette.applications import Starlette

from tests.hearing_world import principal
from tests.social_fakes import TELEGRAM_TOKEN, VK_TOKEN, FakeClock, TelegramFake, VkFake
from tests.worlds import MUNICIPALITY_A, ORG_A, REGION_A, World
from vmeste.platform.identity.principal import SYSTEM, Principal
from vmeste.platform.incidents import rules, sla
from vmeste.platform.incidents.models import Incident, MonitoringRule, PostState, SocialPost
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.publics.hub import ConnectorHub
from vmeste.platform.publics.models import OfficialPage
from vmeste.platform.publics.pages import PageInput
from vmeste.platform.publics.services import PublicsServices
from vmeste.platform.reference.models import Organization, Territory
from vmeste.platform.settings import load_settings

BASE = "http://fake.test"
VK_SECRET = "vk-callback-secret"
VK_CONFIRMATION = "a1b2c3d4"
TELEGRAM_SECRET = "telegram-webhook-secret"
#: A page registered with credentials ``kirov`` reads ``VMESTE_VK_KIROV_TOKEN``: unset,
#: so VK refuses it as a revoked token (error 5).
ENV = {"VMESTE_VK_TOKEN": VK_TOKEN, "VMESTE_VK_SECRET": VK_SECRET,
       "VMESTE_VK_CONFIRMATION": VK_CONFIRMATION, "VMESTE_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
       "VMESTE_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET}
#: The Telegram fake's chats are supergroups with this id.
CHAT = -100500


@dataclass
class Networks:
    clock: FakeClock = field(default_factory=FakeClock)
    vk: VkFake = field(init=False)
    telegram: TelegramFake = field(init=False)

    def __post_init__(self) -> None:
        self.vk, self.telegram = VkFake(clock=self.clock), TelegramFake(clock=self.clock)

    def app(self) -> Starlette:
        return Starlette(routes=[*self.vk.app().routes, *self.telegram.app().routes])


def monitoring_on(app: Starlette, networks: Networks, now: list[datetime]) -> IncidentServices:
    """The app's incident services, reading ``networks``; ``now[0]`` is the runtime's clock."""
    runtime = app.state.runtime
    settings = load_settings({"VMESTE_VK_API_URL": f"{BASE}/method",
                              "VMESTE_TELEGRAM_API_URL": BASE})
    runtime.service(PublicsServices).hub = ConnectorHub(
        settings, runtime.resolver, transport=httpx.ASGITransport(app=networks.app()),
        clock=networks.clock, sleep=networks.clock.sleep, env=ENV)
    runtime.clock = lambda: now[0]
    return runtime.service(IncidentServices)


async def official_page(app: Starlette, network: str, page_ref: str, *,
                        territory: str = MUNICIPALITY_A, **fields: Any) -> OfficialPage:
    organization = await Organization.get(ogrn=ORG_A)
    return await app.state.runtime.service(PublicsServices).register_page(SYSTEM, PageInput(
        organization_id=organization.id, territory_code=territory, network=network,
        page_ref=page_ref, registered_name="Министерство ЖКХ Кировской области", **fields))


async def vk_group(app: Starlette, group: str, **fields: Any) -> OfficialPage:
    return await official_page(app, "vk", group, **fields)


async def telegram_chat(app: Starlette, chat: int = CHAT, **fields: Any) -> OfficialPage:
    return await official_page(app, "telegram", str(chat), **fields)


async def monitor(make_token: Any, sub: str = "monitor-a", territory: str = REGION_A
                  ) -> Principal:
    return await principal(make_token, "moderator", sub, territory=territory)


async def rule_for(pages: list[OfficialPage], now: datetime, *, keywords: list[str] | None = None,
                   territory: str = REGION_A, **fields: Any) -> MonitoringRule:
    """A rule over ``pages`` kept by the system (the access rules are tested apart)."""
    return await rules.create_rule(SYSTEM, rules.RuleInput(
        name=fields.pop("name", "Обращения в сообществах"), territory_code=territory,
        keywords=keywords or [], page_ids=[page.id for page in pages], **fields), now)


async def incident_with(world: World, topic: str, texts: list[str], now: datetime, *,
                        confirmed: bool = True) -> Incident:
    """An incident of ``texts`` (VK posts) whose topic an operator confirmed or not, as
    the processing batch and a triage leave it."""
    territory = await Territory.get(id=world.territories[MUNICIPALITY_A])
    incident = await Incident.create(
        topic=topic, topic_confirmed=confirmed, territory_id=territory.id,
        territory_path=territory.path, post_count=len(texts), first_posted_at=now,
        last_posted_at=now, **sla.scheduled(now, territory.timezone))
    start = await SocialPost.all().count()
    await SocialPost.bulk_create([
        SocialPost(network="vk", post_ref=str(start + n), page_ref="11", text=text,
                   posted_at=now, ingested_at=now, state=PostState.ATTACHED, topic=topic,
                   incident_id=incident.id) for n, text in enumerate(texts, 1)])
    return incident
