"""Authorisation rules for reference data, roles and policies, in one place.

Services call these before they change or reveal anything, so the GraphQL API and the
CLI enforce the same rules. Each returns nothing or raises :class:`Forbidden`.
"""

from __future__ import annotations

from vmeste.platform.errors import Forbidden, Unauthenticated
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import Principal

FEDERAL = (Role.FEDERAL_CONFIGURATOR,)
ADMINS = (Role.FEDERAL_CONFIGURATOR, Role.REGIONAL_ADMIN)
READERS_OF_CONFIG = (Role.FEDERAL_CONFIGURATOR, Role.REGIONAL_ADMIN, Role.AUDITOR)
AUDIT_READERS = (Role.FEDERAL_CONFIGURATOR, Role.AUDITOR)


def require_authenticated(principal: Principal) -> None:
    if not principal.authenticated:
        raise Unauthenticated()


def require_territory(principal: Principal, path: str, roles: tuple[Role, ...]) -> None:
    """The caller must hold one of ``roles`` over a subtree containing ``path``."""
    require_authenticated(principal)
    if not principal.covers_territory(path, roles):
        raise Forbidden()


def require_any_territory_role(principal: Principal, roles: tuple[Role, ...]) -> list[str]:
    """The caller's subtree roots for ``roles``; refuses a caller with none."""
    require_authenticated(principal)
    scopes = principal.territory_scopes(roles)
    if not scopes:
        raise Forbidden()
    return scopes


def require_federal(principal: Principal) -> None:
    require_authenticated(principal)
    if not principal.territory_scopes(FEDERAL):
        raise Forbidden()
