"""The monitoring rules: kept by the region's monitoring staff, checked whole with a typed
error per field, audited, and due for a fetch once they have pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.hearing_world import principal
from tests.incident_monitor_world import monitor, official_page, vk_group
from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, ORG_A, REGION_A, REGION_B, World
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.errors import DomainError, ErrorCode, Forbidden
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.incidents.rules import (
    RuleInput,
    create_rule,
    deactivate_rule,
    update_rule,
)
from vmeste.platform.publics.services import PublicsServices

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)


def errors(refused: pytest.ExceptionInfo[DomainError]) -> list[tuple[str | None, ErrorCode]]:
    return [(e.field, e.code) for e in refused.value.errors]


async def test_a_monitor_keeps_a_rule_and_every_write_is_audited(
        world: World, vmeste_app: Starlette, make_token: Any) -> None:
    keeper = await monitor(make_token)
    page = await vk_group(vmeste_app, "11")
    rule = await create_rule(keeper, RuleInput(
        name=" Дороги Кирова ", territory_code=REGION_A, keywords=["яма", " яма", "колея"],
        page_ids=[page.id, page.id], fetch_every_minutes=10), NOW)
    assert (rule.name, rule.keywords, rule.page_ids, rule.next_fetch_at, rule.created_by) == (
        "Дороги Кирова", ["яма", "колея"], [page.id], NOW, keeper.actor)
    later = NOW + timedelta(hours=1)
    rule.cursors = {str(page.id): "42"}
    await rule.save()
    updated = await update_rule(keeper, rule.id, {"fetch_every_minutes": 60}, later)
    assert (updated.fetch_every_minutes, updated.next_fetch_at, updated.cursors,
            updated.revision) == (60, NOW, {str(page.id): "42"}, 1), \
        "no page added: the schedule and the cursors stay"
    keywords_only = await update_rule(keeper, rule.id, {"page_ids": []}, later)
    assert (keywords_only.next_fetch_at, keywords_only.cursors) == (None, {})
    again = await update_rule(keeper, rule.id, {"page_ids": [page.id]}, later)
    assert again.next_fetch_at == later, "a page added is fetched at once"
    stopped = await deactivate_rule(keeper, rule.id)
    assert (stopped.active, stopped.next_fetch_at) == (False, None)
    with pytest.raises(DomainError) as twice:
        await deactivate_rule(keeper, rule.id)
    assert errors(twice) == [("ruleId", ErrorCode.ILLEGAL_TRANSITION)]
    with pytest.raises(DomainError):
        await update_rule(keeper, rule.id, {"name": "Снова"}, later)
    trail = await AuditEvent.filter(object_type="monitoring_rule", object_id=str(rule.id)
                                    ).order_by("id")
    assert [(e.action, e.actor) for e in trail] == [
        ("monitoring_rule.create", keeper.actor), ("monitoring_rule.update", keeper.actor),
        ("monitoring_rule.update", keeper.actor), ("monitoring_rule.update", keeper.actor),
        ("monitoring_rule.deactivate", keeper.actor)]
    assert (trail[1].before["fetch_every_minutes"], trail[1].after["fetch_every_minutes"]) == (
        10, 60)
    assert {e.scope_path for e in trail} == {rule.territory_path}


async def test_a_keyword_rule_has_no_fetch(world: World, make_token: Any) -> None:
    rule = await create_rule(await monitor(make_token), RuleInput(
        name="Снег", territory_code=MUNICIPALITY_A, keywords=["сугроб"]), NOW)
    assert (rule.page_ids, rule.next_fetch_at) == ([], None)


async def test_every_problem_is_a_typed_field_error(world: World, vmeste_app: Starlette,
                                                    make_token: Any) -> None:
    keeper = await monitor(make_token)
    with pytest.raises(DomainError) as refused:
        await create_rule(keeper, RuleInput(
            name="  ", territory_code=REGION_A, keywords=["", "x" * 201, *map(str, range(100))],
            page_ids=[999, 2**40], fetch_every_minutes=0), NOW)
    assert errors(refused) == [
        ("name", ErrorCode.REQUIRED), ("keywords", ErrorCode.INVALID),
        ("keywords", ErrorCode.INVALID), ("keywords", ErrorCode.INVALID),
        ("pageIds", ErrorCode.NOT_FOUND), ("fetchEveryMinutes", ErrorCode.INVALID)]
    with pytest.raises(DomainError) as empty:
        await create_rule(keeper, RuleInput(name="Ничего", territory_code=REGION_A), NOW)
    assert errors(empty) == [("keywords", ErrorCode.REQUIRED)]
    for minutes in (1441, True):
        with pytest.raises(DomainError) as bad:
            await create_rule(keeper, RuleInput(name="Часто", territory_code=REGION_A,
                                                keywords=["яма"],
                                                fetch_every_minutes=minutes), NOW)
        assert errors(bad) == [("fetchEveryMinutes", ErrorCode.INVALID)]
    with pytest.raises(DomainError) as typed:
        await create_rule(keeper, RuleInput(name="Ямы", territory_code=REGION_A,
                                            keywords="яма"), NOW)  # type: ignore[arg-type]
    assert errors(typed) == [("keywords", ErrorCode.INVALID)]
    with pytest.raises(DomainError) as nowhere:
        await create_rule(keeper, RuleInput(name="Ямы", territory_code="99", keywords=["яма"]),
                          NOW)
    assert errors(nowhere) == [("territoryCode", ErrorCode.NOT_FOUND)]
    rule = await create_rule(keeper, RuleInput(name="Ямы", territory_code=REGION_A,
                                               keywords=["яма"]), NOW)
    with pytest.raises(DomainError) as unknown:
        await update_rule(keeper, rule.id, {"territory_path": "x"}, NOW)
    assert errors(unknown) == [("territory_path", ErrorCode.INVALID)]
    with pytest.raises(DomainError) as gone:
        await update_rule(keeper, rule.id + 1, {"name": "x"}, NOW)
    assert errors(gone) == [("ruleId", ErrorCode.NOT_FOUND)]
    with pytest.raises(DomainError) as huge:
        await deactivate_rule(keeper, 2**40)
    assert errors(huge) == [("ruleId", ErrorCode.NOT_FOUND)]
    assert await AuditEvent.filter(object_type="monitoring_rule").count() == 1


async def test_pages_must_be_active_and_in_the_rules_territory(
        world: World, vmeste_app: Starlette, make_token: Any) -> None:
    keeper = await monitor(make_token)
    kirov = await vk_group(vmeste_app, "11")
    retired = await vk_group(vmeste_app, "12")
    await vmeste_app.state.runtime.service(PublicsServices).retire_page(SYSTEM, retired.id)
    sevastopol = await official_page(vmeste_app, "vk", "13", territory=MUNICIPALITY_B)
    for page in (retired, sevastopol):
        with pytest.raises(DomainError) as refused:
            await create_rule(keeper, RuleInput(name="Страницы", territory_code=REGION_A,
                                                page_ids=[page.id]), NOW)
        assert errors(refused) == [("pageIds", ErrorCode.INVALID)]
    with pytest.raises(DomainError) as above:
        # A municipality's rule cannot take a page of the region above it.
        regional = await vk_group(vmeste_app, "14", territory=REGION_A)
        await create_rule(keeper, RuleInput(name="Город", territory_code=MUNICIPALITY_A,
                                            page_ids=[regional.id]), NOW)
    assert errors(above) == [("pageIds", ErrorCode.INVALID)]
    rule = await create_rule(keeper, RuleInput(name="Город", territory_code=MUNICIPALITY_A,
                                               page_ids=[kirov.id]), NOW)
    with pytest.raises(DomainError) as edited:
        await update_rule(keeper, rule.id, {"page_ids": [kirov.id, retired.id]}, NOW)
    assert errors(edited) == [("pageIds", ErrorCode.INVALID)]


@pytest.mark.parametrize(("role", "scope"), [
    ("moderator", {"territory": REGION_B}), ("auditor", {"territory": REGION_A}),
    ("operator", {"org": ORG_A}), ("org_admin", {"org": ORG_A}), ("citizen", {})])
async def test_only_the_territorys_monitors_keep_its_rules(
        world: World, make_token: Any, role: str, scope: dict[str, str]) -> None:
    other = await principal(make_token, role, "other", **scope)
    with pytest.raises(Forbidden):
        await create_rule(other, RuleInput(name="Ямы", territory_code=MUNICIPALITY_A,
                                           keywords=["яма"]), NOW)
    rule = await create_rule(await monitor(make_token, territory=MUNICIPALITY_A), RuleInput(
        name="Ямы", territory_code=MUNICIPALITY_A, keywords=["яма"]), NOW)
    with pytest.raises(Forbidden):
        await update_rule(other, rule.id, {"name": "Чужое"}, NOW)
    with pytest.raises(Forbidden):
        await deactivate_rule(other, rule.id)
    regional = await principal(make_token, "regional_admin", "centre", territory=REGION_A)
    assert (await update_rule(regional, rule.id, {"name": "Ямы города"}, NOW)).revision == 1
