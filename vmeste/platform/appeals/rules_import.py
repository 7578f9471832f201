"""Competence rules from and to CSV: ``vmeste rules import|export``.

An import validates every line first (references, values, and the importer's right to
manage each rule) and reports all problems with line numbers. It then turns lines
into drafts: a line whose key (category, territory, priority, applicant type, channel,
validity window) matches a published rule replaces that rule if it names another body;
an identical one changes nothing. Two lines with the same key and different bodies are
a tie, which publishing refuses. With ``publish`` the drafts are published in the
same transaction, so a rule set with a tie is refused whole and nothing changes.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.appeals.models import ApplicantType, Channel, CompetenceRule, RuleStatus
from vmeste.platform.appeals.rules import (
    PRIORITY_RANGE,
    PublishResult,
    publish_rules,
    require_rule_manager,
)
from vmeste.platform.audit.services import record
from vmeste.platform.csvfiles import CSVImportFailed, ImportError_, SourceRow, read_csv
from vmeste.platform.errors import DomainError
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.reference.models import PATH_SEPARATOR, Category, Organization, Territory

COLUMNS = ("category_code", "territory_code", "organization_ogrn", "priority",
           "applicant_type", "channel", "valid_from", "valid_to")
RuleKey = tuple[int, int, int, str | None, str | None, date | None, date | None]


@dataclass
class RulesImportReport:
    total: int
    created: int
    updated: int
    unchanged: int
    published: PublishResult | None = None


@dataclass
class _Line:
    line: int
    category_id: int
    territory_id: int
    territory_path: str
    organization_id: int
    priority: int
    applicant_type: str | None
    channel: str | None
    valid_from: date | None
    valid_to: date | None

    @property
    def key(self) -> RuleKey:
        return (self.category_id, self.territory_id, self.priority, self.applicant_type,
                self.channel, self.valid_from, self.valid_to)


def _enum(value: str, enum: type[ApplicantType] | type[Channel], column: str,
          errors: list[tuple[str, str]]) -> str | None:
    if not value:
        return None
    allowed = [e.value for e in enum]
    if value not in allowed:
        errors.append((column, _("Allowed: {allowed} or empty", allowed=", ".join(allowed))))
        return None
    return value


def _date(value: str, column: str, errors: list[tuple[str, str]]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append((column, _("A date as YYYY-MM-DD")))
        return None


async def _parse(rows: Sequence[SourceRow], principal: Principal
                 ) -> tuple[list[_Line], list[ImportError_]]:
    rows_of_categories = await Category.all().values_list("id", "code", "path",
                                                          "competence_level")
    # Competence levels within each category's subtree: a group rule needs rights
    # over all of them (see ``require_rule_manager``).
    levels: dict[str, set[str]] = {}
    for _code, _name, path, level in rows_of_categories:
        parts = path.split(PATH_SEPARATOR)
        for depth in range(1, len(parts) + 1):
            levels.setdefault(PATH_SEPARATOR.join(parts[:depth]), set()).add(
                getattr(level, "value", level))
    categories = {code: (pk, levels[path]) for pk, code, path, _ in rows_of_categories}
    territories = {code: (pk, path) for pk, code, path in
                   await Territory.all().values_list("id", "code", "path")}
    ogrns = {row.cells["organization_ogrn"] for row in rows}
    organizations = dict(await Organization.filter(ogrn__in=list(ogrns)).values_list(
        "ogrn", "id"))
    lines: list[_Line] = []
    errors: list[ImportError_] = []
    seen: dict[RuleKey, tuple[int, int]] = {}
    for row in rows:
        cells = row.cells
        problems: list[tuple[str, str]] = []
        category = categories.get(cells["category_code"])
        territory = territories.get(cells["territory_code"])
        organization = organizations.get(cells["organization_ogrn"])
        if category is None:
            problems.append(("category_code", _("Category not found")))
        if territory is None:
            problems.append(("territory_code", _("Territory not found")))
        if organization is None:
            problems.append(("organization_ogrn", _("Organization not found")))
        priority = 0
        if cells["priority"]:
            try:
                priority = int(cells["priority"])
            except ValueError:
                problems.append(("priority", _("The priority is an integer")))
        low, high = PRIORITY_RANGE
        if not low <= priority <= high:
            problems.append(("priority", _("The priority is from {low} to {high}", low=low,
                                           high=high)))
        applicant_type = _enum(cells["applicant_type"], ApplicantType, "applicant_type",
                               problems)
        channel = _enum(cells["channel"], Channel, "channel", problems)
        valid_from = _date(cells["valid_from"], "valid_from", problems)
        valid_to = _date(cells["valid_to"], "valid_to", problems)
        if valid_from and valid_to and valid_from > valid_to:
            problems.append(("valid_to", _("The end of validity is before its start")))
        if category is not None and territory is not None:
            try:
                require_rule_manager(principal, category[1], territory[1])
            except DomainError as refused:
                problems.append(("territory_code", refused.errors[0].message))
        if problems or category is None or territory is None or organization is None:
            errors += [ImportError_(row.line, column, message) for column, message in problems]
            continue
        line = _Line(row.line, category[0], territory[0], territory[1], organization,
                     priority, applicant_type, channel, valid_from, valid_to)
        if line.key in seen:
            first_line, first_organization = seen[line.key]
            errors.append(ImportError_(row.line, None, (
                _("The same rule is already on line {line}", line=first_line)
                if first_organization == organization
                else _("A tie with line {line}: the same category, territory, priority, "
                       "applicant type, channel and validity, but another organization",
                       line=first_line))))
            continue
        seen[line.key] = (row.line, organization)
        lines.append(line)
    return lines, errors


def _key_of(rule: CompetenceRule) -> RuleKey:
    return (rule.category_id, rule.territory_id, rule.priority, _plain(rule.applicant_type),
            _plain(rule.channel), rule.valid_from, rule.valid_to)


def _plain(value: Any) -> str | None:
    return None if value is None else getattr(value, "value", value)


async def upsert_rule_rows(rows: Sequence[SourceRow], *, principal: Principal,
                           publish: bool, conn: BaseDBAsyncClient) -> RulesImportReport:
    """The import inside the caller's transaction; raises on any problem."""
    lines, errors = await _parse(rows, principal)
    if errors:
        raise CSVImportFailed(errors)
    existing = await CompetenceRule.filter(
        status__in=[RuleStatus.PUBLISHED, RuleStatus.DRAFT]).using_db(conn)
    published = {_key_of(r): r for r in existing if r.status == RuleStatus.PUBLISHED}
    drafts = {_key_of(r): r for r in existing if r.status == RuleStatus.DRAFT}
    created: list[CompetenceRule] = []
    touched: list[int] = []
    updated = unchanged = 0
    for line in lines:
        current = published.get(line.key)
        if current is not None and line.key not in drafts and (
                current.organization_id == line.organization_id):
            unchanged += 1
            continue
        draft = drafts.pop(line.key, None)
        if draft is not None:
            draft.organization_id = line.organization_id
            draft.author = principal.actor
            await draft.save(using_db=conn, update_fields=["organization_id", "author"])
            touched.append(draft.id)
            updated += 1
            continue
        created.append(CompetenceRule(
            category_id=line.category_id, territory_id=line.territory_id,
            territory_path=line.territory_path, organization_id=line.organization_id,
            priority=line.priority, applicant_type=line.applicant_type, channel=line.channel,
            valid_from=line.valid_from, valid_to=line.valid_to, status=RuleStatus.DRAFT,
            author=principal.actor, replaces_id=current.id if current else None,
            version=current.version + 1 if current else 1))
    await CompetenceRule.bulk_create(created, batch_size=1000, using_db=conn)
    report = RulesImportReport(total=len(rows), created=len(created), updated=updated,
                               unchanged=unchanged)
    await record(actor=principal.actor, action="competence_rules.import",
                 object_type="competence_rules", object_id="import", before=None,
                 after={"total": report.total, "created": report.created,
                        "updated": report.updated, "unchanged": report.unchanged},
                 using=conn)
    if publish:
        # Only this import's drafts: anyone else's pending drafts stay drafts.
        new = {(_key_of(rule), rule.organization_id) for rule in created}
        touched += [rule.id for rule in await CompetenceRule.filter(
            status=RuleStatus.DRAFT).using_db(conn) if (_key_of(rule), rule.organization_id)
            in new]
        report.published = await publish_rules(principal, conn=conn, only=touched)
    return report


async def import_rules(source: TextIO | Path, *, principal: Principal, publish: bool
                       ) -> RulesImportReport:
    rows, errors = read_csv(COLUMNS, source)
    if errors:
        raise CSVImportFailed(errors)
    async with in_transaction() as conn:
        return await upsert_rule_rows(rows, principal=principal, publish=publish, conn=conn)


async def export_rules(target: TextIO) -> int:
    """Published rules, in import format, sorted for stable diffs."""
    rows = await CompetenceRule.filter(status=RuleStatus.PUBLISHED).values_list(
        "category__code", "territory__code", "organization__ogrn", "priority",
        "applicant_type", "channel", "valid_from", "valid_to")
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in sorted(rows, key=lambda r: (r[1], r[0], -r[3], str(r[4]), str(r[5]))):
        writer.writerow(["" if v is None else _plain(v) if not isinstance(v, date)
                         else v.isoformat() for v in row])
    return len(rows)
