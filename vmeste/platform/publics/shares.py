"""Compliance shares: of a territory's active pages, how many pass each rule, and how
many pass them all, on each page's latest snapshot on or before a day.

A region's shares come for the region itself and for each territory right below it
that has pages (the country and its regions when no region is given). A rule's
results count under its current version only, so a stricter rule is not averaged with
the old one's results; a declared rule still awaiting its confirmation counts as not
passed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.publics.compliance_rules import RULES, RULES_BY_CODE
from vmeste.platform.publics.models import ComplianceResult, OfficialPage, PageSnapshot, PageStatus
from vmeste.platform.reference.models import PATH_SEPARATOR, Territory, subtree


@dataclass(frozen=True)
class Share:
    """``rule_code`` None: the pages passing every rule of their network."""

    territory_code: str
    rule_code: str | None
    pages: int
    passing: int

    @property
    def share(self) -> float:
        return self.passing / self.pages if self.pages else 0.0


async def latest_checks(page_ids: list[int], on: date | None = None
                        ) -> dict[int, dict[str, ComplianceResult]]:
    """Each page's current results by rule, on its latest snapshot by the end of ``on``."""
    until = (datetime.combine(on + timedelta(days=1), time(), UTC) if on
             else datetime.max.replace(tzinfo=UTC))
    latest: dict[int, int] = {}
    for snapshot_id, page_id in await PageSnapshot.filter(
            page_id__in=page_ids, taken_at__lt=until).order_by("taken_at", "id").values_list(
            "id", "page_id"):
        latest[page_id] = snapshot_id
    checks: dict[int, dict[str, ComplianceResult]] = defaultdict(dict)
    for row in await ComplianceResult.filter(snapshot_id__in=list(latest.values()),
                                             checked_at__lt=until).order_by("checked_at", "id"):
        rule = RULES_BY_CODE.get(row.rule_code)
        if rule is not None and rule.version == row.rule_version:
            checks[row.page_id][row.rule_code] = row
    return checks


async def _scope(region_code: str | None) -> Territory:
    query = (Territory.filter(code=region_code) if region_code
             else Territory.filter(parent_id=None))
    territory = await query.first()
    if territory is None:
        raise DomainError.of("regionCode", _("Territory not found"), ErrorCode.NOT_FOUND)
    return territory


async def compliance_shares(region_code: str | None, on: date | None = None) -> list[Share]:
    """The scope's shares first, then each territory right below it, by code; each
    group's overall share first, then its rules in the registry's order."""
    scope = await _scope(region_code)
    depth = len(scope.path.split(PATH_SEPARATOR))
    pages = await OfficialPage.filter(subtree(scope.path, "territory_path"),
                                      status=PageStatus.ACTIVE).values_list("id", "territory_path")
    checks = await latest_checks([page_id for page_id, _path in pages], on)
    groups: dict[str, list[int]] = defaultdict(list)
    for page_id, path in pages:
        if page_id not in checks:
            continue
        groups[scope.path].append(page_id)
        parts = path.split(PATH_SEPARATOR)
        if len(parts) > depth:
            groups[PATH_SEPARATOR.join(parts[:depth + 1])].append(page_id)
    codes = dict(await Territory.filter(path__in=list(groups)).values_list("path", "code"))
    shares = []
    for path in sorted(groups, key=lambda p: (p != scope.path, codes.get(p, ""))):
        ids = groups[path]
        shares.append(Share(codes[path], None, len(ids), sum(
            1 for i in ids if all(r.passed for r in checks[i].values()))))
        for rule in RULES:
            results = [checks[i][rule.code] for i in ids if rule.code in checks[i]]
            if results:
                shares.append(Share(codes[path], rule.code, len(results),
                                    sum(1 for r in results if r.passed)))
    return shares
