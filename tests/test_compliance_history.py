"""Two snapshots through the fake VK show a page becoming compliant, its history keeps
both, and the shares per region and rule match a hand count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette

from tests.publics_world import complete_group, services_on, vk_fake, vk_page
from tests.social_fakes import VkFake
from tests.worlds import COUNTRY, MUNICIPALITY_B, ORG_B, REGION_A, REGION_B, World
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.publics.compliance_rules import RULES
from vmeste.platform.publics.models import ComplianceResult, OfficialPage, PageSnapshot
from vmeste.platform.publics.shares import Share, compliance_shares

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)
DECLARED = ("widgets", "responsible_2fa", "regional_centre_informed", "site_link")


def posts(fake: VkFake, group: str, days: tuple[int, ...]) -> None:
    for day in days:
        fake.post(group, "новость", int((NOW - timedelta(days=day)).timestamp()))


async def test_a_page_becomes_compliant_and_the_shares_count_it(
        world: World, vmeste_app: Starlette) -> None:
    fake, now = vk_fake(), [NOW]
    services = services_on(vmeste_app, fake, now)
    fake.groups["11"] = {**complete_group(), "verified": 0, "description": "Новости"}
    fake.groups["22"] = complete_group("Департамент городского хозяйства Севастополя")
    posts(fake, "11", (1,))
    posts(fake, "22", (1, 2, 3))
    kirov = await vk_page(services, "11")
    sevastopol = await vk_page(services, "22", org=ORG_B, territory=MUNICIPALITY_B,
                               name="Департамент городского хозяйства Севастополя")

    first = await services.take_snapshot(SYSTEM, kirov.id)
    await services.take_snapshot(SYSTEM, sevastopol.id)
    failed = {r.rule_code: r.passed for r in await ComplianceResult.filter(snapshot_id=first.id)}
    assert failed == {"verified": False, "name_matches": True, "description_contacts": False,
                      "avatar_cover": True, "posting_rate": False,
                      **dict.fromkeys(DECLARED, None)}
    assert first.posts_in_window == 1 and first.error == ""
    page = await OfficialPage.get(id=kirov.id)
    assert page.next_snapshot_at == NOW + timedelta(hours=24)

    now[0] = NOW + timedelta(days=1)
    fake.groups["11"] = complete_group()
    posts(fake, "11", (-1, 0))
    for code in DECLARED:
        for page_id in (kirov.id, sevastopol.id):
            declaration = await services.declare(SYSTEM, page_id, code, True)
            await services.confirm(SYSTEM, declaration.id, accept=True)
    second = await services.take_snapshot(SYSTEM, kirov.id)
    assert {r.passed for r in await ComplianceResult.filter(snapshot_id=second.id)} == {True}

    history = [(r.snapshot_id, r.passed) for r in await services.history(kirov.id, "verified")]
    assert history[0] == (first.id, False) and history[-1] == (second.id, True)
    declared = [r.passed for r in await services.history(kirov.id, "widgets")]
    assert declared == [None] + [True] * 4 + [True], "awaiting, each recheck, the snapshot"
    assert await AuditEvent.filter(action="official_page.snapshot").count() == 3

    # By hand: both pages pass every rule on their latest snapshots; on the first day the
    # Kirov page failed verified, contacts, posting and awaited the declared ones.
    everything = [(None, 1, 1), *((rule.code, 1, 1) for rule in RULES)]
    assert await compliance_shares(REGION_A) == [
        Share(REGION_A, code, pages, passing) for code, pages, passing in everything] + [
        Share("33701000", code, pages, passing) for code, pages, passing in everything]
    day_one = await compliance_shares(None, on=NOW.date())
    assert [s for s in day_one if s.territory_code == COUNTRY][:4] == [
        Share(COUNTRY, None, 2, 0), Share(COUNTRY, "verified", 2, 1),
        Share(COUNTRY, "name_matches", 2, 2), Share(COUNTRY, "description_contacts", 2, 1)]
    by_region = {(s.territory_code, s.rule_code): s.passing for s in day_one}
    assert by_region[(REGION_A, "posting_rate")] == 0
    assert by_region[(REGION_B, "posting_rate")] == 1
    assert by_region[(REGION_B, None)] == 0, "its declarations were not confirmed on day one"
    assert await PageSnapshot.filter(page_id=kirov.id).count() == 2


async def test_a_failed_read_is_stored_and_fails_the_network_rules(
        world: World, vmeste_app: Starlette) -> None:
    fake = vk_fake()
    services = services_on(vmeste_app, fake, [NOW])
    page = await vk_page(services, "404")
    snapshot = await services.take_snapshot(SYSTEM, page.id)
    assert snapshot.error.startswith("NotFound") and snapshot.profile == {}
    rows = await ComplianceResult.filter(snapshot_id=snapshot.id)
    results = {r.rule_code: r.passed for r in rows}
    assert results["verified"] is False and results["widgets"] is None
