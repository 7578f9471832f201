"""The publics' rule "widgets" reads the platform's own count: a page whose body's
widgets of both kinds ("report a problem", "give an opinion") were opened on a site
lately passes it without a declaration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette

from tests.publics_world import complete_group, services_on, vk_fake, vk_page
from tests.worlds import ORG_A, World
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.publics.models import ComplianceResult
from vmeste.platform.reference.models import Organization
from vmeste.platform.widgets.configuration import WidgetInput, create_widget
from vmeste.platform.widgets.models import WidgetKind, WidgetPlacement

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)


async def _widget_result(services, page_id: int) -> ComplianceResult:
    snapshot = await services.take_snapshot(SYSTEM, page_id)
    return await ComplianceResult.get(snapshot_id=snapshot.id, rule_code="widgets")


async def test_a_widget_opened_lately_passes_the_widgets_rule(world: World,
                                                               vmeste_app: Starlette) -> None:
    fake, now = vk_fake(), [NOW]
    services = services_on(vmeste_app, fake, now)
    fake.groups["11"] = complete_group()
    page = await vk_page(services, "11")
    assert (await _widget_result(services, page.id)).passed is None, "awaits a declaration"

    body = await Organization.get(ogrn=ORG_A)
    widget = await create_widget(SYSTEM, WidgetInput(
        title="Сообщить о проблеме", category_codes=("roads",),
        allowed_origins=("https://minzhkh.example",), organization_id=body.id), dev_mode=True)
    await WidgetPlacement.create(widget_id=widget.id, origin="https://minzhkh.example",
                                 day=(NOW - timedelta(days=40)).date(), opens=5)
    now[0] = NOW + timedelta(days=1)
    assert (await _widget_result(services, page.id)).passed is None, "too long ago"

    await WidgetPlacement.create(widget_id=widget.id, origin="https://minzhkh.example",
                                 day=(NOW - timedelta(days=2)).date(), opens=1)
    now[0] = NOW + timedelta(days=2)
    result = await _widget_result(services, page.id)
    assert result.passed is None, "report a problem alone is half of the rule"
    assert result.evidence == {"awaiting": True, "widget_sites": ["https://minzhkh.example"],
                               "widget_kinds": ["appeal"]}

    opinion = await create_widget(SYSTEM, WidgetInput(
        title="Выскажите мнение", category_codes=(), kind=WidgetKind.OPINION,
        allowed_origins=("https://opinion.minzhkh.example",), organization_id=body.id),
        dev_mode=True)
    await WidgetPlacement.create(widget_id=opinion.id, origin="https://opinion.minzhkh.example",
                                 day=(NOW - timedelta(days=1)).date(), opens=3)
    now[0] = NOW + timedelta(days=3)
    result = await _widget_result(services, page.id)
    assert result.passed is True and result.rule_version == 3
    assert result.evidence == {
        "widget_sites": ["https://minzhkh.example", "https://opinion.minzhkh.example"],
        "widget_kinds": ["appeal", "opinion"]}
