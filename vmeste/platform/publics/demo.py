"""The official pages of ``vmeste demo``: VK pages of six Kirov bodies, with varied
compliance, each read twice (a week ago and today), so the shares, the per-rule
figures and a page's history (the housing ministry's page becomes compliant) have
something to show.

The demo has no network to read, so the reads are recorded profiles, stored through
:func:`vmeste.platform.publics.snapshots.store_snapshot`, the same step a live read
ends in; the declarations go through the services as a body's and the regional
centre's would.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.publics.connectors import PageProfile
from vmeste.platform.publics.models import OfficialPage
from vmeste.platform.publics.pages import PageInput
from vmeste.platform.publics.services import PublicsServices
from vmeste.platform.publics.snapshots import store_snapshot
from vmeste.platform.reference.models import Organization

ACTOR = "system:demo"
CITY = "33701000"
REGION = "33000000"
#: (the body's name, the page id on VK, the territory, how complete its page is).
PAGES = (
    ("Правительство Кировской области", "10001", REGION, "complete"),
    ("Министерство энергетики и жилищно-коммунального хозяйства Кировской области", "10002",
     REGION, "improving"),
    ("Министерство транспорта Кировской области", "10003", REGION, "no_cover"),
    ("Министерство социального развития Кировской области", "10004", REGION, "complete"),
    ("КОГКУ «Дорожный комитет Кировской области»", "10005", REGION, "silent"),
    ("Министерство здравоохранения Кировской области", "10006", REGION, "unverified"),
)
DECLARED = ("widgets", "responsible_2fa", "regional_centre_informed", "site_link")


def _profile(name: str, page_ref: str, state: str, now: datetime) -> PageProfile:
    full = PageProfile(
        network="vk", page_id=page_ref, name=name, verified=True,
        description="г. Киров, ул. Карла Либкнехта, д. 69. Приём граждан: пн–пт 9:00–18:00",
        site="https://kirovreg.ru", phones=("+7 (8332) 27-27-27",),
        emails=("info@kirovreg.ru",), addresses=("г. Киров, ул. Карла Либкнехта, 69",),
        has_avatar=True, has_cover=True, links=("https://kirovreg.ru",), members=12_000,
        last_post_dates=tuple(now - timedelta(days=d, hours=3) for d in (0, 1, 3, 5)))
    match state:
        case "no_cover":
            return replace(full, has_cover=False)
        case "silent":
            return replace(full, last_post_dates=(now - timedelta(days=20),))
        case "unverified":
            return replace(full, verified=False, description="Новости министерства")
        case "incomplete":
            return replace(full, description="Официальная страница", phones=(), emails=())
    return full


async def load_demo_pages(services: PublicsServices) -> str:
    week_ago = services.clock() - timedelta(days=7)
    registered = 0
    for name, page_ref, territory, state in PAGES:
        organization = await Organization.filter(name=name).first()
        if organization is None or await OfficialPage.exists(network="vk", page_ref=page_ref):
            continue
        page = await services.register_page(SYSTEM, PageInput(
            organization_id=organization.id, territory_code=territory, network="vk",
            page_ref=page_ref, registered_name=name, url=f"https://vk.com/club{page_ref}",
            responsible_name="Иванова А. С.", responsible_position="пресс-секретарь"))
        registered += 1
        first_state = "incomplete" if state == "improving" else state
        await store_snapshot(services.resolver, page, _profile(name, page_ref, first_state,
                                                               week_ago), "", ACTOR, week_ago)
        if state != "silent":
            for code in DECLARED:
                declaration = await services.declare(SYSTEM, page.id, code, True)
                await services.confirm(SYSTEM, declaration.id, accept=True)
        now = services.clock()  # after the declarations' rechecks, so it reads last
        await store_snapshot(services.resolver, page, _profile(name, page_ref, (
            "complete" if state == "improving" else state), now), "", ACTOR, now)
    return f"{registered} official pages"
