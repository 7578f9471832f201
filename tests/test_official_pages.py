"""The registry of official pages: who keeps it, its audit trail, the declarations and
their confirmation, and the snapshot clock the deadline watchdog sweeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.hearing_world import principal
from tests.publics_world import complete_group, services_on, vk_fake, vk_page
from tests.worlds import MUNICIPALITY_A, ORG_A, ORG_B, REGION_A, REGION_B, World
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.deadlines.watchdog import run_watchdog
from vmeste.platform.errors import DomainError, ErrorCode, Forbidden
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.publics.models import OfficialPage, PageStatus
from vmeste.platform.publics.services import SNAPSHOT_TOPIC, SnapshotClock

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)


@pytest.fixture
def services(vmeste_app: Starlette) -> Any:
    return services_on(vmeste_app, vk_fake(), [NOW])


async def test_the_bodys_admin_keeps_its_pages_and_every_write_is_audited(
        world: World, services: Any, make_token: Any) -> None:
    admin = await principal(make_token, "org_admin", "admin-a", org=ORG_A)
    page = await vk_page(services, "11", principal=admin, screen_name="zhkh43")
    assert (page.territory_path, page.status, page.next_snapshot_at) == (
        page.territory_path, PageStatus.ACTIVE, NOW)
    with pytest.raises(DomainError) as refused:
        await vk_page(services, "11")
    assert refused.value.errors[0].code is ErrorCode.DUPLICATE
    updated = await services.update_page(admin, page.id, {"responsible_name": "Сидоров С. С."})
    assert (updated.responsible_name, updated.revision) == ("Сидоров С. С.", 1)
    with pytest.raises(DomainError):
        await services.update_page(admin, page.id, {"network": "ok"})
    retired = await services.retire_page(admin, page.id)
    assert (retired.status, retired.next_snapshot_at) == (PageStatus.RETIRED, None)
    with pytest.raises(DomainError):
        await services.retire_page(admin, page.id)
    trail = await AuditEvent.filter(object_type="official_page", object_id=str(page.id)
                                    ).order_by("id")
    assert [(e.action, e.actor) for e in trail] == [
        ("official_page.register", admin.actor), ("official_page.update", admin.actor),
        ("official_page.retire", admin.actor)]
    assert trail[1].before["responsible_name"] == "Петров П. П."


@pytest.mark.parametrize(("role", "scope"), [
    ("org_admin", {"org": ORG_B}), ("regional_admin", {"territory": REGION_B}),
    ("operator", {"org": ORG_A}), ("auditor", {"territory": REGION_A})])
async def test_others_may_not_register_a_page(world: World, services: Any, make_token: Any,
                                              role: str, scope: dict[str, str]) -> None:
    with pytest.raises(Forbidden):
        await vk_page(services, "11", principal=await principal(make_token, role, "x", **scope))
    assert not await OfficialPage.exists()


async def test_the_body_declares_and_the_regional_centre_confirms(
        world: World, services: Any, make_token: Any) -> None:
    admin = await principal(make_token, "org_admin", "admin-a", org=ORG_A)
    centre = await principal(make_token, "regional_admin", "centre-a", territory=REGION_A)
    page = await vk_page(services, "11", principal=admin)
    with pytest.raises(DomainError):
        await services.declare(admin, page.id, "verified", True)
    declaration = await services.declare(admin, page.id, "widgets", True, "виджет сообщений")
    with pytest.raises(Forbidden):
        await services.confirm(admin, declaration.id, accept=True)
    decided = await services.confirm(centre, declaration.id, accept=False, reason="нет виджета")
    assert (decided.confirmed, decided.confirmed_by, decided.reason) == (
        False, centre.actor, "нет виджета")
    with pytest.raises(DomainError) as again:
        await services.confirm(centre, declaration.id, accept=True)
    assert again.value.errors[0].code is ErrorCode.ILLEGAL_TRANSITION
    assert await AuditEvent.filter(object_type="page_declaration").count() == 2


async def test_the_watchdog_queues_a_snapshot_when_one_is_due(
        world: World, vmeste_app: Starlette) -> None:
    fake = vk_fake()
    fake.groups["11"] = complete_group()
    services = services_on(vmeste_app, fake, [NOW])
    page = await vk_page(services, "11", territory=MUNICIPALITY_A)
    runtime = vmeste_app.state.runtime
    assert any(isinstance(kind, SnapshotClock) for kind in runtime.deadlines.kinds)
    counts = await run_watchdog(runtime, NOW - timedelta(minutes=1))
    assert counts[SnapshotClock.name].get("snapshot_queued", 0) == 0
    counts = await run_watchdog(runtime, NOW)
    assert counts[SnapshotClock.name]["snapshot_queued"] == 1
    assert [m.payload for m in await OutboxMessage.filter(topic=SNAPSHOT_TOPIC)] == [
        {"page_id": page.id}]
    assert (await OfficialPage.get(id=page.id)).next_snapshot_at == NOW + timedelta(hours=24)
    counts = await run_watchdog(runtime, NOW + timedelta(hours=1))
    assert counts[SnapshotClock.name].get("snapshot_queued", 0) == 0
    snapshot = await services.take_snapshot(SYSTEM, page.id)
    assert snapshot.error == ""
