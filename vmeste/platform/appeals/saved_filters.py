"""Operators' saved filters over the appeals connection: named per user, and
optionally shared with the staff of one of the owner's bodies.

The filter itself is stored as the connection's arguments (what a frontend sent) and
checked against the connection's filter type by the schema, when saved and again when
applied, so a filter saved before a change to that type fails with a typed error
instead of filtering differently. Whoever may not use the filter learns nothing of it:
another user's filter, shared or not with them, is "not found" to them for changes.
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from vmeste.platform.appeals.access import REGIONAL_READERS, STAFF
from vmeste.platform.appeals.desk_models import SavedFilter
from vmeste.platform.audit.services import record
from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import DomainError, ErrorCode, Forbidden
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.reference.models import Organization

NAME_MAX = 200
#: Saved filters one user may keep.
PER_USER_MAX = 100


def require_staff(principal: Principal) -> int:
    """The caller's user id, when they are staff who read the appeals connection."""
    require_authenticated(principal)
    if principal.user is None or not (principal.organization_ids(STAFF)
                                      or principal.territory_scopes(REGIONAL_READERS)):
        raise Forbidden(_("Saved filters are for the staff who work on appeals"))
    return principal.user.id


def usable(principal: Principal) -> Q:
    """The caller's own filters and those shared with a body they work at."""
    if principal.user is None:
        return Q(id=-1)
    return Q(owner_id=principal.user.id) | Q(
        shared_with_id__in=sorted(principal.organization_ids(STAFF)))


async def usable_filter(principal: Principal, filter_id: int) -> SavedFilter:
    require_authenticated(principal)
    found = await SavedFilter.filter(usable(principal), id=filter_id).first()
    if found is None:
        raise DomainError.of("savedFilterId", _("Saved filter not found"), ErrorCode.NOT_FOUND)
    return found


def _snapshot(row: SavedFilter) -> dict[str, Any]:
    return {"name": row.name, "arguments": row.arguments, "shared_with_id": row.shared_with_id}


async def save(principal: Principal, *, name: str, arguments: dict[str, Any],
               filter_id: int | None = None, share_with_ogrn: str | None = None
               ) -> SavedFilter:
    """Create a filter, or change one of the caller's own (``filter_id``)."""
    owner = require_staff(principal)
    name = name.strip()
    if not name:
        raise DomainError.of("name", _("Name the filter"), ErrorCode.REQUIRED)
    if len(name) > NAME_MAX:
        raise DomainError.of("name", _("At most {limit} characters", limit=NAME_MAX),
                             ErrorCode.INVALID)
    shared_with = None
    if share_with_ogrn:
        shared_with = await Organization.get_or_none(ogrn=share_with_ogrn)
        if shared_with is None or shared_with.id not in principal.organization_ids(STAFF):
            raise DomainError.of("shareWithOgrn", _("A filter is shared only with an "
                                                    "organization one works at"),
                                 ErrorCode.FORBIDDEN)
    if filter_id is None:
        if await SavedFilter.filter(owner_id=owner).count() >= PER_USER_MAX:
            raise DomainError.of(None, _("At most {limit} saved filters", limit=PER_USER_MAX),
                                 ErrorCode.INVALID)
        row, before = SavedFilter(owner_id=owner), None
    else:
        found = await SavedFilter.get_or_none(id=filter_id, owner_id=owner)
        if found is None:
            raise DomainError.of("id", _("Saved filter not found"), ErrorCode.NOT_FOUND)
        row, before = found, _snapshot(found)
    row.name, row.arguments = name, arguments
    row.shared_with_id = shared_with.id if shared_with else None
    try:
        async with in_transaction() as conn:
            await row.save(using_db=conn)
            await record(actor=principal.actor, action="appeal_filter.save",
                         object_type="appeal_filter", object_id=row.id, before=before,
                         after=_snapshot(row), using=conn)
    except IntegrityError:
        raise DomainError.of("name", _("You already have a filter of this name"),
                             ErrorCode.CONFLICT) from None
    return row


async def delete(principal: Principal, filter_id: int) -> int:
    owner = require_staff(principal)
    found = await SavedFilter.get_or_none(id=filter_id, owner_id=owner)
    if found is None:
        raise DomainError.of("id", _("Saved filter not found"), ErrorCode.NOT_FOUND)
    async with in_transaction() as conn:
        await record(actor=principal.actor, action="appeal_filter.delete",
                     object_type="appeal_filter", object_id=found.id, before=_snapshot(found),
                     after=None, using=conn)
        await found.delete(using_db=conn)
    return filter_id
