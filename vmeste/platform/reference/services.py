"""Creating and changing territories, organizations and categories.

Every change is checked against the caller's scope, validated field by field (all
problems reported at once), and written together with its audit event in one
transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from vmeste.platform import authz
from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import Principal, path_within
from vmeste.platform.reference import attributes, validators
from vmeste.platform.reference.geometry import (
    BOUNDARIES_VERSION,
    BoundaryProblem,
    parse_boundary,
)
from vmeste.platform.reference.models import (
    PATH_SEPARATOR,
    TERRITORY_PARENT_KIND,
    Category,
    CompetenceLevel,
    Organization,
    OrganizationKind,
    Territory,
    TerritoryKind,
)
from vmeste.platform.reference.paths import move_territory_paths
from vmeste.platform.versions import POLICY_VERSION, REFERENCE_TREE_VERSION, bump_version

#: What an audit snapshot holds for each model: references by code or ОГРН, never by
#: database id (ids differ between environments), with the same names the CSV importer
#: records, so one history reads alike whichever way a row was changed.
AUDIT_LOOKUPS: dict[type[Model], dict[str, str]] = {
    Territory: {"code": "code", "name": "name", "kind": "kind", "parent": "parent__code",
                "timezone": "timezone", "path": "path", "boundary": "boundary"},
    Organization: {"ogrn": "ogrn", "inn": "inn", "name": "name", "kind": "kind",
                   "territory": "territory__code", "parent": "parent__ogrn",
                   "connected": "connected", "contacts": "contacts"},
    Category: {"code": "code", "name": "name", "parent": "parent__code",
               "competence_level": "competence_level", "path": "path", "active": "active",
               "keywords": "keywords", "attributes": "attributes"},
}
CONTACT_KEYS = ("email", "phone", "site", "address")
#: An e-mail address as the platform checks it (shared by every form taking one).
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[\d\s()\-]{5,20}")
_CATEGORY_CODE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")
NAME_MAX = 255


async def _snapshot(row: Model, conn: BaseDBAsyncClient) -> dict[str, Any]:
    model = type(row)
    values = await model.filter(id=row.id).using_db(conn).values(**AUDIT_LOOKUPS[model])
    return {k: v.value if isinstance(v, Enum) else v for k, v in values[0].items()}


class _Problems:
    """Collects field errors so one request reports everything wrong with it."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str, code: ErrorCode = ErrorCode.INVALID) -> None:
        self.errors.append(FieldError(field, message, code))

    def check(self, field: str, problem: str | None) -> None:
        if problem:
            self.add(field, problem)

    def raise_if_any(self) -> None:
        if self.errors:
            raise DomainError(*self.errors)


def _name_problem(name: str | None, limit: int = NAME_MAX) -> str | None:
    if name is None:
        return None
    if not name.strip():
        return _("The name must not be empty")
    if len(name) > limit:
        return _("The name is longer than {limit} characters", limit=limit)
    return None


# --- territories -------------------------------------------------------------------


@dataclass
class TerritoryInput:
    code: str
    name: str | None = None
    kind: TerritoryKind | None = None
    parent_code: str | None = None
    timezone: str | None = None
    #: Any JSON from the caller; checked by :func:`_boundary` before use.
    boundary: Any = None


async def _territory_or_error(code: str, field: str) -> Territory:
    territory = await Territory.get_or_none(code=code)
    if territory is None:
        raise DomainError.of(field, _("Territory {code} not found", code=code),
                             ErrorCode.NOT_FOUND)
    return territory


async def _rewrite_subtree_paths(
    model: type[Territory] | type[Category], old: str, new: str, conn: BaseDBAsyncClient
) -> None:
    """Moves every descendant's path prefix when a node changes parent."""
    descendants = await model.filter(path__startswith=old + PATH_SEPARATOR).using_db(conn)
    for node in descendants:
        node.path = new + node.path[len(old):]
        await node.save(update_fields=["path"], using_db=conn)


def _can_admin_territory(principal: Principal, path: str) -> None:
    authz.require_territory(principal, path, authz.ADMINS)


async def create_territory(principal: Principal, data: TerritoryInput) -> Territory:
    problems = _Problems()
    if not data.name:
        problems.add("name", _("Enter a name"), ErrorCode.REQUIRED)
    else:
        problems.check("name", _name_problem(data.name))
    if data.kind is None:
        problems.add("kind", _("Choose the kind of territory"), ErrorCode.REQUIRED)
        problems.raise_if_any()
    assert data.kind is not None
    problems.check("code", validators.territory_code_problem(data.code, data.kind))
    boundary = _boundary(problems, data.boundary)
    parent: Territory | None = None
    expected_parent_kind = TERRITORY_PARENT_KIND[data.kind]
    if expected_parent_kind is None:
        if data.parent_code:
            problems.add("parentCode", _("A country cannot have a parent territory"))
        authz.require_federal(principal)
    elif not data.parent_code:
        problems.add("parentCode", _("Choose the parent territory"), ErrorCode.REQUIRED)
    else:
        parent = await _territory_or_error(data.parent_code, "parentCode")
        _can_admin_territory(principal, parent.path)
        if parent.kind != expected_parent_kind:
            problems.add(
                "parentCode",
                _("The parent of a «{kind}» can only be a «{parent_kind}»", kind=data.kind,
                  parent_kind=expected_parent_kind),
            )
    timezone = data.timezone or (parent.timezone if parent else None)
    if not timezone:
        problems.add("timezone", _("Choose a time zone"), ErrorCode.REQUIRED)
    else:
        problems.check("timezone", validators.timezone_problem(timezone))
    if await Territory.filter(code=data.code).exists():
        problems.add("code", _("A territory with code {code} already exists", code=data.code),
                     ErrorCode.DUPLICATE)
    problems.raise_if_any()
    path = f"{parent.path}{PATH_SEPARATOR}{data.code}" if parent else data.code
    async with in_transaction() as conn:
        territory = await Territory.create(
            code=data.code, name=data.name.strip() if data.name else "", kind=data.kind,
            timezone=timezone, parent=parent, path=path, boundary=boundary,
            using_db=conn,
        )
        await bump_version(REFERENCE_TREE_VERSION, conn)
        await record(
            actor=principal.actor, action="territory.create", object_type="territory",
            object_id=territory.code, before=None,
            after=await _snapshot(territory, conn), scope_path=territory.path, using=conn,
        )
    return territory


async def update_territory(principal: Principal, data: TerritoryInput) -> Territory:
    territory = await _territory_or_error(data.code, "code")
    _can_admin_territory(principal, territory.path)
    problems = _Problems()
    problems.check("name", _name_problem(data.name))
    if data.kind is not None and data.kind != territory.kind:
        problems.add("kind", _("The kind of a territory cannot change; create a new territory"))
    if data.timezone is not None:
        problems.check("timezone", validators.timezone_problem(data.timezone))
    boundary = _boundary(problems, data.boundary)
    new_parent: Territory | None = None
    if data.parent_code is not None and data.parent_code != _code_of_parent(territory):
        new_parent = await _territory_or_error(data.parent_code, "parentCode")
        _can_admin_territory(principal, new_parent.path)
        if new_parent.kind != TERRITORY_PARENT_KIND[territory.kind]:
            problems.add("parentCode", _("The parent territory is of a kind not allowed here"))
    problems.raise_if_any()
    async with in_transaction() as conn:
        before = await _snapshot(territory, conn)
        if data.name is not None:
            territory.name = data.name.strip()
        if data.timezone is not None:
            territory.timezone = data.timezone
        # Each cache watches only what it holds: the lookup index the boundaries, the
        # routing index and the lookup index the tree's paths. A rename touches neither.
        if boundary is not None and boundary != territory.boundary:
            territory.boundary = boundary
            await bump_version(BOUNDARIES_VERSION, conn)
        if new_parent is not None:
            old_path = territory.path
            territory.parent = new_parent
            territory.path = f"{new_parent.path}{PATH_SEPARATOR}{territory.code}"
            await _rewrite_subtree_paths(Territory, old_path, territory.path, conn)
            await move_territory_paths(old_path, territory.path, conn, subtree=True)
            # Region policies resolve along the path, so cached resolutions are stale.
            await bump_version(POLICY_VERSION, conn)
            await bump_version(REFERENCE_TREE_VERSION, conn)
        await territory.save(using_db=conn)
        await record(
            actor=principal.actor, action="territory.update", object_type="territory",
            object_id=territory.code, before=before,
            after=await _snapshot(territory, conn), scope_path=territory.path, using=conn,
        )
    return territory


def _boundary(problems: _Problems, value: object) -> dict[str, Any] | None:
    """The geometry part of ``value`` to store, or None (none given, or a problem, which
    goes to ``problems``). Parsed once: the shape and its validity check are the costly
    part of a large boundary."""
    if value is None:
        return None
    try:
        return parse_boundary(value)[0]
    except BoundaryProblem as problem:
        problems.add("boundary", str(problem))
        return None


def _code_of_parent(territory: Territory) -> str | None:
    parts = territory.path.split(PATH_SEPARATOR)
    return parts[-2] if len(parts) > 1 else None


# --- organizations -----------------------------------------------------------------


@dataclass
class OrganizationInput:
    ogrn: str
    name: str | None = None
    kind: OrganizationKind | None = None
    territory_code: str | None = None
    parent_ogrn: str | None = None
    inn: str | None = None
    connected: bool | None = None
    contacts: dict[str, str] | None = None


def _contacts_problems(problems: _Problems, contacts: dict[str, str] | None) -> None:
    if contacts is None:
        return
    for key, value in contacts.items():
        field = f"contacts.{key}"
        if key not in CONTACT_KEYS:
            problems.add(field, _("Unknown contact field; allowed: {allowed}",
                                      allowed=", ".join(CONTACT_KEYS)))
        elif not isinstance(value, str) or len(value) > 500:
            problems.add(field, _("The value must be a string of up to 500 characters"))
        elif key == "email" and value and not EMAIL.fullmatch(value):
            problems.add(field, _("Invalid e-mail address"))
        elif key == "phone" and value and not _PHONE.fullmatch(value):
            problems.add(field, _("Invalid phone number"))
        elif key == "site" and value and not value.startswith(("http://", "https://")):
            problems.add(field, _("The site address must start with http:// or https://"))


async def _organization_or_error(ogrn: str, field: str) -> Organization:
    organization = await Organization.get_or_none(ogrn=ogrn).select_related("territory")
    if organization is None:
        raise DomainError.of(field, _("Organization with OGRN {ogrn} not found", ogrn=ogrn),
                             ErrorCode.NOT_FOUND)
    return organization


async def _creates_cycle(organization: Organization, new_parent: Organization) -> bool:
    seen: set[int] = set()
    node: Organization | None = new_parent
    while node is not None and node.id not in seen:
        if node.id == organization.id:
            return True
        seen.add(node.id)
        node = await Organization.get_or_none(id=node.parent_id) if node.parent_id else None
    return False


async def create_organization(principal: Principal, data: OrganizationInput) -> Organization:
    problems = _Problems()
    problems.check("ogrn", validators.ogrn_problem(data.ogrn))
    if not data.name:
        problems.add("name", _("Enter a name"), ErrorCode.REQUIRED)
    else:
        problems.check("name", _name_problem(data.name, 500))
    if data.kind is None:
        problems.add("kind", _("Choose the kind of organization"), ErrorCode.REQUIRED)
    if not data.inn:
        problems.add("inn", _("Enter the INN"), ErrorCode.REQUIRED)
    else:
        problems.check("inn", validators.inn_problem(data.inn))
    _contacts_problems(problems, data.contacts)
    if not data.territory_code:
        problems.add("territoryCode", _("Choose a territory"), ErrorCode.REQUIRED)
        problems.raise_if_any()
    assert data.territory_code is not None
    territory = await _territory_or_error(data.territory_code, "territoryCode")
    _can_admin_territory(principal, territory.path)
    parent = (await _organization_or_error(data.parent_ogrn, "parentOgrn")
              if data.parent_ogrn else None)
    if await Organization.filter(ogrn=data.ogrn).exists():
        problems.add("ogrn", _("An organization with OGRN {ogrn} already exists",
                                     ogrn=data.ogrn), ErrorCode.DUPLICATE)
    problems.raise_if_any()
    async with in_transaction() as conn:
        organization = await Organization.create(
            ogrn=data.ogrn, inn=data.inn, name=(data.name or "").strip(), kind=data.kind,
            territory=territory, parent=parent, connected=bool(data.connected),
            contacts=data.contacts or {}, using_db=conn,
        )
        await record(
            actor=principal.actor, action="organization.create", object_type="organization",
            object_id=organization.ogrn, before=None,
            after=await _snapshot(organization, conn), scope_path=territory.path,
            using=conn,
        )
    return organization


async def update_organization(principal: Principal, data: OrganizationInput) -> Organization:
    organization = await _organization_or_error(data.ogrn, "ogrn")
    structural = (data.name, data.kind, data.territory_code, data.parent_ogrn, data.inn,
                  data.connected)
    own_admin = organization.id in principal.organization_ids((Role.ORG_ADMIN,))
    if own_admin and all(value is None for value in structural):
        authz.require_authenticated(principal)
    else:
        _can_admin_territory(principal, organization.territory.path)
    problems = _Problems()
    problems.check("name", _name_problem(data.name, 500))
    if data.inn is not None:
        problems.check("inn", validators.inn_problem(data.inn))
    _contacts_problems(problems, data.contacts)
    territory = organization.territory
    if data.territory_code is not None and data.territory_code != territory.code:
        territory = await _territory_or_error(data.territory_code, "territoryCode")
        _can_admin_territory(principal, territory.path)
    parent: Organization | None = None
    if data.parent_ogrn:
        parent = await _organization_or_error(data.parent_ogrn, "parentOgrn")
        if await _creates_cycle(organization, parent):
            problems.add("parentOgrn", _("An organization cannot be its own parent"))
    problems.raise_if_any()
    updates: dict[str, Any] = {
        "name": data.name.strip() if data.name is not None else None,
        "kind": data.kind, "inn": data.inn, "connected": data.connected,
        "contacts": {**organization.contacts, **data.contacts} if data.contacts else None,
    }
    for name, value in updates.items():
        if value is not None:
            setattr(organization, name, value)
    organization.territory = territory
    if data.parent_ogrn is not None:
        organization.parent = parent
    async with in_transaction() as conn:
        before = await _snapshot(organization, conn)
        await organization.save(using_db=conn)
        await record(
            actor=principal.actor, action="organization.update", object_type="organization",
            object_id=organization.ogrn, before=before,
            after=await _snapshot(organization, conn), scope_path=territory.path,
            using=conn,
        )
    return organization


# --- categories --------------------------------------------------------------------


@dataclass
class CategoryInput:
    code: str
    name: str | None = None
    parent_code: str | None = None
    competence_level: CompetenceLevel | None = None
    active: bool | None = None
    #: Search words and Open311 attribute definitions: any JSON from the caller, checked
    #: by :mod:`vmeste.platform.reference.attributes` before use.
    keywords: Any = None
    attributes: Any = None


def _asks(data: CategoryInput, problems: _Problems) -> dict[str, Any]:
    """The keywords and attribute definitions given, in their stored shape."""
    found: dict[str, Any] = {}
    for name, check in (("keywords", attributes.check_keywords),
                        ("attributes", attributes.check_definitions)):
        raw = getattr(data, name)
        if raw is not None:
            try:
                found[name] = check(raw)
            except attributes.AttributeProblem as problem:
                problems.add(name, str(problem))
    return found


async def _category_or_error(code: str, field: str) -> Category:
    category = await Category.get_or_none(code=code)
    if category is None:
        raise DomainError.of(field, _("Category {code} not found", code=code),
                             ErrorCode.NOT_FOUND)
    return category


async def create_category(principal: Principal, data: CategoryInput) -> Category:
    authz.require_federal(principal)
    problems = _Problems()
    if not _CATEGORY_CODE.fullmatch(data.code) or len(data.code) > 64:
        problems.add("code", _("A category code: Latin letters, digits, «_» and «.», up to 64 "
                                  "characters"))
    if not data.name:
        problems.add("name", _("Enter a name"), ErrorCode.REQUIRED)
    else:
        problems.check("name", _name_problem(data.name))
    if data.competence_level is None:
        problems.add("competenceLevel", _("Choose the competence level"), ErrorCode.REQUIRED)
    parent = await _category_or_error(data.parent_code, "parentCode") if data.parent_code else None
    if await Category.filter(code=data.code).exists():
        problems.add("code", _("Category {code} already exists", code=data.code),
                     ErrorCode.DUPLICATE)
    asks = _asks(data, problems)
    problems.raise_if_any()
    path = f"{parent.path}{PATH_SEPARATOR}{data.code}" if parent else data.code
    async with in_transaction() as conn:
        category = await Category.create(
            code=data.code, name=(data.name or "").strip(), parent=parent, path=path,
            competence_level=data.competence_level,
            active=True if data.active is None else data.active, **asks, using_db=conn,
        )
        await bump_version(REFERENCE_TREE_VERSION, conn)
        await record(
            actor=principal.actor, action="category.create", object_type="category",
            object_id=category.code, before=None, after=await _snapshot(category, conn),
            using=conn,
        )
    return category


async def update_category(principal: Principal, data: CategoryInput) -> Category:
    authz.require_federal(principal)
    category = await _category_or_error(data.code, "code")
    problems = _Problems()
    problems.check("name", _name_problem(data.name))
    new_parent: Category | None = None
    if data.parent_code is not None:
        new_parent = await _category_or_error(data.parent_code, "parentCode")
        if path_within(new_parent.path, category.path):
            problems.add("parentCode", _("A category cannot be inside its own subcategory"))
    asks = _asks(data, problems)
    problems.raise_if_any()
    async with in_transaction() as conn:
        before = await _snapshot(category, conn)
        if data.name is not None:
            category.name = data.name.strip()
        if data.competence_level is not None:
            category.competence_level = data.competence_level
        if data.active is not None:
            category.active = data.active
        for name, value in asks.items():
            setattr(category, name, value)
        if new_parent is not None:
            old_path = category.path
            category.parent = new_parent
            category.path = f"{new_parent.path}{PATH_SEPARATOR}{category.code}"
            await _rewrite_subtree_paths(Category, old_path, category.path, conn)
        await category.save(using_db=conn)
        await bump_version(REFERENCE_TREE_VERSION, conn)
        await record(
            actor=principal.actor, action="category.update", object_type="category",
            object_id=category.code, before=before, after=await _snapshot(category, conn),
            using=conn,
        )
    return category
