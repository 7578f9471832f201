"""Incidents ready to be answered, on the shared small world (``tests/worlds.py``), with
their official pages on the local fakes of VK and Telegram (``tests/social_fakes.py``).

Incidents are built with the models directly (the intake and triage are not these
tests' subject): one routed to the Kirov ministry (``ORG_A``), its first post on the
ministry's page, written by :data:`AUTHOR`. ``services_on`` gives the incident
services with a hub on a fake (a fresh call is a worker restarted: a new hub, new
pacers, nothing in memory) and a settable clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette

from tests.social_fakes import (
    TELEGRAM_TOKEN,
    VK_TOKEN,
    FakeClock,
    FlakyTransport,
    TelegramFake,
    VkFake,
    context,
)
from tests.worlds import MUNICIPALITY_A, ORG_A, World
from vmeste.platform.identity.models import Role, User
from vmeste.platform.identity.principal import Grant, Principal
from vmeste.platform.incidents.models import (
    Incident,
    IncidentStatus,
    PostState,
    SocialPost,
)
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.publics.hub import ConnectorHub
from vmeste.platform.publics.models import OfficialPage
from vmeste.platform.reference.models import Territory

#: Thursday 3 December 2026, 10:00 in Kirov (UTC+3).
NOW = datetime(2026, 12, 3, 7, tzinfo=UTC)
ENV = {"VMESTE_VK_TOKEN": VK_TOKEN, "VMESTE_TELEGRAM_TOKEN": TELEGRAM_TOKEN}
AUTHOR = "501"
VK_GROUP = "11"
TELEGRAM_CHAT = "-100500"


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


def services_on(app: Starlette, fake: VkFake | TelegramFake, clock: Clock) -> IncidentServices:
    """The app's incident services, their hub on ``fake`` (a new one each call)."""
    base = app.state.runtime.service(IncidentServices)
    settings = context(fake, fake.app(), ENV).settings
    hub = ConnectorHub(settings, app.state.runtime.resolver,
                       transport=FlakyTransport(fake, fake.app()),
                       clock=fake.clock, sleep=fake.clock.sleep, env=ENV)
    return replace(base, hub_of=lambda: hub, clock=clock)


def vk() -> VkFake:
    return VkFake(clock=FakeClock())


def telegram() -> TelegramFake:
    return TelegramFake(clock=FakeClock())


async def page(world: World, network: str, page_ref: str) -> OfficialPage:
    territory = await Territory.get(code=MUNICIPALITY_A)
    return await OfficialPage.create(
        organization_id=world.organizations[ORG_A], territory_id=territory.id,
        territory_path=territory.path, network=network, page_ref=page_ref,
        registered_name="Министерство ЖКХ Кировской области", created_by="test")


async def incident(world: World, official: OfficialPage | None, *,
                   status: IncidentStatus = IncidentStatus.ROUTED, post_ref: str = "7",
                   text: str = "Яма на улице Ленина у дома 5, машины бьют колёса",
                   **fields: Any) -> Incident:
    """A routed incident with one post by :data:`AUTHOR` (on ``official``'s page)."""
    territory = await Territory.get(code=MUNICIPALITY_A)
    network = official.network if official else "vk"
    row = await Incident.create(
        status=status, topic="roads", territory_id=territory.id,
        territory_path=territory.path, category_id=world.categories["roads.pits"],
        organization_id=world.organizations[ORG_A],
        official_page_id=official.id if official else None, post_count=1,
        first_posted_at=NOW - timedelta(hours=2), last_posted_at=NOW - timedelta(hours=2),
        registered_at=NOW - timedelta(hours=1), registered_on=(NOW - timedelta(hours=1)).date(),
        answer_due_at=NOW + timedelta(hours=8),
        **fields)
    await post(row, network, post_ref, text, page_ref=official.page_ref if official else "1",
               at=NOW - timedelta(hours=2))
    return row


async def post(row: Incident, network: str, post_ref: str, text: str, *,
               author: str = AUTHOR, page_ref: str = VK_GROUP, parent_ref: str = "",
               at: datetime = NOW) -> SocialPost:
    return await SocialPost.create(
        network=network, post_ref=post_ref, page_ref=page_ref, parent_ref=parent_ref,
        author_ref=author, text=text, url=f"https://vk.com/wall-{page_ref}_{post_ref}",
        posted_at=at, ingested_at=at, state=PostState.ATTACHED, incident_id=row.id)


async def person(subject: str, role: Role, *, organization_id: int | None = None,
                 territory: str | None = None) -> Principal:
    """A signed-in person holding one role, on a body or over a territory."""
    user, _created = await User.get_or_create(issuer="test", subject=subject)
    path = (await Territory.get(code=territory)).path if territory else None
    return Principal(user=user, grants=(Grant(role, organization_id=organization_id,
                                              territory_path=path),))
