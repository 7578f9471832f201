"""The competence table compiled for routing: an in-memory index of published rules.

A decision looks at most (territory depth × category depth) buckets, about a dozen
dictionary lookups, whatever the number of rules, so the cost per decision stays flat
from a thousand rules to a hundred thousand. Buckets are pre-sorted by the precedence
steps, so the first rule in the walk that applies is the winner:

1. the most specific territory (settlement, municipality, region, country);
2. at the same territory, the most specific category;
3. the higher priority;
4. the rule with more filters (applicant type, channel) set.

Rules outside their validity window, with filters that do not match, or naming the
body the appeal complains about are passed over, and the trace says so.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tortoise.queryset import QuerySet

from vmeste.platform.appeals.models import CompetenceRule, RuleStatus
from vmeste.platform.i18n import N_, translate
from vmeste.platform.reference.models import PATH_SEPARATOR, Category, Territory
from vmeste.platform.versions import REFERENCE_TREE_VERSION, current_version

RULES_VERSION = "competence_rules"


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: int
    category_id: int
    territory_id: int
    organization_id: int
    priority: int
    applicant_type: str | None
    channel: str | None
    valid_from: date | None
    valid_to: date | None
    organization_ogrn: str = ""
    territory_code: str = ""
    category_code: str = ""

    @property
    def specificity(self) -> int:
        return (self.applicant_type is not None) + (self.channel is not None)

    def precedence(self) -> tuple[int, int, int]:
        """Sort key inside one (territory, category) bucket: best first."""
        return (-self.priority, -self.specificity, self.id)

    def miss(self, applicant_type: str, channel: str, on: date) -> str | None:
        """Why this rule does not apply to the request, or None if it does."""
        if self.valid_from is not None and on < self.valid_from:
            return "not_yet_valid"
        if self.valid_to is not None and on > self.valid_to:
            return "expired"
        if self.applicant_type is not None and self.applicant_type != applicant_type:
            return "applicant_type_mismatch"
        if self.channel is not None and self.channel != channel:
            return "channel_mismatch"
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "rule_id": self.id,
            "organization_ogrn": self.organization_ogrn,
            "territory_code": self.territory_code,
            "category_code": self.category_code,
            "priority": self.priority,
            "applicant_type": self.applicant_type,
            "channel": self.channel,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }


VERDICT_TEXT = {
    "winner": N_("chosen: the most specific match by territory, category and priority"),
    "not_yet_valid": N_("the rule is not in force yet"),
    "expired": N_("the rule has expired"),
    "applicant_type_mismatch": N_("the rule is for another applicant type"),
    "channel_mismatch": N_("the rule is for another channel"),
    "complained_about": N_("a complaint about this organization: not sent to it"),
    "outranked": N_("outranked by the chosen rule"),
}


@dataclass(slots=True)
class TableDecision:
    rule: CompiledRule | None
    considered: list[tuple[CompiledRule, str]] = field(default_factory=list)

    def trace(self) -> list[dict[str, Any]]:
        return [{**rule.describe(), "verdict": verdict, "why": translate(VERDICT_TEXT[verdict])}
                for rule, verdict in self.considered]


class RuleIndex:
    """Published rules keyed by (territory id, category id), plus the two trees."""

    def __init__(self, rules: Iterable[CompiledRule],
                 territory_paths: Mapping[int, tuple[int, ...]],
                 category_paths: Mapping[int, tuple[int, ...]],
                 version: tuple[int, int] = (0, 0)) -> None:
        buckets: dict[int, dict[int, list[CompiledRule]]] = {}
        count = 0
        for rule in rules:
            buckets.setdefault(rule.territory_id, {}).setdefault(rule.category_id, []).append(
                rule)
            count += 1
        self._buckets: dict[int, dict[int, tuple[CompiledRule, ...]]] = {
            t: {c: tuple(sorted(group, key=CompiledRule.precedence)) for c, group in by_c.items()}
            for t, by_c in buckets.items()
        }
        self.territory_paths = territory_paths
        self.category_paths = category_paths
        self.version = version
        self.size = count

    def decide(self, *, category_id: int, territory_id: int, applicant_type: str,
               channel: str, on: date, exclude_organization_id: int | None = None,
               only_organization_id: int | None = None) -> TableDecision:
        """Walk the buckets in precedence order; the first applicable rule wins.

        ``only_organization_id`` asks instead whether the table makes that body
        competent here (the widget-target strategy).
        """
        decision = TableDecision(rule=None)
        considered = decision.considered
        categories = self.category_paths.get(category_id, (category_id,))
        for territory in self.territory_paths.get(territory_id, (territory_id,)):
            by_category = self._buckets.get(territory)
            if by_category is None:
                continue
            for category in categories:
                bucket = by_category.get(category)
                if bucket is None:
                    continue
                for rule in bucket:
                    if decision.rule is not None:
                        considered.append((rule, "outranked"))
                        continue
                    if only_organization_id is not None and (
                            rule.organization_id != only_organization_id):
                        continue
                    verdict = rule.miss(applicant_type, channel, on)
                    if verdict is None and rule.organization_id == exclude_organization_id:
                        verdict = "complained_about"
                    if verdict is None:
                        decision.rule = rule
                        verdict = "winner"
                    considered.append((rule, verdict))
                if decision.rule is not None:
                    return decision
        return decision


    def covers(self, *, category_id: int, territory_id: int, on: date) -> bool:
        """Whether some rule in force on ``on`` applies here for some applicant and
        channel (the coverage report's question)."""
        categories = self.category_paths.get(category_id, (category_id,))
        for territory in self.territory_paths.get(territory_id, (territory_id,)):
            by_category = self._buckets.get(territory, {})
            for category in categories:
                for rule in by_category.get(category, ()):
                    if rule.miss(rule.applicant_type or "", rule.channel or "", on) is None:
                        return True
        return False


def tree_paths(rows: Iterable[tuple[int, str]], codes: Mapping[str, int]
               ) -> dict[int, tuple[int, ...]]:
    """id → ancestor ids, most specific first, from materialised code paths."""
    return {
        pk: tuple(codes[code] for code in reversed(path.split(PATH_SEPARATOR)) if code in codes)
        for pk, path in rows
    }


async def compile_rules(query: QuerySet[CompetenceRule]) -> list[CompiledRule]:
    rows = await query.values_list(
        "id", "category_id", "territory_id", "organization_id", "priority", "applicant_type",
        "channel", "valid_from", "valid_to", "organization__ogrn", "territory__code",
        "category__code",
    )
    return [
        CompiledRule(pk, cat, ter, org, prio, _value(atype), _value(chan), vfrom, vto, ogrn,
                     tcode, ccode)
        for pk, cat, ter, org, prio, atype, chan, vfrom, vto, ogrn, tcode, ccode in rows
    ]


async def load_index(version: tuple[int, int]) -> RuleIndex:
    territories = await Territory.all().values_list("id", "code", "path")
    categories = await Category.all().values_list("id", "code", "path")
    territory_codes = {code: pk for pk, code, _ in territories}
    category_codes = {code: pk for pk, code, _ in categories}
    return RuleIndex(
        await compile_rules(CompetenceRule.filter(status=RuleStatus.PUBLISHED)),
        tree_paths(((pk, path) for pk, _, path in territories), territory_codes),
        tree_paths(((pk, path) for pk, _, path in categories), category_codes),
        version,
    )


def _value(raw: Any) -> str | None:
    return None if raw is None else getattr(raw, "value", raw)


class RoutingTable:
    """The process's current index, reloaded when a publish (here or in any other
    process) bumps the rules version, or a new or moved territory or category bumps the
    reference-tree version (the index holds both trees); the versions are re-read at
    most every
    ``check_seconds``."""

    def __init__(self, check_seconds: float = 2.0) -> None:
        self.check_seconds = check_seconds
        self._index: RuleIndex | None = None
        self._checked_at = 0.0

    def invalidate(self) -> None:
        self._checked_at = 0.0

    async def current(self) -> RuleIndex:
        now = time.monotonic()
        if self._index is not None and now - self._checked_at < self.check_seconds:
            return self._index
        version = (await current_version(RULES_VERSION),
                   await current_version(REFERENCE_TREE_VERSION))
        self._checked_at = now
        if self._index is None or self._index.version != version:
            self._index = await load_index(version)
        return self._index


def _windows_overlap(a: CompiledRule, b: CompiledRule) -> bool:
    a_from, a_to = a.valid_from or date.min, a.valid_to or date.max
    b_from, b_to = b.valid_from or date.min, b.valid_to or date.max
    return a_from <= b_to and b_from <= a_to


def _filters_overlap(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def find_ties(rules: Iterable[CompiledRule]) -> list[tuple[CompiledRule, CompiledRule]]:
    """Pairs of rules that no precedence step separates and that can both apply to one
    appeal (overlapping filters and validity windows): a configuration error."""
    groups: dict[tuple[int, int, int, int], list[CompiledRule]] = {}
    for rule in rules:
        key = (rule.territory_id, rule.category_id, rule.priority, rule.specificity)
        groups.setdefault(key, []).append(rule)
    ties = []
    for group in groups.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if (_filters_overlap(a.applicant_type, b.applicant_type)
                        and _filters_overlap(a.channel, b.channel)
                        and _windows_overlap(a, b)):
                    ties.append((a, b))
    return ties
