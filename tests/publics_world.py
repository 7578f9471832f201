"""Official pages for the publics tests, on the shared small world (``tests/worlds.py``),
read through the connectors against the local fake of VK (``tests/social_fakes.py``).

``services_on`` builds the publics services with a hub whose HTTP transport is the
fake's and whose clock is the fake's, so snapshots cost no wall-clock time and no
network; ``vk_page`` registers a VK community of a body as the platform would;
``complete_group`` is a community that passes every network rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.applications import Starlette

from tests.social_fakes import VK_TOKEN, FakeClock, FlakyTransport, VkFake, context
from tests.worlds import MUNICIPALITY_A, ORG_A
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.publics.hub import ConnectorHub
from vmeste.platform.publics.models import OfficialPage
from vmeste.platform.publics.pages import PageInput
from vmeste.platform.publics.services import PublicsServices
from vmeste.platform.reference.models import Organization

ENV = {"VMESTE_VK_TOKEN": VK_TOKEN}
NAME = "Министерство ЖКХ Кировской области"


def services_on(app: Starlette, fake: VkFake, now: list[datetime]) -> PublicsServices:
    """The app's services with a hub on ``fake``; ``now[0]`` is the services' clock."""
    runtime = app.state.runtime
    settings = context(fake, fake.app(), ENV).settings
    hub = ConnectorHub(settings, runtime.resolver, transport=FlakyTransport(fake, fake.app()),
                       clock=fake.clock, sleep=fake.clock.sleep, env=ENV)
    return PublicsServices(hub=hub, resolver=runtime.resolver, clock=lambda: now[0])


def vk_fake() -> VkFake:
    return VkFake(clock=FakeClock())


def complete_group(name: str = NAME) -> dict[str, Any]:
    return {"id": 1, "name": name, "verified": 1, "has_photo": 1,
            "description": "ул. Карла Либкнехта, д. 69. Часы работы: пн-пт 8:00-17:00",
            "site": "https://zhkh.kirov.ru",
            "contacts": [{"phone": "+7 (8332) 27-27-27", "email": "info@zhkh.kirov.ru"}],
            "cover": {"enabled": 1, "images": [{"url": "https://vk.test/c.jpg"}]}}


async def vk_page(services: PublicsServices, page_ref: str, *, org: str = ORG_A,
                  territory: str = MUNICIPALITY_A, name: str = NAME,
                  **fields: Any) -> OfficialPage:
    organization = await Organization.get(ogrn=org)
    return await services.register_page(fields.pop("principal", SYSTEM), PageInput(
        organization_id=organization.id, territory_code=territory, network="vk",
        page_ref=page_ref, registered_name=name,
        responsible_name=fields.pop("responsible_name", "Петров П. П."), **fields))
