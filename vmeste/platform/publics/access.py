"""Who may keep the registry of official pages, declare and confirm their compliance,
and see the responsible official.

Pages, snapshots, results and shares are public: a citizen may check whether a body's
page is official and how it fares. The registry is written by the body's
``org_admin`` and by regional administrators and federal configurators over the
page's territory; the body's ``org_admin`` declares the facts no network shows, and
the regional administrators (the regional management centre) confirm them. The
responsible official's name is shown to the body's staff, the territory's
administrators and its auditors.
"""

from __future__ import annotations

from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import Forbidden
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import Principal
from vmeste.platform.publics.models import OfficialPage

TERRITORY_KEEPERS = (Role.REGIONAL_ADMIN, Role.FEDERAL_CONFIGURATOR)
STAFF = (Role.OPERATOR, Role.EXECUTOR, Role.ORG_ADMIN, Role.MODERATOR)


def may_keep(principal: Principal, path: str, organization_id: int) -> bool:
    return (principal.covers_territory(path, TERRITORY_KEEPERS)
            or organization_id in principal.organization_ids((Role.ORG_ADMIN,)))


def require_keeper(principal: Principal, path: str, organization_id: int) -> None:
    require_authenticated(principal)
    if not may_keep(principal, path, organization_id):
        raise Forbidden()


def require_declarer(principal: Principal, page: OfficialPage) -> None:
    require_keeper(principal, page.territory_path, page.organization_id)


def require_confirmer(principal: Principal, page: OfficialPage) -> None:
    require_authenticated(principal)
    if not principal.covers_territory(page.territory_path, TERRITORY_KEEPERS):
        raise Forbidden()


def sees_responsible(principal: Principal, page: OfficialPage) -> bool:
    return (principal.covers_territory(page.territory_path, (*TERRITORY_KEEPERS, Role.AUDITOR))
            or page.organization_id in principal.organization_ids(STAFF))
