"""Who may see and act on which incident.

Social monitoring is the region's: moderators and regional administrators over a
territory (the regional management centre) keep the monitoring rules, triage, route,
merge and split, and may act on any incident there. The body an incident is routed to
sees it: its operators and executors draft answers, and its ``org_admin`` (the
responsible person) approves them for publication from the official account. Auditors
read their territory. Posts are public on the networks, but their authors' ids and the
drafts are not: everything here is for staff only.
"""

from __future__ import annotations

from tortoise.expressions import Q

from vmeste.platform.appeals.access import REGIONAL_ACTORS as MONITORS
from vmeste.platform.appeals.access import REGIONAL_READERS as READERS
from vmeste.platform.appeals.access import STAFF, subordinates_of, supervising
from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import Forbidden
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import Principal
from vmeste.platform.incidents.models import Incident
from vmeste.platform.reference.models import subtree

# The region's monitors (moderators, regional administrators), its readers (and the
# auditors) and a body's staff hold the same roles as for appeals (imported above).
#: The responsible person who approves an answer for publication.
APPROVERS = (Role.ORG_ADMIN,)


async def visible_incidents(principal: Principal, prefix: str = "") -> Q:
    """The caller's view of the incident table: their bodies' (and subordinates')
    incidents and every incident under a territory they monitor or audit; ``prefix``
    names the incident from another table (``"incident__"``)."""
    if not principal.authenticated:
        return Q(id=-1)
    if principal.system:
        return Q()
    scopes = [subtree(root, f"{prefix}territory_path")
              for root in principal.territory_scopes(READERS)]
    organizations = principal.organization_ids(STAFF)
    if organizations:
        scopes.append(Q(**{f"{prefix}organization_id__in":
                           await subordinates_of(principal, organizations)}))
    return Q(*scopes, join_type=Q.OR) if scopes else Q(id=-1)


#: The parent kind of an incident's files (staff's: photos of the work done).
INCIDENT_FILES = "incident"


async def may_see(principal: Principal, incident_id: int) -> bool:
    """Who gets an incident's files: whoever sees the incident."""
    return await Incident.filter(await visible_incidents(principal), id=incident_id).exists()


def monitors(principal: Principal, territory_path: str) -> bool:
    return principal.system or principal.covers_territory(territory_path, MONITORS)


def require_monitor(principal: Principal, territory_path: str) -> None:
    """Triage, routing, merging, the monitoring rules: the region's monitoring staff."""
    require_authenticated(principal)
    if not monitors(principal, territory_path):
        raise Forbidden(_("Only the territory's monitoring staff may do this"))


async def require_staff(principal: Principal, incident: Incident,
                        roles: tuple[Role, ...] = STAFF) -> None:
    """Staff of the body the incident is routed to (or a body above it), or the
    territory's monitoring staff."""
    require_authenticated(principal)
    if monitors(principal, incident.territory_path):
        return
    staff = principal.organization_ids(roles)
    if incident.organization_id is not None and staff & await supervising(
            incident.organization_id):
        return
    raise Forbidden(_("The incident is with another organization"))


async def require_approver(principal: Principal, incident: Incident) -> None:
    """The responsible person: the body's ``org_admin``, or the regional centre."""
    await require_staff(principal, incident, APPROVERS)

