"""The monitoring rules a region's monitoring staff keep: which official pages are read
and which keywords make a post an incident.

Every write is checked whole (each problem a typed field error, so a form can mark them
all at once) and audited in its own transaction, like the registry of pages. A rule's
pages must be active official pages within the rule's territory, so a municipality's
monitors cannot read another region's pages through a rule. A rule with pages is due
for a fetch at once (the watchdog's :class:`~vmeste.platform.incidents.fetching.MonitoringClock`
takes it from there). An edit locks the rule's row, as the fetch job does to save a
page's cursor, so neither overwrites what the other saved meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal, path_within
from vmeste.platform.incidents.access import require_monitor
from vmeste.platform.incidents.models import MonitoringRule
from vmeste.platform.publics.models import OfficialPage, PageStatus
from vmeste.platform.reference.models import Territory

MAX_KEYWORDS = 100
MAX_KEYWORD_LENGTH = 200
MAX_NAME_LENGTH = 300
MINUTES = (1, 1440)
#: The largest id an integer column holds: a larger one names nothing (and PostgreSQL
#: would refuse to compare with it).
MAX_ID = 2**31 - 1
#: What an edit may change (the territory stays: a rule for another one is a new rule).
EDITABLE = ("name", "keywords", "page_ids", "fetch_every_minutes")
#: The API's names of the fields, which the errors name.
_FIELD_NAMES = {"name": "name", "keywords": "keywords", "page_ids": "pageIds",
                "fetch_every_minutes": "fetchEveryMinutes"}


@dataclass(frozen=True)
class RuleInput:
    name: str
    territory_code: str
    keywords: list[str] = field(default_factory=list)
    page_ids: list[int] = field(default_factory=list)
    fetch_every_minutes: int = 15


def rule_state(rule: MonitoringRule) -> dict[str, Any]:
    """What the audit trail keeps of a rule."""
    return {"name": rule.name, "territory_path": rule.territory_path,
            "keywords": list(rule.keywords), "page_ids": list(rule.page_ids),
            "active": rule.active, "fetch_every_minutes": rule.fetch_every_minutes}


async def _audit(conn: BaseDBAsyncClient, actor: str, action: str, rule: MonitoringRule,
                 before: dict[str, Any] | None) -> None:
    await record(actor=actor, action=action, object_type="monitoring_rule", object_id=rule.id,
                 before=before, after=rule_state(rule), scope_path=rule.territory_path,
                 using=conn)


def _name(value: Any, errors: list[FieldError]) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        errors.append(FieldError("name", _("The rule needs a name"), ErrorCode.REQUIRED))
    elif len(name) > MAX_NAME_LENGTH:
        errors.append(FieldError("name", _("At most {limit} characters",
                                           limit=MAX_NAME_LENGTH), ErrorCode.INVALID))
    return name


def _keywords(value: Any, errors: list[FieldError]) -> list[str]:
    """The keywords stripped, each once, in the order given."""
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        errors.append(FieldError("keywords", _("Keywords are a list of texts"),
                                 ErrorCode.INVALID))
        return []
    keywords = list(dict.fromkeys(k.strip() for k in value))
    if len(keywords) > MAX_KEYWORDS:
        errors.append(FieldError("keywords", _("At most {limit} keywords", limit=MAX_KEYWORDS),
                                 ErrorCode.INVALID))
    if any(not k for k in keywords):
        errors.append(FieldError("keywords", _("A keyword cannot be empty"), ErrorCode.INVALID))
    if any(len(k) > MAX_KEYWORD_LENGTH for k in keywords):
        errors.append(FieldError("keywords", _("A keyword has at most {limit} characters",
                                               limit=MAX_KEYWORD_LENGTH), ErrorCode.INVALID))
    return keywords


async def _pages(value: Any, territory_path: str, errors: list[FieldError]) -> list[int]:
    """The page ids, each once; every one an active official page in the territory."""
    if not isinstance(value, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in value):
        errors.append(FieldError("pageIds", _("Pages are a list of official page ids"),
                                 ErrorCode.INVALID))
        return []
    ids = list(dict.fromkeys(value))
    found = {page.id: page for page in await OfficialPage.filter(
        id__in=[i for i in ids if 0 < i <= MAX_ID])}
    if any(i not in found for i in ids):
        errors.append(FieldError("pageIds", _("Official page not found"), ErrorCode.NOT_FOUND))
    if any(page.status is not PageStatus.ACTIVE for page in found.values()):
        errors.append(FieldError("pageIds", _("A retired page cannot be monitored"),
                                 ErrorCode.INVALID))
    if any(not path_within(page.territory_path, territory_path) for page in found.values()):
        errors.append(FieldError("pageIds", _("A page of the rule lies outside its territory"),
                                 ErrorCode.INVALID))
    return ids


async def _checked(values: Mapping[str, Any], territory_path: str) -> dict[str, Any]:
    """The rule's editable fields, normalised; every problem raised at once."""
    errors: list[FieldError] = []
    checked = {"name": _name(values.get("name"), errors),
               "keywords": _keywords(values.get("keywords"), errors),
               "page_ids": await _pages(values.get("page_ids"), territory_path, errors)}
    minutes = values.get("fetch_every_minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not (
            MINUTES[0] <= minutes <= MINUTES[1]):
        errors.append(FieldError("fetchEveryMinutes", _(
            "{name} is an integer from {low} to {high}", name="fetchEveryMinutes",
            low=MINUTES[0], high=MINUTES[1]), ErrorCode.INVALID))
    checked["fetch_every_minutes"] = minutes
    if not checked["keywords"] and not checked["page_ids"] and not any(
            e.field in ("keywords", "pageIds") for e in errors):
        errors.append(FieldError("keywords", _("A rule needs a keyword or a page"),
                                 ErrorCode.REQUIRED))
    if errors:
        raise DomainError(*errors)
    return checked


async def get_rule(rule_id: int, *, lock: BaseDBAsyncClient | None = None) -> MonitoringRule:
    query = MonitoringRule.filter(id=rule_id if 0 < rule_id <= MAX_ID else 0)
    if lock is not None:
        query = query.select_for_update().using_db(lock)
    rule = await query.first()
    if rule is None:
        raise DomainError.of("ruleId", _("Monitoring rule not found"), ErrorCode.NOT_FOUND)
    return rule


async def create_rule(principal: Principal, data: RuleInput, now: datetime) -> MonitoringRule:
    territory = await Territory.get_or_none(code=data.territory_code)
    if territory is None:
        raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
    require_monitor(principal, territory.path)
    checked = await _checked({name: getattr(data, name) for name in EDITABLE}, territory.path)
    async with in_transaction() as conn:
        rule = await MonitoringRule.create(
            **checked, territory_id=territory.id, territory_path=territory.path,
            next_fetch_at=now if checked["page_ids"] else None, created_by=principal.actor,
            using_db=conn)
        await _audit(conn, principal.actor, "monitoring_rule.create", rule, None)
    return rule


async def update_rule(principal: Principal, rule_id: int, changes: Mapping[str, Any],
                      now: datetime) -> MonitoringRule:
    """Change the editable fields given. A page added is fetched at once; the cursors
    and errors of a page taken off the rule are dropped."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise DomainError.of(unknown[0], _("This field cannot be changed"))
    async with in_transaction() as conn:
        rule = await _open_active(conn, principal, rule_id)
        before = rule_state(rule)
        checked = await _checked({**{name: getattr(rule, name) for name in EDITABLE},
                                  **changes}, rule.territory_path)
        added = set(checked["page_ids"]) - set(rule.page_ids)
        for name, value in checked.items():
            setattr(rule, name, value)
        kept = {str(i) for i in rule.page_ids}
        rule.cursors = {k: v for k, v in rule.cursors.items() if k in kept}
        rule.errors = {k: v for k, v in rule.errors.items() if k in kept}
        if not rule.page_ids:
            rule.next_fetch_at = None
        elif added:
            rule.next_fetch_at = now
        rule.revision += 1
        await rule.save(using_db=conn)
        await _audit(conn, principal.actor, "monitoring_rule.update", rule, before)
    return rule


async def _open_active(conn: BaseDBAsyncClient, principal: Principal, rule_id: int
                       ) -> MonitoringRule:
    """The rule, locked, once the caller may keep it and it still takes posts."""
    rule = await get_rule(rule_id, lock=conn)
    require_monitor(principal, rule.territory_path)
    if not rule.active:
        raise DomainError.of("ruleId", _("The rule is no longer active"),
                             ErrorCode.ILLEGAL_TRANSITION)
    return rule


async def deactivate_rule(principal: Principal, rule_id: int) -> MonitoringRule:
    """The rule takes no more posts and its pages are no longer fetched; it stays, with
    the incidents it opened."""
    async with in_transaction() as conn:
        rule = await _open_active(conn, principal, rule_id)
        before = rule_state(rule)
        rule.active, rule.next_fetch_at = False, None
        rule.revision += 1
        await rule.save(using_db=conn)
        await _audit(conn, principal.actor, "monitoring_rule.deactivate", rule, before)
    return rule
