"""Managing competence rules: drafts, atomic publishing, and who may touch which rule.

Federal configurators manage rules for federal-level categories anywhere; regional
administrators manage every other category within their own territory subtree.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform import authz
from vmeste.platform.appeals.models import (
    ApplicantType,
    Channel,
    CompetenceRule,
    RuleStatus,
)
from vmeste.platform.appeals.routing import RULES_VERSION, CompiledRule, compile_rules, find_ties
from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode, FieldError, Forbidden
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import Principal
from vmeste.platform.reference.models import (
    Category,
    CompetenceLevel,
    Organization,
    Territory,
    subtree,
)
from vmeste.platform.versions import bump_version
from vmeste.platform.versions.models import ConfigVersion

PRIORITY_RANGE = (-1000, 1000)
CONFIGURATORS = (Role.FEDERAL_CONFIGURATOR, Role.REGIONAL_ADMIN)


@dataclass
class RuleInput:
    category_code: str
    territory_code: str
    organization_ogrn: str
    priority: int = 0
    applicant_type: ApplicantType | None = None
    channel: Channel | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    #: Edit this rule instead of adding one.
    rule_id: int | None = None
    #: Withdraw the rule ``rule_id`` at the next publish.
    retire: bool = False


@dataclass(frozen=True)
class ResolvedRule:
    category: Category
    territory: Territory
    organization: Organization


@dataclass
class PublishResult:
    published: list[int] = field(default_factory=list)
    retired: list[int] = field(default_factory=list)
    version: int = 0


class RulesConflict(DomainError):
    """Publishing would leave rules that no precedence step separates."""

    def __init__(self, ties: list[tuple[CompiledRule, CompiledRule]]) -> None:
        self.ties = ties
        super().__init__(*(
            FieldError(
                None,
                _("Rules {first} and {second} have the same territory {territory}, "
                  "category {category} and priority {priority} ({first_ogrn} and "
                  "{second_ogrn})", first=a.id, second=b.id, territory=a.territory_code,
                  category=a.category_code, priority=a.priority,
                  first_ogrn=a.organization_ogrn, second_ogrn=b.organization_ogrn),
                ErrorCode.CONFLICT,
            )
            for a, b in ties
        ))


def require_rule_manager(principal: Principal, levels: Iterable[str], territory_path: str
                         ) -> None:
    """``levels`` are the competence levels of the rule's category and, for a group, of
    every category below it: a group rule routes them all, so it needs rights over
    each (a regional administrator cannot route a federal subcategory through its
    group)."""
    authz.require_authenticated(principal)
    if principal.system:
        return
    for level in set(levels):
        roles = authz.FEDERAL if level == CompetenceLevel.FEDERAL else (Role.REGIONAL_ADMIN,)
        if not principal.covers_territory(territory_path, roles):
            raise Forbidden(_("The rules of this category on this territory are not yours "
                              "to manage"))


async def subtree_levels(category_path: str, conn: BaseDBAsyncClient | None = None
                         ) -> set[str]:
    rows = await Category.filter(subtree(category_path)).using_db(conn).values_list(
        "competence_level", flat=True)
    return {getattr(level, "value", level) for level in rows}


def may_manage(principal: Principal, levels: Iterable[str], territory_path: str) -> bool:
    try:
        require_rule_manager(principal, levels, territory_path)
    except Forbidden:
        return False
    return True


async def resolve_references(data: RuleInput, conn: BaseDBAsyncClient | None = None
                             ) -> ResolvedRule:
    """Looks up the rule's category, territory and body; every unknown one is reported."""
    category = await Category.get_or_none(code=data.category_code).using_db(conn)
    territory = await Territory.get_or_none(code=data.territory_code).using_db(conn)
    organization = await Organization.get_or_none(ogrn=data.organization_ogrn).using_db(conn)
    errors = []
    if category is None:
        errors.append(FieldError("categoryCode", _("No category with code {code}",
                                                   code=data.category_code),
                                 ErrorCode.NOT_FOUND))
    if territory is None:
        errors.append(FieldError("territoryCode", _("Territory {code} not found",
                                                    code=data.territory_code),
                                 ErrorCode.NOT_FOUND))
    if organization is None:
        errors.append(FieldError("organizationOgrn",
                                 _("Organization with OGRN {ogrn} not found",
                                   ogrn=data.organization_ogrn),
                                 ErrorCode.NOT_FOUND))
    if errors:
        raise DomainError(*errors)
    assert category and territory and organization
    return ResolvedRule(category, territory, organization)


def value_problems(data: RuleInput) -> list[FieldError]:
    problems = []
    low, high = PRIORITY_RANGE
    if not low <= data.priority <= high:
        problems.append(FieldError("priority", _("The priority must be from {low} to {high}",
                                                     low=low, high=high),
                                   ErrorCode.INVALID))
    if data.valid_from and data.valid_to and data.valid_from > data.valid_to:
        problems.append(FieldError("validTo", _("The end of validity is before its start"),
                                   ErrorCode.INVALID))
    return problems


def _fields(data: RuleInput, refs: ResolvedRule) -> dict[str, Any]:
    return {
        "category": refs.category, "territory": refs.territory,
        "organization": refs.organization, "priority": data.priority,
        "applicant_type": data.applicant_type, "channel": data.channel,
        "valid_from": data.valid_from, "valid_to": data.valid_to,
        "territory_path": refs.territory.path,
    }


def rule_snapshot(rule: CompetenceRule, refs: ResolvedRule) -> dict[str, Any]:
    return {
        "category": refs.category.code, "territory": refs.territory.code,
        "organization": refs.organization.ogrn, "priority": rule.priority,
        "applicant_type": rule.applicant_type, "channel": rule.channel,
        "valid_from": rule.valid_from.isoformat() if rule.valid_from else None,
        "valid_to": rule.valid_to.isoformat() if rule.valid_to else None,
        "status": rule.status, "version": rule.version, "retire": rule.retire,
    }


async def save_draft(principal: Principal, data: RuleInput, *,
                     conn: BaseDBAsyncClient | None = None) -> CompetenceRule:
    """Create or edit a draft; published rules change only at ``publish_rules``."""
    problems = value_problems(data)
    refs = await resolve_references(data, conn)
    require_rule_manager(principal, await subtree_levels(refs.category.path, conn),
                         refs.territory.path)
    if problems:
        raise DomainError(*problems)
    existing = None
    if data.rule_id is not None:
        existing = await CompetenceRule.get_or_none(id=data.rule_id).using_db(conn)
        if existing is None:
            raise DomainError.of("ruleId", _("Rule not found"), ErrorCode.NOT_FOUND)
        path = await Category.filter(id=existing.category_id).using_db(conn).values_list(
            "path", flat=True)
        require_rule_manager(principal, await subtree_levels(path[0], conn),
                             existing.territory_path)
        if existing.status == RuleStatus.RETIRED:
            raise DomainError.of("ruleId", _("The rule is retired; create a new one"),
                                 ErrorCode.CONFLICT)
    elif data.retire:
        raise DomainError.of("retire", _("Name the rule to retire"),
                             ErrorCode.REQUIRED)
    if existing is not None and existing.status == RuleStatus.PUBLISHED:
        pending = await CompetenceRule.get_or_none(
            replaces_id=existing.id, status=RuleStatus.DRAFT).using_db(conn)
        if pending is None:
            draft = CompetenceRule(replaces=existing, version=existing.version + 1,
                                   author=principal.actor, status=RuleStatus.DRAFT)
        else:
            draft = pending
    elif existing is not None:
        draft = existing
    else:
        draft = CompetenceRule(author=principal.actor, status=RuleStatus.DRAFT)
    for name, value in _fields(data, refs).items():
        setattr(draft, name, value)
    draft.retire = data.retire
    draft.author = principal.actor
    await draft.save(using_db=conn)
    await record(actor=principal.actor, action="competence_rule.draft",
                 object_type="competence_rule", object_id=draft.id, before=None,
                 after=rule_snapshot(draft, refs), scope_path=refs.territory.path, using=conn)
    return draft


async def _manageable_drafts(principal: Principal, conn: BaseDBAsyncClient | None,
                             only: Collection[int] | None) -> list[CompetenceRule]:
    query = CompetenceRule.filter(status=RuleStatus.DRAFT).using_db(conn)
    if only is not None:
        query = query.filter(id__in=list(only) or [-1])
    drafts = await query.values("id", "territory_path", "category__path")
    levels: dict[str, set[str]] = {}
    ids = []
    for draft in drafts:
        path = draft["category__path"]
        if path not in levels:
            levels[path] = await subtree_levels(path, conn)
        if may_manage(principal, levels[path], draft["territory_path"]):
            ids.append(draft["id"])
    return await CompetenceRule.filter(id__in=ids).using_db(conn)


async def publish_rules(principal: Principal, *, conn: BaseDBAsyncClient | None = None,
                        only: Collection[int] | None = None) -> PublishResult:
    """Publish every draft the caller manages (or just the ``only`` ones), atomically,
    or nothing at all."""
    authz.require_authenticated(principal)
    if not principal.system and not principal.territory_scopes(CONFIGURATORS):
        raise Forbidden(_("Only configurators and regional administrators may publish rules"))
    if conn is None:
        async with in_transaction() as own:
            return await publish_rules(principal, conn=own, only=only)
    drafts = await _manageable_drafts(principal, conn, only)
    if not drafts:
        return PublishResult()
    superseded = {d.replaces_id for d in drafts if d.replaces_id is not None}
    survivors = await compile_rules(
        CompetenceRule.filter(status=RuleStatus.PUBLISHED).exclude(id__in=superseded or {-1})
        .using_db(conn))
    incoming = await compile_rules(
        CompetenceRule.filter(id__in=[d.id for d in drafts if not d.retire]).using_db(conn))
    incoming_ids = {rule.id for rule in incoming}
    ties = [(a, b) for a, b in find_ties([*survivors, *incoming])
            if a.id in incoming_ids or b.id in incoming_ids]
    if ties:
        raise RulesConflict(ties)
    retired = sorted(superseded | {d.id for d in drafts if d.retire})
    published = sorted(incoming_ids)
    await CompetenceRule.filter(id__in=retired).using_db(conn).update(status=RuleStatus.RETIRED)
    await CompetenceRule.filter(id__in=published).using_db(conn).update(
        status=RuleStatus.PUBLISHED)
    await bump_version(RULES_VERSION, conn)
    version = await _version(conn)
    await record(actor=principal.actor, action="competence_rules.publish",
                 object_type="competence_rules", object_id=version, before=None,
                 after={"published": published, "retired": retired}, using=conn)
    return PublishResult(published=published, retired=retired, version=version)


async def _version(conn: BaseDBAsyncClient) -> int:
    row = await ConfigVersion.get(name=RULES_VERSION).using_db(conn)
    return int(row.version)
