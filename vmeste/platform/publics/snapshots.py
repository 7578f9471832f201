"""Snapshots: a page read through its network's connector, and every rule checked on
what was read, stored together in one audited transaction.

A read that fails is stored too (its typed error, no profile): the network rules then
fail, which is what a citizen finds, and the shares say so. ``recheck`` evaluates a
page's latest snapshot again without the network, when a declaration is decided or a
rule's version changes; its results join the same snapshot with a later
``checked_at``, so the history shows when the page changed.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.publics.compliance_rules import Facts, check_all
from vmeste.platform.publics.connectors import PageProfile
from vmeste.platform.publics.failures import ConnectorError
from vmeste.platform.publics.hub import ConnectorHub
from vmeste.platform.publics.models import ComplianceResult, OfficialPage, PageSnapshot
from vmeste.platform.publics.norms import Norms, norms_for
from vmeste.platform.publics.pages import confirmed_declarations, get_page
from vmeste.platform.widgets.placements import PLACED_WINDOW, placed_on

_DATES = "last_post_dates"


def profile_json(profile: PageProfile) -> dict[str, Any]:
    data = asdict(profile)
    data[_DATES] = [at.isoformat() for at in profile.last_post_dates]
    return data


def profile_of(data: dict[str, Any]) -> PageProfile | None:
    """The stored profile back as the rules read it (None for a failed read)."""
    if not data:
        return None
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    values[_DATES] = tuple(datetime.fromisoformat(at) for at in data.get(_DATES, ()))
    return PageProfile(**values)


async def _territory_code(page: OfficialPage) -> str:
    await page.fetch_related("territory")
    return str(page.territory.code)


async def _write_results(conn: BaseDBAsyncClient, page: OfficialPage, snapshot: PageSnapshot,
                         profile: PageProfile | None, norms: Norms, now: datetime
                         ) -> list[ComplianceResult]:
    placed = await placed_on(page.organization_id, snapshot.taken_at - PLACED_WINDOW)
    facts = Facts(profile=profile, registered_name=page.registered_name, now=snapshot.taken_at,
                  responsible_name=page.responsible_name,
                  declarations=await confirmed_declarations(page.id),
                  widget_sites=tuple(sorted({s for sites in placed.values() for s in sites})),
                  widget_kinds=tuple(sorted(placed)))
    rows = [ComplianceResult(page_id=page.id, snapshot_id=snapshot.id, rule_code=rule.code,
                             rule_version=rule.version, passed=outcome.passed,
                             source=rule.source, evidence=outcome.evidence, checked_at=now)
            for rule, outcome in check_all(page.network, facts, norms)]
    await ComplianceResult.bulk_create(rows, using_db=conn)
    return rows


def _summary(rows: list[ComplianceResult]) -> dict[str, bool | None]:
    return {row.rule_code: row.passed for row in rows}


async def take_snapshot(hub: ConnectorHub, page_id: int, actor: str,
                        now: datetime) -> PageSnapshot:
    """Read the page, store what was read with every rule's result, and set when it is
    read again (the region's ``snapshot_every_hours``)."""
    page = await get_page(page_id)
    code = await _territory_code(page)
    profile: PageProfile | None = None
    error = ""
    try:
        async with hub.connector(page.network, code, page.token_variable) as connector:
            profile = await connector.profile(page.page_ref)
    except ConnectorError as failure:
        error = f"{type(failure).__name__}: {failure}"[:500]
    return await store_snapshot(hub.resolver, page, profile, error, actor, now)


async def store_snapshot(resolver: PolicyResolver, page: OfficialPage,
                         profile: PageProfile | None, error: str, actor: str, now: datetime
                         ) -> PageSnapshot:
    """Store a read of the page (``profile``, or None with the read's ``error``) with every
    rule's result: the second half of :func:`take_snapshot`, also how a read made
    elsewhere (an import, the demo's recorded profiles) joins the history."""
    norms = await norms_for(resolver, await _territory_code(page))
    window = now - timedelta(days=norms.window_days)
    posts = None if profile is None else sum(1 for at in profile.last_post_dates
                                             if at >= window)
    async with in_transaction() as conn:
        snapshot = await PageSnapshot.create(
            page_id=page.id, taken_at=now, profile={} if profile is None else
            profile_json(profile), posts_in_window=posts, error=error, taken_by=actor,
            using_db=conn)
        rows = await _write_results(conn, page, snapshot, profile, norms, now)
        await OfficialPage.filter(id=page.id).using_db(conn).update(
            next_snapshot_at=now + timedelta(hours=norms.snapshot_every_hours))
        await record(actor=actor, action="official_page.snapshot", object_type="official_page",
                     object_id=page.id, before=None,
                     after={"snapshot_id": snapshot.id, "error": error,
                            "results": _summary(rows)},
                     scope_path=page.territory_path, using=conn)
    return snapshot


async def recheck(resolver: PolicyResolver, page: OfficialPage, actor: str,
                  now: datetime) -> list[ComplianceResult]:
    """Every rule again on the page's latest snapshot (none: nothing to check yet)."""
    snapshot = await PageSnapshot.filter(page_id=page.id).order_by("-taken_at", "-id").first()
    if snapshot is None:
        return []
    norms = await norms_for(resolver, await _territory_code(page))
    async with in_transaction() as conn:
        rows = await _write_results(conn, page, snapshot, profile_of(snapshot.profile),
                                    norms, now)
        await record(actor=actor, action="official_page.recheck", object_type="official_page",
                     object_id=page.id, before=None,
                     after={"snapshot_id": snapshot.id, "results": _summary(rows)},
                     scope_path=page.territory_path, using=conn)
    return rows
