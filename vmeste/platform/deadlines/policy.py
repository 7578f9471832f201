"""Which deadline policy applies: the region policy's strategy.

A subject (an appeal, a hearing's stage, an incident) gets what its territory's region
policy of kind ``deadline`` picks: the strategy's handler turns the subject's kind, its
category and the strategy's settings into a policy. A component whose subject has a
term fixed by law (59-ФЗ for formal appeals) applies it itself and still reads the
strategy's settings. The same settings hold what the watchdog needs (reminder
fractions, the pause timeout, the escalation grace), so one region policy governs a
territory's whole clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from vmeste.platform.deadlines.clock import MAX_TERM, Policy, WorkingDays
from vmeste.platform.hookspecs import StrategySpec
from vmeste.platform.i18n import _
from vmeste.platform.plugins import await_me_maybe
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.strategies import Mode, StrategyKind

DEADLINE = "deadline"
#: Government Decree 1802: a platform message is answered within ten working days.
DEFAULT_POLICY = WorkingDays(10)
#: What every deadline strategy's settings hold, with the platform's defaults: the
#: deadline kind's shared settings, merged under each strategy's own by the platform.
COMMON_DEFAULTS: Mapping[str, Any] = {
    "categories": {},
    "reminders": [0.5, 0.8],
    "clarification_timeout_days": 30,
    "clarification_reminders": [0.5, 0.8],
    "escalation_grace_hours": 0,
}
_LIMITS = {"clarification_timeout_days": (1, 365), "escalation_grace_hours": (0, 24 * 365)}


@dataclass(frozen=True)
class DeadlineRequest:
    """What a deadline strategy decides on."""

    #: The kind of subject the term is for: "appeal", "hearing", …
    subject_type: str
    territory_code: str
    #: The category and its ancestors' codes, root first.
    category_codes: tuple[str, ...]
    #: The category's deadline_policy, inherited from the nearest ancestor that has one.
    category_policy: str | None


@dataclass(frozen=True)
class DeadlineRules:
    """The policy an item gets, and the settings of the strategy that chose it."""

    policy: Policy
    strategy: str
    settings: Mapping[str, Any]


def validate_settings(settings: Mapping[str, Any]) -> list[str]:
    """Problems with the shared settings of a deadline strategy (merged over
    ``COMMON_DEFAULTS``), in the current locale, for setRegionPolicy."""
    problems = []
    for name, (low, high) in _LIMITS.items():
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(_("{name} is a whole number from {low} to {high}", name=name,
                              low=low, high=high))
    for name in ("reminders", "clarification_reminders"):
        value = settings[name]
        if not isinstance(value, list) or not all(
                isinstance(f, int | float) and not isinstance(f, bool) and 0 < f < 1
                for f in value):
            problems.append(_("{name} is a list of fractions of the term, each above 0 and below 1",
                              name=name))
    categories = settings["categories"]
    if not isinstance(categories, dict) or not all(
            isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_TERM
            for n in categories.values()):
        problems.append(_("categories is an object «category code: a term from 1 to {limit}»",
                          limit=MAX_TERM))
    return problems


class DeadlineHandler(Protocol):
    """Turns an item's category and the strategy's settings into its deadline policy."""

    def __call__(self, request: DeadlineRequest, settings: Mapping[str, Any], /
                 ) -> Policy | Awaitable[Policy]: ...


DEADLINE_KIND = StrategyKind(
    name=DEADLINE,
    description="Answer deadlines of platform messages: the first active strategy by "
                "order sets the term; its settings also drive the watchdog's reminders, "
                "clarification timeout and escalation.",
    handler=DeadlineHandler, mode=Mode.FIRST, defaults=COMMON_DEFAULTS,
    validate=validate_settings)


class DeadlineChooser:
    """Resolves a territory's deadline strategy and asks it for the policy."""

    def __init__(self, resolver: PolicyResolver) -> None:
        self.resolver = resolver

    async def strategy(self, territory_code: str
                       ) -> tuple[StrategySpec | None, Mapping[str, Any]]:
        """The territory's deadline strategy (the first by order) and its settings; no
        strategy and the platform's defaults when a policy switched every one off."""
        chain = await self.resolver.chain(territory_code, DEADLINE)
        if not chain:
            return None, COMMON_DEFAULTS
        strategy, spec = chain[0]
        return spec, strategy.settings

    async def rules(self, request: DeadlineRequest) -> DeadlineRules:
        spec, settings = await self.strategy(request.territory_code)
        if spec is None:
            return DeadlineRules(DEFAULT_POLICY, "", settings)
        assert spec.handler is not None, f"deadline strategy {spec.name} has no handler"
        return DeadlineRules(await await_me_maybe(spec.handler(request, settings)), spec.name,
                             settings)
