"""What a region asks of its incident handling: the settings-only ``incident_sla`` kind,
resolved for the incident's territory like any region policy (municipality → region →
country), so a region may promise a faster first reaction than the federal default.

The terms are working hours (first reaction, answer) and working days (the full answer
after an interim one) on the production calendar of the territory (DESIGN §5:
typically 1–3 hours to react, 8 working hours to answer, 7 working days after an
interim answer). The same settings hold how posts are merged into one incident, how
long the author is given to score an answer, which score sends it back, and which
rubricator category each topic is routed as.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vmeste.platform.i18n import N_, _
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.strategies import Mode, StrategyKind

INCIDENT_SLA = "incident_sla"
#: Each integer setting's default and bounds.
_INTEGERS: Mapping[str, tuple[int, int, int]] = {
    "reaction_hours": (2, 1, 72),
    "answer_hours": (8, 1, 720),
    "interim_days": (7, 1, 60),
    "escalation_grace_hours": (0, 0, 720),
    "satisfaction_wait_hours": (72, 1, 720),
    "low_score": (2, 1, 4),
    "merge_window_hours": (48, 1, 720),
    "merge_similarity": (55, 0, 100),
}
DEFAULTS: Mapping[str, Any] = {
    **{name: default for name, (default, _low, _high) in _INTEGERS.items()},
    "reminders": [0.5, 0.8],
    "topic_categories": {},
}


@dataclass(frozen=True)
class IncidentPolicy:
    """A territory's incident settings (see the module's docstring)."""

    reaction_hours: int = DEFAULTS["reaction_hours"]
    answer_hours: int = DEFAULTS["answer_hours"]
    interim_days: int = DEFAULTS["interim_days"]
    escalation_grace_hours: int = DEFAULTS["escalation_grace_hours"]
    satisfaction_wait_hours: int = DEFAULTS["satisfaction_wait_hours"]
    low_score: int = DEFAULTS["low_score"]
    merge_window_hours: int = DEFAULTS["merge_window_hours"]
    merge_similarity: int = DEFAULTS["merge_similarity"]
    #: Fractions of a term at which its reminders go out.
    reminders: tuple[float, ...] = (0.5, 0.8)
    #: The rubricator category code a topic is routed as (topic code → category code).
    topic_categories: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> IncidentPolicy:
        merged = {**DEFAULTS, **settings}
        return cls(**{name: int(merged[name]) for name in _INTEGERS},
                   reminders=tuple(float(f) for f in merged["reminders"]),
                   topic_categories=dict(merged["topic_categories"]))


def validate_policy(settings: Mapping[str, Any]) -> list[str]:
    problems = []
    for name, (_default, low, high) in _INTEGERS.items():
        value = settings.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.append(_("{name} is an integer from {low} to {high}", name=name,
                              low=low, high=high))
    reminders = settings.get("reminders")
    if not isinstance(reminders, list) or not all(
            isinstance(f, int | float) and not isinstance(f, bool) and 0 < f < 1
            for f in reminders):
        problems.append(_("{name} is a list of fractions of the term, each above 0 and below 1",
                          name="reminders"))
    categories = settings.get("topic_categories")
    if not isinstance(categories, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in categories.items()):
        problems.append(_("topic_categories is an object «topic code: category code»"))
    return problems


INCIDENT_SLA_KIND = StrategyKind(
    name=INCIDENT_SLA,
    description="How a territory handles social-media incidents: the SLA terms in working "
                "hours, reminders and escalation, the satisfaction follow-up, merging, and "
                "the category each topic is routed as.",
    handler=None, mode=Mode.FIRST, defaults=DEFAULTS, validate=validate_policy)

#: The built-in strategy's description (registered by the component).
STANDARD_DESCRIPTION = N_("Two working hours to react, eight to answer, seven working days "
                          "after an interim answer")


async def policy_for(resolver: PolicyResolver, territory_code: str) -> IncidentPolicy:
    """The settings of the first strategy in force on the territory (the defaults when a
    region switched them all off)."""
    for strategy in await resolver.resolve(territory_code, INCIDENT_SLA):
        return IncidentPolicy.of(strategy.settings)
    return IncidentPolicy()
