"""Who is calling, and what their role grants cover.

Roles come in two shapes. Organization roles (operator, executor, org_admin) act for
one body. Territory roles (moderator, regional_admin, federal_configurator, auditor)
act over a territory subtree; a federal configurator's territory is the country.
Every authenticated person is implicitly a citizen.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from vmeste.platform.identity.models import Role, User
from vmeste.platform.reference.models import PATH_SEPARATOR

ORGANIZATION_ROLES = frozenset({Role.OPERATOR, Role.EXECUTOR, Role.ORG_ADMIN})
TERRITORY_ROLES = frozenset(
    {Role.MODERATOR, Role.REGIONAL_ADMIN, Role.FEDERAL_CONFIGURATOR, Role.AUDITOR}
)


def path_within(path: str, ancestor: str) -> bool:
    """True when ``path`` is ``ancestor`` itself or lies below it; "" is above all."""
    return ancestor == "" or path == ancestor or path.startswith(ancestor + PATH_SEPARATOR)


@dataclass(frozen=True)
class Grant:
    role: Role
    organization_id: int | None = None
    territory_path: str | None = None


@dataclass(frozen=True)
class Principal:
    user: User | None
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    #: The platform itself (CLI imports, demo data, dev tokens), not a person.
    system: bool = False
    #: What access rules derived from the grants and the rows they point at (a body's
    #: subordinates), kept as long as this principal is: the authentication cache's
    #: ``VMESTE_AUTH_CACHE_SECONDS``, after which a request builds a fresh principal.
    derived: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def authenticated(self) -> bool:
        return self.user is not None or self.system

    @property
    def actor(self) -> str:
        """The audit trail's name for this caller: issuer and subject, never a name."""
        if self.system:
            return "system"
        if self.user is None:
            return "anonymous"
        return f"{self.user.issuer}:{self.user.subject}"

    def roles(self) -> set[Role]:
        found = {g.role for g in self.grants}
        if self.user is not None:
            found.add(Role.CITIZEN)
        return found

    def territory_scopes(self, roles: Iterable[Role]) -> list[str]:
        """Subtree roots over which the caller holds any of ``roles``."""
        wanted = set(roles)
        return [
            g.territory_path
            for g in self.grants
            if g.role in wanted and g.territory_path is not None
        ]

    def covers_territory(self, path: str, roles: Iterable[Role]) -> bool:
        return any(path_within(path, scope) for scope in self.territory_scopes(roles))

    def organization_ids(self, roles: Iterable[Role]) -> set[int]:
        wanted = set(roles)
        return {
            g.organization_id
            for g in self.grants
            if g.role in wanted and g.organization_id is not None
        }


ANONYMOUS = Principal(user=None)
SYSTEM = Principal(
    user=None, grants=(Grant(Role.FEDERAL_CONFIGURATOR, territory_path=""),), system=True
)
