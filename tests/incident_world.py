"""Incidents for the incident tests, on the shared small world (``tests/worlds.py``).

``official_page`` registers a VK community of region A's ministry through the publics
services, as the platform would; ``rule`` stores a monitoring rule over a territory
(its pages and keywords); ``post`` is a post as a connector gives it; ``services_of``
is the app's incident services. ``NOW`` is the moment the tests process at.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.worlds import MUNICIPALITY_A, ORG_A
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.incidents.ingest import IncomingPost
from vmeste.platform.incidents.models import MonitoringRule
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.publics.models import OfficialPage
from vmeste.platform.publics.pages import PageInput, register_page
from vmeste.platform.reference.models import Organization, Territory

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)
PAGE_REF = "-200"


def services_of(app: Any) -> IncidentServices:
    return app.state.runtime.service(IncidentServices)  # type: ignore[no-any-return]


async def official_page(page_ref: str = PAGE_REF, *, territory: str = MUNICIPALITY_A,
                        org: str = ORG_A, network: str = "vk") -> OfficialPage:
    organization = await Organization.get(ogrn=org)
    return await register_page(SYSTEM, PageInput(
        organization_id=organization.id, territory_code=territory, network=network,
        page_ref=page_ref, registered_name="Министерство ЖКХ Кировской области"), NOW)


async def rule(territory: str, *, pages: tuple[OfficialPage, ...] = (),
               keywords: tuple[str, ...] = (), active: bool = True) -> MonitoringRule:
    where = await Territory.get(code=territory)
    return await MonitoringRule.create(
        name=f"Мониторинг {territory}", territory_id=where.id, territory_path=where.path,
        keywords=list(keywords), page_ids=[page.id for page in pages], active=active,
        created_by=SYSTEM.actor)


def post(post_ref: str, text: str, *, page_ref: str = PAGE_REF, parent_ref: str = "",
         network: str = "vk", minutes: int = 0, author: str = "") -> IncomingPost:
    """A post ``minutes`` after an hour before ``NOW``."""
    return IncomingPost(network=network, post_ref=post_ref, page_ref=page_ref,
                        parent_ref=parent_ref, author_ref=author, text=text, url="",
                        latitude=None, longitude=None,
                        posted_at=NOW - timedelta(hours=1) + timedelta(minutes=minutes))
