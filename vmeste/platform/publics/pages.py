"""The registry of official pages and the declarations of their compliance.

Every write is audited in its own transaction. A page is unique by network and the
network's id of it; a retired page keeps its history but leaves the snapshots and the
shares. A declaration is the body's word on a rule no network shows; the regional
centre's decision re-checks the page's latest snapshot at once, so the shares do not
wait a day for the next read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.publics import access
from vmeste.platform.publics.compliance_rules import RULES_BY_CODE
from vmeste.platform.publics.models import (
    OfficialPage,
    PageDeclaration,
    PageStatus,
    ResultSource,
)
from vmeste.platform.reference.models import Organization, Territory

_EDITABLE = ("screen_name", "url", "registered_name", "responsible_name",
             "responsible_position", "token_variable")


@dataclass(frozen=True)
class PageInput:
    organization_id: int
    territory_code: str
    network: str
    page_ref: str
    registered_name: str
    screen_name: str = ""
    url: str = ""
    responsible_name: str = ""
    responsible_position: str = ""
    token_variable: str = ""


def page_state(page: OfficialPage) -> dict[str, Any]:
    """What the audit trail keeps of a page."""
    return {"network": page.network, "page_ref": page.page_ref, "status": str(page.status),
            "organization_id": page.organization_id, "territory_path": page.territory_path,
            **{name: getattr(page, name) for name in _EDITABLE}}


async def audit_page(conn: BaseDBAsyncClient, actor: str, action: str, page: OfficialPage,
                     before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    await record(actor=actor, action=action, object_type="official_page", object_id=page.id,
                 before=before, after=after, scope_path=page.territory_path, using=conn)


async def get_page(page_id: int, *, lock: BaseDBAsyncClient | None = None) -> OfficialPage:
    query = OfficialPage.filter(id=page_id)
    if lock is not None:
        query = query.select_for_update().using_db(lock)
    page = await query.first()
    if page is None:
        raise DomainError.of("pageId", _("Official page not found"), ErrorCode.NOT_FOUND)
    return page


async def register_page(principal: Principal, data: PageInput, now: datetime) -> OfficialPage:
    territory = await Territory.get_or_none(code=data.territory_code)
    if territory is None:
        raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
    if not await Organization.exists(id=data.organization_id):
        raise DomainError.of("organizationId", _("Organization not found"),
                             ErrorCode.NOT_FOUND)
    access.require_keeper(principal, territory.path, data.organization_id)
    if not data.page_ref.strip() or not data.registered_name.strip():
        raise DomainError.of("pageRef", _("The page and its registered name are required"),
                             ErrorCode.REQUIRED)
    if await OfficialPage.exists(network=data.network, page_ref=data.page_ref):
        raise DomainError.of("pageRef", _("This page is already registered"),
                             ErrorCode.DUPLICATE)
    fields = {k: v for k, v in asdict(data).items() if k != "territory_code"}
    async with in_transaction() as conn:
        page = await OfficialPage.create(
            **fields, territory_id=territory.id, territory_path=territory.path,
            next_snapshot_at=now, created_by=principal.actor, using_db=conn)
        await audit_page(conn, principal.actor, "official_page.register", page, None,
                         page_state(page))
    return page


async def update_page(principal: Principal, page_id: int, changes: dict[str, str]
                      ) -> OfficialPage:
    """Change the editable fields given (the network and its page id stay)."""
    unknown = sorted(set(changes) - set(_EDITABLE))
    if unknown:
        raise DomainError.of(unknown[0], _("This field cannot be changed"))
    async with in_transaction() as conn:
        page = await get_page(page_id, lock=conn)
        access.require_keeper(principal, page.territory_path, page.organization_id)
        before = page_state(page)
        for name, value in changes.items():
            setattr(page, name, value)
        page.revision += 1
        await page.save(using_db=conn)
        await audit_page(conn, principal.actor, "official_page.update", page, before,
                         page_state(page))
    return page


async def retire_page(principal: Principal, page_id: int) -> OfficialPage:
    async with in_transaction() as conn:
        page = await get_page(page_id, lock=conn)
        access.require_keeper(principal, page.territory_path, page.organization_id)
        if page.status is PageStatus.RETIRED:
            raise DomainError.of("pageId", _("The page is already retired"),
                                 ErrorCode.ILLEGAL_TRANSITION)
        before = page_state(page)
        page.status, page.next_snapshot_at = PageStatus.RETIRED, None
        page.revision += 1
        await page.save(using_db=conn)
        await audit_page(conn, principal.actor, "official_page.retire", page, before,
                         page_state(page))
    return page


def _declaration_state(row: PageDeclaration) -> dict[str, Any]:
    return {"rule_code": row.rule_code, "value": row.value, "note": row.note,
            "confirmed": row.confirmed, "reason": row.reason}


async def declare(principal: Principal, page_id: int, rule_code: str, value: bool,
                  note: str, now: datetime) -> PageDeclaration:
    page = await get_page(page_id)
    access.require_declarer(principal, page)
    rule = RULES_BY_CODE.get(rule_code)
    if rule is None or rule.source is not ResultSource.DECLARED:
        raise DomainError.of("ruleCode", _("This rule is not declared by the body"))
    async with in_transaction() as conn:
        row = await PageDeclaration.create(page_id=page.id, rule_code=rule_code, value=value,
                                           note=note, declared_by=principal.actor,
                                           declared_at=now, using_db=conn)
        await record(actor=principal.actor, action="page_declaration.declare",
                     object_type="page_declaration", object_id=row.id, before=None,
                     after=_declaration_state(row), scope_path=page.territory_path, using=conn)
    return row


async def decide(principal: Principal, declaration_id: int, accept: bool, reason: str,
                 now: datetime) -> tuple[PageDeclaration, OfficialPage]:
    """The regional centre's decision on a declaration; the caller re-checks the page."""
    async with in_transaction() as conn:
        row = await PageDeclaration.filter(id=declaration_id).select_for_update(
        ).using_db(conn).first()
        if row is None:
            raise DomainError.of("declarationId", _("Declaration not found"),
                                 ErrorCode.NOT_FOUND)
        page = await get_page(row.page_id)
        access.require_confirmer(principal, page)
        if row.confirmed is not None:
            raise DomainError.of("declarationId", _("The declaration is already decided"),
                                 ErrorCode.ILLEGAL_TRANSITION)
        before = _declaration_state(row)
        row.confirmed, row.confirmed_by, row.confirmed_at = accept, principal.actor, now
        row.reason = reason
        await row.save(using_db=conn)
        await record(actor=principal.actor, action="page_declaration.decide",
                     object_type="page_declaration", object_id=row.id, before=before,
                     after=_declaration_state(row), scope_path=page.territory_path, using=conn)
    return row, page


async def confirmed_declarations(page_id: int) -> dict[str, bool]:
    """The latest decided declaration of each rule: its value if accepted, False if
    refused. A declaration still awaiting leaves the earlier decision in force."""
    found: dict[str, bool] = {}
    for row in await PageDeclaration.filter(page_id=page_id, confirmed__isnull=False
                                            ).order_by("confirmed_at", "id"):
        found[row.rule_code] = bool(row.value and row.confirmed)
    return found
