"""Importing a production calendar version, and recomputing the deadlines it moves.

A federal calendar (one with no base) is the federal configurator's; a regional one
is the regional administrator's of the territory it binds to, and a calendar stays
bound to the territory it was first imported for. An import is refused whole, with the
calendar's own message (in the caller's locale), when the document is malformed, when
its layers do not fit, or when the version is already stored. Otherwise it becomes the current
version (the old one stays as history), the change is audited, every process is told
through the ``calendars`` ConfigVersion, and, in the same transaction, a
``calendar.recompute`` outbox job is queued per deadline kind that holds terms: a
worker recomputes the due moments of the kind's affected open subjects in batches by
id, each batch queueing the next, so an interrupted recomputation resumes where it
stopped instead of leaving subjects on the old calendar.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from vmeste.platform import authz
from vmeste.platform.audit.services import record
from vmeste.platform.deadlines.calendar import ProductionCalendar
from vmeste.platform.deadlines.models import StoredCalendar
from vmeste.platform.deadlines.store import (
    CALENDARS_VERSION,
    FEDERAL,
    PACKAGED,
    CalendarSet,
    load_current,
    packaged_document,
    stored_row,
)
from vmeste.platform.deadlines.terms import Deadlines
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import SYSTEM, Principal
from vmeste.platform.outbox.services import emit
from vmeste.platform.reference.models import Territory
from vmeste.platform.versions import bump_version

if TYPE_CHECKING:
    from vmeste.platform.deadlines.kinds import DeadlineKind
    from vmeste.platform.runtime import Runtime

BATCH = 500
#: Outbox topic of the recomputation an import queues: payload ``{"calendar_id": int,
#: "scope": str | None, "kind": str, "after": int}`` (the batch starts after the kind's
#: subject id ``after``).
CALENDAR_RECOMPUTE = "calendar.recompute"
AUDIT_FIELDS = ("name", "version", "territory_code", "base", "checksum")


@dataclass(frozen=True)
class ImportResult:
    calendar: StoredCalendar
    #: Open subjects whose due moments the queued jobs recompute.
    affected: int


def _invalid(message: str, code: ErrorCode = ErrorCode.INVALID) -> DomainError:
    return DomainError.of("document", message, code)


async def import_calendar(principal: Principal, document: Any, deadlines: Deadlines
                          ) -> ImportResult:
    if not isinstance(document, Mapping):
        raise _invalid(_("A calendar is a JSON object"))
    try:
        calendar = ProductionCalendar.from_dict(document)
    except ValueError as error:
        raise _invalid(str(error)) from None
    scope = await _authorize(principal, calendar)
    current = await load_current()
    _check_fits(calendar, document, current)
    row = stored_row(calendar, document, principal.actor)
    try:
        async with in_transaction() as conn:
            # First, so concurrent imports queue on this row's lock and each sees what
            # the one before it committed.
            await bump_version(CALENDARS_VERSION, conn)
            previous = await StoredCalendar.get_or_none(name=calendar.name, current=True,
                                                        using_db=conn)
            await StoredCalendar.filter(name=calendar.name, current=True).using_db(
                conn).update(current=False)
            await row.save(using_db=conn)
            await record(actor=principal.actor, action="calendar.import",
                         object_type="calendar", object_id=calendar.name,
                         scope_path=scope or "", using=conn,
                         before=_audited(previous) if previous else None, after=_audited(row))
            affected = await _queue_recomputation(conn, deadlines, row.id, scope)
    except IntegrityError:
        # (name, version) is unique: the version is stored already, maybe by a
        # concurrent import of the same document.
        raise _invalid(_("Version {version} of the calendar {name} is loaded already; a "
                         "changed calendar needs a new version", version=calendar.version,
                         name=calendar.name),
                       ErrorCode.CONFLICT) from None
    deadlines.calendars.invalidate()
    return ImportResult(calendar=row, affected=affected)


#: Packaged calendar versions are ISO dates, which order as strings.
_DATED = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class PackagedUpgrade:
    name: str
    from_version: str
    to_version: str
    #: Open subjects queued for recomputation, or None when the upgrade was refused.
    affected: int | None
    refused: str = ""


async def upgrade_packaged_calendars(deadlines: Deadlines) -> list[PackagedUpgrade]:
    """Bring in the calendars this release ships, where they are newer than the stored
    ones (``vmeste migrate`` runs it, once per release).

    The government publishes next year's transferred days off every autumn, so a
    release carries calendars an existing database has not seen. Each packaged
    calendar whose version is newer than the current stored one goes through the
    ordinary import: audited, and its open deadlines recomputed by the workers. A
    version an administrator imported that is as new or newer is left alone (versions
    are ISO dates, so they order as strings).
    """
    await load_current()  # seeds the names a database has never stored
    upgrades = []
    for name in PACKAGED:
        document = packaged_document(name)
        current = await StoredCalendar.get(name=name, current=True)
        if not _DATED.match(current.version):
            # An administrator's own version name: which is newer is theirs to decide.
            upgrades.append(PackagedUpgrade(
                name, current.version, document["version"], None,
                _("the current version is not named by a date (YYYY-MM-DD); import the "
                  "packaged calendar by hand if it is newer")))
            continue
        if current.version >= document["version"]:
            continue
        try:
            result = await import_calendar(SYSTEM, document, deadlines)
        except DomainError as error:  # e.g. a region this installation does not have
            upgrades.append(PackagedUpgrade(name, current.version, document["version"],
                                            None, "; ".join(e.message for e in error.errors)))
            continue
        upgrades.append(PackagedUpgrade(name, current.version, document["version"],
                                        result.affected))
    return upgrades


async def _authorize(principal: Principal, calendar: ProductionCalendar) -> str | None:
    """Checks the caller's right; returns the territory path whose subjects the calendar
    affects (None: every territory, for a base calendar)."""
    if calendar.base is None:
        authz.require_federal(principal)
        return None
    territory = await Territory.get_or_none(code=calendar.territory)
    if territory is None:
        raise _invalid(_("Territory {code} not found", code=calendar.territory),
                       ErrorCode.NOT_FOUND)
    authz.require_territory(principal, territory.path, authz.ADMINS)
    return territory.path


def _check_fits(calendar: ProductionCalendar, document: Mapping[str, Any],
                current: CalendarSet) -> None:
    if calendar.name == FEDERAL and calendar.base is not None:
        raise _invalid(_("The calendar {name} is the base one, it is built on no other",
                         name=FEDERAL))
    # The caller's right was checked on the document's territory; a calendar already
    # bound elsewhere is another territory's, and rebinding it would take it over.
    owner = next((code for code, name in current.bindings.items() if name == calendar.name),
                 None)
    if owner not in (None, calendar.territory):
        raise _invalid(_("The calendar {name} is bound to the territory {owner}; for the "
                         "territory {code} import a calendar under another name",
                         name=calendar.name, owner=owner, code=calendar.territory),
                       ErrorCode.CONFLICT)
    bound = current.bindings.get(calendar.territory)
    if bound not in (None, calendar.name):
        raise _invalid(_("The territory {code} is bound to the calendar {bound} already",
                         code=calendar.territory, bound=bound),
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


async def _queue_recomputation(conn: BaseDBAsyncClient, deadlines: Deadlines,
                               calendar_id: int, scope: str | None) -> int:
    """One job per kind with subjects whose terms the calendar counts; returns how many
    subjects they recompute. A subject that starts later reads the new calendar itself."""
    affected = 0
    for kind in deadlines.kinds:
        following = kind.following(scope)
        if following is None:
            continue
        subjects = await following.using_db(conn).count()
        if not subjects:
            continue
        affected += subjects
        await emit(conn, CALENDAR_RECOMPUTE,
                   {"calendar_id": calendar_id, "scope": scope, "kind": kind.name, "after": 0},
                   f"calendar-recompute:{calendar_id}:{kind.name}:0")
    return affected


#: The kind of a ``calendar.recompute`` job written before jobs named their kind.
LEGACY_KIND = "appeals"


async def recompute_batch(runtime: Runtime, payload: Mapping[str, Any],
                          now: datetime | None = None) -> int:
    """One batch of a ``calendar.recompute`` job: the kind's open subjects after
    ``payload["after"]``, by id, on the current calendars; queues the next batch in
    the transaction that finishes this one. Returns how many subjects it rewrote.

    A job whose calendar was superseded stops: the newer import queued its own; so
    does one whose kind is no longer installed. A retried batch recomputes again,
    which rewrites the same values."""
    calendar_id, scope = int(payload["calendar_id"]), payload.get("scope")
    deadlines = runtime.deadlines
    # A job queued by a release before deadline kinds existed names none: it was about
    # appeals' running terms, the only clocks then.
    kind = _kind(deadlines, str(payload.get("kind") or LEGACY_KIND))
    following = kind.following(scope) if kind is not None else None
    if following is None or not await StoredCalendar.exists(id=calendar_id, current=True):
        return 0
    assert kind is not None
    deadlines.calendars.invalidate()  # this process may not have seen the import yet
    ids = await following.filter(id__gt=int(payload.get("after", 0))).order_by(
        "id").limit(BATCH).values_list("id", flat=True)
    moment = now or datetime.now(UTC)
    count = 0
    for subject_id in ids:
        count += await kind.recompute(runtime, subject_id, moment)
    if len(ids) == BATCH:
        async with in_transaction() as conn:
            await emit(conn, CALENDAR_RECOMPUTE,
                       {"calendar_id": calendar_id, "scope": scope, "kind": kind.name,
                        "after": ids[-1]},
                       f"calendar-recompute:{calendar_id}:{kind.name}:{ids[-1]}")
    return count


def _kind(deadlines: Deadlines, name: str) -> DeadlineKind | None:
    return next((kind for kind in deadlines.kinds if kind.name == name), None)
