"""Who may see and act on which appeal.

Applicants see their own. A body's staff see the body's appeals, and a supervising
body's staff see its subordinates' too. Regional roles (moderator, regional
administrator, auditor) see their territory subtree. Everyone else sees nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from tortoise.expressions import Q

from vmeste.platform.appeals.models import Appeal
from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import Forbidden
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import Principal
from vmeste.platform.reference.models import Organization, subtree

STAFF = (Role.OPERATOR, Role.EXECUTOR, Role.ORG_ADMIN)
REGIONAL_READERS = (Role.MODERATOR, Role.REGIONAL_ADMIN, Role.AUDITOR)
REGIONAL_ACTORS = (Role.MODERATOR, Role.REGIONAL_ADMIN)
#: How deep a hierarchy of subordinate bodies is followed.
MAX_SUBORDINATE_DEPTH = 8
#: How long a principal remembers its bodies' subordinates: the authentication cache's
#: default lifetime, in which a revoked role keeps working too.
SUBORDINATES_SECONDS = 30


async def with_subordinates(organization_ids: Iterable[int]) -> set[int]:
    """The bodies themselves and every body below them."""
    found = set(organization_ids)
    frontier = set(found)
    for _step in range(MAX_SUBORDINATE_DEPTH):
        if not frontier:
            break
        children = await Organization.filter(parent_id__in=list(frontier)).values_list(
            "id", flat=True)
        frontier = set(children) - found
        found |= frontier
    return found


async def subordinates_of(principal: Principal, organization_ids: set[int]) -> list[int]:
    """``with_subordinates``, remembered on the principal of a person for
    ``SUBORDINATES_SECONDS``: the operator's queue asks it on every page, and the
    hierarchy changes far more rarely. (A principal lives as long as the authentication
    cache keeps it, or a WebSocket's session: hours, hence the clock.)"""
    key = ("subordinates", frozenset(organization_ids))
    now = time.monotonic()
    found = principal.derived.get(key)
    if found is not None and found[0] > now:
        return found[1]  # type: ignore[no-any-return]
    subordinates = sorted(await with_subordinates(organization_ids))
    if principal.user is not None:  # ANONYMOUS and SYSTEM live as long as the process
        principal.derived[key] = (now + SUBORDINATES_SECONDS, subordinates)
    return subordinates


async def supervising(organization_id: int) -> set[int]:
    """The body and every body above it."""
    chain: set[int] = set()
    current: int | None = organization_id
    while current is not None and current not in chain and len(chain) <= MAX_SUBORDINATE_DEPTH:
        chain.add(current)
        parents = await Organization.filter(id=current).values_list("parent_id", flat=True)
        current = parents[0] if parents else None
    return chain


async def visible_appeals(principal: Principal,
                          readers: tuple[Role, ...] = REGIONAL_READERS, prefix: str = "") -> Q:
    """The staff's view of the appeal table (applicants use ``myAppeals``): their
    bodies' appeals and those of ``readers`` over a territory subtree. ``prefix`` names
    the appeal from another table (``"appeal__"``), so records about appeals follow the
    same rule, the complaint exclusion included."""
    require_authenticated(principal)
    scopes: list[Q] = []
    organizations = principal.organization_ids(STAFF)
    if organizations:
        scopes.append(Q(**{f"{prefix}organization_id__in":
                         await subordinates_of(principal, organizations)}))
    scopes += [subtree(root, f"{prefix}territory_path")
             for root in principal.territory_scopes(readers)]
    if not scopes:
        return Q(id=-1)
    condition = Q(*scopes, join_type=Q.OR)
    if organizations:
        # A complaint is never shown to the body it complains about.
        # (NULL NOT IN (...) is not true in SQL, so appeals without one are kept explicitly.)
        complained = f"{prefix}complained_organization_id"
        condition &= Q(**{f"{complained}__isnull": True}) | ~Q(
            **{f"{complained}__in": sorted(organizations)})
    return condition


def _complained_about(principal: Principal, appeal: Appeal) -> bool:
    return appeal.complained_organization_id in principal.organization_ids(STAFF)


async def readable_appeals(principal: Principal) -> Q:
    """Every appeal the caller may read: their own, and the staff's view of the table.
    The one definition behind ``appeal(id:)``, ``node(id:)``, compiled read plans and
    :func:`can_see`; nothing for an anonymous caller."""
    if not principal.authenticated:
        return Q(id=-1)
    visible = await visible_appeals(principal)
    return Q(applicant_id=principal.user.id) | visible if principal.user is not None else visible


async def can_see(principal: Principal, appeal: Appeal) -> bool:
    return await Appeal.filter(await readable_appeals(principal), id=appeal.id).exists()


def require_applicant(principal: Principal, appeal: Appeal) -> None:
    """Only the applicant themself: not staff, and not the platform acting alone."""
    require_authenticated(principal)
    if principal.user is None or appeal.applicant_id != principal.user.id:
        raise Forbidden(_("Only the appeal's author may do this"))


async def require_body_staff(principal: Principal, appeal: Appeal,
                             roles: tuple[Role, ...] = STAFF, *,
                             regional: bool = True) -> None:
    """Staff of the responsible body or a body above it; regional actors if allowed."""
    require_authenticated(principal)
    if principal.system:
        return
    if _complained_about(principal, appeal):
        raise Forbidden(_("A complaint about your organization is handled by another body"))
    if regional and principal.covers_territory(appeal.territory_path, REGIONAL_ACTORS):
        return
    staff = principal.organization_ids(roles)
    if appeal.organization_id is not None and staff & await supervising(appeal.organization_id):
        return
    raise Forbidden(_("The appeal is with another organization"))


def require_moderator(principal: Principal, appeal: Appeal) -> None:
    require_authenticated(principal)
    if principal.system:
        return
    if not principal.covers_territory(appeal.territory_path, REGIONAL_ACTORS):
        raise Forbidden(_("You are not assigned to moderate this territory's appeals"))
