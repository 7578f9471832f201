"""Importing a production calendar version, and recomputing the deadlines it moves.

A federal calendar (one with no base) is the federal configurator's; a regional one
is the regional administrator's of the territory it binds to. An import is refused
whole, with the calendar's own Russian message, when the document is malformed, when
its layers do not fit, or when the version is already stored. Otherwise it becomes the
current version (the old one stays as history), the change is audited, every process
is told through the ``calendars`` ConfigVersion, and the open appeals of the affected
territories get their due moments recomputed on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from vmeste.platform import authz
from vmeste.platform.appeals.lifecycle import CLOCK_RUNNING
from vmeste.platform.appeals.models import Appeal, AppealStatus
from vmeste.platform.audit.services import record
from vmeste.platform.deadlines.calendar import ProductionCalendar
from vmeste.platform.deadlines.models import StoredCalendar
from vmeste.platform.deadlines.store import (
    CALENDARS_VERSION,
    FEDERAL,
    CalendarSet,
    load_current,
    stored_row,
)
from vmeste.platform.deadlines.terms import DEADLINE_FIELDS, Deadlines
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.identity.principal import Principal
from vmeste.platform.policies.services import bump_version
from vmeste.platform.reference.models import Territory, subtree

#: Appeals whose clock is running or paused: their due moments follow the calendar.
OPEN_WITH_TERM = (*CLOCK_RUNNING, AppealStatus.CLARIFICATION_REQUESTED)
BATCH = 500
#: How often one appeal is re-read when a lifecycle step changes it meanwhile.
RETRIES = 3
AUDIT_FIELDS = ("name", "version", "territory_code", "base", "checksum")


@dataclass(frozen=True)
class ImportResult:
    calendar: StoredCalendar
    recomputed: int


def _invalid(message: str, code: ErrorCode = ErrorCode.INVALID) -> DomainError:
    return DomainError.of("document", message, code)


async def import_calendar(principal: Principal, document: Any, deadlines: Deadlines,
                          now: datetime | None = None) -> ImportResult:
    if not isinstance(document, Mapping):
        raise _invalid("Календарь — объект JSON")
    try:
        calendar = ProductionCalendar.from_dict(document)
    except ValueError as error:
        raise _invalid(str(error)) from None
    scope = await _authorize(principal, calendar)
    current = await load_current()
    _check_fits(calendar, document, current)
    if await StoredCalendar.exists(name=calendar.name, version=calendar.version):
        raise _invalid(f"Версия {calendar.version} календаря {calendar.name} уже загружена; "
                       "у изменённого календаря должна быть новая версия", ErrorCode.CONFLICT)
    previous = await StoredCalendar.get_or_none(name=calendar.name, current=True)
    row = stored_row(calendar, document, principal.actor)
    async with in_transaction() as conn:
        await StoredCalendar.filter(name=calendar.name, current=True).using_db(conn).update(
            current=False)
        await row.save(using_db=conn)
        await record(actor=principal.actor, action="calendar.import", object_type="calendar",
                     object_id=calendar.name, scope_path=scope or "", using=conn,
                     before=_audited(previous) if previous else None, after=_audited(row))
        await bump_version(CALENDARS_VERSION, conn)
    deadlines.calendars.invalidate()
    count = await recompute_open(deadlines, scope, now or datetime.now(UTC))
    return ImportResult(calendar=row, recomputed=count)


async def _authorize(principal: Principal, calendar: ProductionCalendar) -> str | None:
    """Checks the caller's right; returns the territory path whose appeals the calendar
    affects (None: every territory, for a base calendar)."""
    if calendar.base is None:
        authz.require_federal(principal)
        return None
    territory = await Territory.get_or_none(code=calendar.territory)
    if territory is None:
        raise _invalid(f"Территория {calendar.territory} не найдена", ErrorCode.NOT_FOUND)
    authz.require_territory(principal, territory.path, authz.ADMINS)
    return territory.path


def _check_fits(calendar: ProductionCalendar, document: Mapping[str, Any],
                current: CalendarSet) -> None:
    if calendar.name == FEDERAL and calendar.base is not None:
        raise _invalid(f"Календарь {FEDERAL} — базовый, он не строится на другом")
    bound = current.bindings.get(calendar.territory)
    if bound not in (None, calendar.name):
        raise _invalid(f"Территория {calendar.territory} уже связана с календарём {bound}",
                       ErrorCode.CONFLICT)
    rows = [{"name": name, "territory_code": code, "data": current.documents[name]}
            for code, name in current.bindings.items() if name != calendar.name]
    rows.append({"name": calendar.name, "territory_code": calendar.territory,
                 "data": dict(document)})
    try:
        CalendarSet.build(rows)  # layers every calendar, so a misfit is refused now
    except ValueError as error:
        raise _invalid(str(error)) from None


def _audited(row: StoredCalendar) -> dict[str, Any]:
    return {name: getattr(row, name) for name in AUDIT_FIELDS}


async def recompute_open(deadlines: Deadlines, scope: str | None, now: datetime) -> int:
    """Recompute the due moments of open registered appeals under ``scope`` (every
    territory when None) on the current calendars; returns how many were rewritten."""
    query = Appeal.filter(status__in=OPEN_WITH_TERM, registered_at__isnull=False)
    if scope is not None:
        query = query.filter(subtree(scope, "territory_path"))
    count, last = 0, 0
    while True:
        ids = await query.filter(id__gt=last).order_by("id").limit(BATCH).values_list(
            "id", flat=True)
        if not ids:
            return count
        for appeal_id in ids:
            count += await _recompute_one(deadlines, appeal_id, now)
        last = ids[-1]


async def _recompute_one(deadlines: Deadlines, appeal_id: int, now: datetime) -> int:
    """Rewrite one appeal's deadline columns under its revision lock (bumping it, so a
    step that read the old columns cannot write them back); re-read on a clash."""
    for _ in range(RETRIES):
        appeal = await Appeal.get_or_none(id=appeal_id)
        if appeal is None or appeal.status not in OPEN_WITH_TERM:
            return 0
        await deadlines.recompute(appeal, now)
        changed = await Appeal.filter(id=appeal.id, revision=appeal.revision).update(
            **{name: getattr(appeal, name) for name in (*DEADLINE_FIELDS, "overdue_at")},
            revision=appeal.revision + 1)
        if changed:
            return 1
    return 0
