"""Routing decisions per second from the compiled competence table.

Builds a synthetic country (85 regions, ~2.5k municipalities, ~25k settlements), a
300-category rubricator and 200k organizations, then 1k, 10k and 100k rules. Each size
is measured two ways in the same run: the RuleIndex the platform uses, and a naive
scan over every rule applying the same precedence. Prints decisions per second, the
ratio index/scan, and how the cost per decision grows from 1k to 100k rules.

Targets (issue 3): >= 100k decisions/s at 100k rules on one core; cost per decision
grows at most 2x from 1k to 100k rules.

    python bench/routing.py [--decisions 200000]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date

from vmeste.platform.appeals.routing import CompiledRule, RuleIndex

REGIONS, MUNICIPALITIES, SETTLEMENTS = 85, 30, 10
ORGANIZATIONS = 200_000
CATEGORY_GROUPS, SUBCATEGORIES = 30, 9
CHANNELS = ("portal", "widget", "app", "operator")
TODAY = date(2026, 11, 28)


def build_trees() -> tuple[dict[int, tuple[int, ...]], dict[int, tuple[int, ...]],
                           list[int], list[int], list[int]]:
    territory_paths: dict[int, tuple[int, ...]] = {1: (1,)}
    next_id = 2
    scopes, settlements = [], []
    for _ in range(REGIONS):
        region = next_id
        next_id += 1
        territory_paths[region] = (region, 1)
        scopes.append(region)
        for _ in range(MUNICIPALITIES):
            municipality = next_id
            next_id += 1
            territory_paths[municipality] = (municipality, region, 1)
            scopes.append(municipality)
            for _ in range(SETTLEMENTS):
                settlement = next_id
                next_id += 1
                territory_paths[settlement] = (settlement, municipality, region, 1)
                settlements.append(settlement)
    category_paths: dict[int, tuple[int, ...]] = {}
    leaves, next_id = [], 1
    for _ in range(CATEGORY_GROUPS):
        group = next_id
        next_id += 1
        category_paths[group] = (group,)
        for _ in range(SUBCATEGORIES):
            leaf = next_id
            next_id += 1
            category_paths[leaf] = (leaf, group)
            leaves.append(leaf)
    return territory_paths, category_paths, scopes, settlements, leaves


def build_rules(count: int, rng: random.Random, scopes: list[int],
                category_paths: dict[int, tuple[int, ...]]) -> list[CompiledRule]:
    """A country-wide rule per category group (so every appeal finds a body, as in a
    configured country), then distinct (territory, category, priority) triples, so no
    two rules tie."""
    categories = list(category_paths)
    groups = [c for c, path in category_paths.items() if len(path) == 1]
    seen: set[tuple[int, int, int]] = {(1, group, 0) for group in groups}
    rules = [CompiledRule(i + 1, group, 1, i + 1, 0, None, None, None, None)
             for i, group in enumerate(groups)]
    while len(rules) < count:
        key = (rng.choice(scopes), rng.choice(categories), rng.randrange(3))
        if key in seen:
            continue
        seen.add(key)
        channel = rng.choice(CHANNELS) if rng.random() < 0.1 else None
        valid_to = date(2026, 1, 1) if rng.random() < 0.05 else None
        rules.append(CompiledRule(len(rules) + 1, key[1], key[0],
                                  rng.randrange(1, ORGANIZATIONS + 1), key[2], None, channel,
                                  None, valid_to))
    return rules


def naive(rules: list[CompiledRule], territory_paths: dict[int, tuple[int, ...]],
          category_paths: dict[int, tuple[int, ...]], territory: int, category: int,
          channel: str) -> CompiledRule | None:
    t_depth = {t: -i for i, t in enumerate(territory_paths[territory])}
    c_depth = {c: -i for i, c in enumerate(category_paths[category])}
    best, best_key = None, None
    for rule in rules:
        if rule.territory_id not in t_depth or rule.category_id not in c_depth:
            continue
        if rule.miss("person", channel, TODAY) is not None:
            continue
        key = (t_depth[rule.territory_id], c_depth[rule.category_id], rule.priority,
               rule.specificity, -rule.id)
        if best_key is None or key > best_key:
            best, best_key = rule, key
    return best


def measure(fn, requests) -> float:
    start = time.perf_counter()
    for request in requests:
        fn(*request)
    return len(requests) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--naive-decisions", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)
    territory_paths, category_paths, scopes, settlements, leaves = build_trees()
    requests = [(rng.choice(settlements), rng.choice(leaves), rng.choice(CHANNELS))
                for _ in range(args.decisions)]
    print(f"territories {len(territory_paths)}, categories {len(category_paths)}, "
          f"organizations {ORGANIZATIONS}")
    per_decision = {}
    for size in (1_000, 10_000, 100_000):
        rules = build_rules(size, rng, scopes, category_paths)
        index = RuleIndex(rules, territory_paths, category_paths)

        def decide(territory: int, category: int, channel: str, index=index) -> object:
            return index.decide(category_id=category, territory_id=territory,
                                applicant_type="person", channel=channel, on=TODAY).rule

        def scan(territory: int, category: int, channel: str, rules=rules) -> object:
            return naive(rules, territory_paths, category_paths, territory, category, channel)

        sample = requests[:args.naive_decisions]
        mismatches = sum(decide(*r) != scan(*r) for r in sample)
        fast = measure(decide, requests)
        slow = measure(scan, sample)
        per_decision[size] = 1 / fast
        routed = sum(decide(*r) is not None for r in sample) / len(sample)
        print(f"rules {size:>7}: index {fast:>10,.0f}/s   naive scan {slow:>9,.0f}/s   "
              f"ratio {fast / slow:>8,.0f}x   routed {routed:.0%}   "
              f"disagreements {mismatches}")
    growth = per_decision[100_000] / per_decision[1_000]
    print(f"cost per decision, 100k rules vs 1k rules: {growth:.2f}x (target <= 2x)")
    print(f"decisions/s at 100k rules: {1 / per_decision[100_000]:,.0f} (target >= 100,000)")


if __name__ == "__main__":
    main()
