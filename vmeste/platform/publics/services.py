"""The publics services: the registry, the declarations and the snapshots, with the
clock and the connector hub they run on, and how the deadline watchdog schedules the
snapshots (:class:`SnapshotClock` queues a ``publics.snapshot`` job for each page due,
which a worker takes through the hub)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from vmeste.platform.identity.principal import Principal
from vmeste.platform.outbox.services import emit
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.publics import access, pages, snapshots
from vmeste.platform.publics.hub import ConnectorHub
from vmeste.platform.publics.models import (
    ComplianceResult,
    OfficialPage,
    PageDeclaration,
    PageSnapshot,
    PageStatus,
)
from vmeste.platform.publics.norms import norms_for

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

SNAPSHOT_TOPIC = "publics.snapshot"
WATCHDOG = "system:watchdog"


@dataclass
class PublicsServices:
    hub: ConnectorHub
    resolver: PolicyResolver
    clock: Callable[[], datetime]

    async def register_page(self, principal: Principal, data: pages.PageInput
                            ) -> OfficialPage:
        return await pages.register_page(principal, data, self.clock())

    async def update_page(self, principal: Principal, page_id: int,
                          changes: dict[str, str]) -> OfficialPage:
        return await pages.update_page(principal, page_id, changes)

    async def retire_page(self, principal: Principal, page_id: int) -> OfficialPage:
        return await pages.retire_page(principal, page_id)

    async def declare(self, principal: Principal, page_id: int, rule_code: str, value: bool,
                      note: str = "") -> PageDeclaration:
        return await pages.declare(principal, page_id, rule_code, value, note, self.clock())

    async def confirm(self, principal: Principal, declaration_id: int, accept: bool,
                      reason: str = "") -> PageDeclaration:
        """Decide the declaration, then check the page's latest snapshot again."""
        row, page = await pages.decide(principal, declaration_id, accept, reason, self.clock())
        await snapshots.recheck(self.resolver, page, principal.actor, self.clock())
        return row

    async def take_snapshot(self, principal: Principal, page_id: int) -> PageSnapshot:
        """A keeper's snapshot now, through the hub (the CLI and ``takePageSnapshot``)."""
        page = await pages.get_page(page_id)
        access.require_keeper(principal, page.territory_path, page.organization_id)
        return await snapshots.take_snapshot(self.hub, page_id, principal.actor, self.clock())

    async def history(self, page_id: int, rule_code: str | None = None
                      ) -> list[ComplianceResult]:
        """Every result of the page, oldest first (of one rule when given)."""
        query = ComplianceResult.filter(page_id=page_id)
        if rule_code:
            query = query.filter(rule_code=rule_code)
        return await query.order_by("checked_at", "id")


class SnapshotClock:
    """Pages whose ``next_snapshot_at`` has come. The step queues the job and moves the
    moment a period on, so a job lost for good is tried again the next period; the
    snapshot sets it from its own time."""

    name = "official_page_snapshot"
    subject_type = "official_page"
    steps = ("snapshot_queued",)

    def due(self, now: datetime) -> QuerySet[OfficialPage]:
        return OfficialPage.filter(status=PageStatus.ACTIVE, next_snapshot_at__lte=now)

    def subject_id(self, row: OfficialPage) -> int:
        return row.id

    async def step(self, runtime: Runtime, row: OfficialPage, now: datetime) -> list[str]:
        await row.fetch_related("territory")
        hours = (await norms_for(runtime.resolver, row.territory.code)).snapshot_every_hours
        async with in_transaction() as conn:
            moved = await OfficialPage.filter(
                id=row.id, next_snapshot_at=row.next_snapshot_at).using_db(conn).update(
                next_snapshot_at=now + timedelta(hours=hours))
            if not moved:
                return []
            await emit(conn, SNAPSHOT_TOPIC, {"page_id": row.id},
                       f"{SNAPSHOT_TOPIC}:{row.id}:{now.isoformat()}")
        return ["snapshot_queued"]

    def following(self, scope: str | None) -> None:
        """The moment is a period after the last read, not a term on the calendars."""
        return None

    async def recompute(self, runtime: Runtime, subject_id: int, now: datetime) -> bool:
        return False


async def _snapshot_job(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
    services = runtime.service(PublicsServices)
    page = await OfficialPage.get_or_none(id=int(payload["page_id"]))
    if page is None or page.status is PageStatus.RETIRED:
        return 0
    await snapshots.take_snapshot(services.hub, page.id, WATCHDOG, services.clock())
    return 1


async def _snapshot_scope(payload: dict[str, Any]) -> str:
    path = await OfficialPage.filter(id=payload.get("page_id")).first().values_list(
        "territory_path", flat=True)
    return str(path or "")


SNAPSHOT_JOB = Topic(SNAPSHOT_TOPIC, "vmeste.page_snapshot", "publics", _snapshot_job,
                     _snapshot_scope)
