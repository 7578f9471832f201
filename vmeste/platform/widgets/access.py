"""Who configures a widget and reads its placements.

A body's widget is kept by the body's ``org_admin`` and by the regional administrators
and federal configurators over its territory; a municipality's own widget (no body) by
the territory's keepers only. Auditors over the territory read widgets and their counts
too. The public page of a widget needs no sign-in: it is found by its public key.
"""

from __future__ import annotations

from tortoise.expressions import Q

from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import Forbidden
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import Principal
from vmeste.platform.reference.models import subtree

KEEPERS = (Role.REGIONAL_ADMIN, Role.FEDERAL_CONFIGURATOR)
BODY_KEEPERS = (Role.ORG_ADMIN,)
READERS = (*KEEPERS, Role.AUDITOR)


def may_keep(principal: Principal, path: str, organization_id: int | None) -> bool:
    return (principal.covers_territory(path, KEEPERS)
            or (organization_id is not None
                and organization_id in principal.organization_ids(BODY_KEEPERS)))


def require_keeper(principal: Principal, path: str, organization_id: int | None) -> None:
    require_authenticated(principal)
    if not may_keep(principal, path, organization_id):
        raise Forbidden()


def readable(principal: Principal) -> Q:
    """The widgets the caller may list: nothing for a citizen or anonymous caller."""
    scopes = principal.territory_scopes(READERS)
    if principal.system or "" in scopes:
        return Q()
    found = Q(id=-1)
    for scope in scopes:
        found |= subtree(scope, "territory_path")
    organizations = principal.organization_ids(BODY_KEEPERS)
    if organizations:
        found |= Q(organization_id__in=sorted(organizations))
    return found
