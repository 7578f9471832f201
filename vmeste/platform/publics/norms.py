"""The regional norms the compliance checks measure a page against: the settings-only
``page_compliance`` kind, resolved for the page's territory like any region policy, so
a region may ask for more posts a week than the federal default of three."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vmeste.platform.i18n import _
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.strategies import Mode, StrategyKind

PAGE_COMPLIANCE = "page_compliance"
POSTS_PER_WEEK = "posts_per_week"
WINDOW_DAYS = "window_days"
SNAPSHOT_EVERY_HOURS = "snapshot_every_hours"
DEFAULTS: Mapping[str, int] = {POSTS_PER_WEEK: 3, WINDOW_DAYS: 7, SNAPSHOT_EVERY_HOURS: 24}
_BOUNDS = {POSTS_PER_WEEK: (0, 1000), WINDOW_DAYS: (1, 90), SNAPSHOT_EVERY_HOURS: (1, 24 * 31)}


@dataclass(frozen=True)
class Norms:
    """What a region asks of its pages: ``posts_per_week`` over ``window_days``, and
    how often a page is read again."""

    posts_per_week: int = DEFAULTS[POSTS_PER_WEEK]
    window_days: int = DEFAULTS[WINDOW_DAYS]
    snapshot_every_hours: int = DEFAULTS[SNAPSHOT_EVERY_HOURS]

    @property
    def posts_in_window(self) -> int:
        """The posts the window must hold: the weekly norm scaled to the window."""
        return -(-self.posts_per_week * self.window_days // 7)


def validate_norms(settings: Mapping[str, Any]) -> list[str]:
    problems = []
    for name, (low, high) in _BOUNDS.items():
        value = settings.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.append(_("{name} is an integer from {low} to {high}", name=name,
                              low=low, high=high))
    return problems


PAGE_COMPLIANCE_KIND = StrategyKind(
    name=PAGE_COMPLIANCE,
    description="What a region asks of its official pages: how many posts a week over "
                "how many days, and how often a page is read again.",
    handler=None, mode=Mode.FIRST, defaults=DEFAULTS, validate=validate_norms)


async def norms_for(resolver: PolicyResolver, territory_code: str) -> Norms:
    """The norms of the first strategy in force on the territory (the defaults when a
    region switched them all off)."""
    for strategy in await resolver.resolve(territory_code, PAGE_COMPLIANCE):
        settings = {**DEFAULTS, **strategy.settings}
        return Norms(int(settings[POSTS_PER_WEEK]), int(settings[WINDOW_DAYS]),
                     int(settings[SNAPSHOT_EVERY_HOURS]))
    return Norms()
