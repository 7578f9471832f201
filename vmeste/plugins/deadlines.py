"""Built-in deadline strategies: working days (the default, Decree 1802), calendar days
and working hours. Each takes its N, most specific first, from the policy's
``categories`` (a category code or an ancestor's), then from the category's own
``deadline_policy`` (inherited) when it is of the strategy's unit, then from ``n``.
The shared deadline settings (reminders, pauses, escalation, ``categories``) come from
the kind; these strategies declare only their term ``n``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vmeste.platform.deadlines.clock import (
    MAX_TERM,
    CalendarDays,
    Policy,
    WorkingDays,
    WorkingHours,
    parse_policy,
)
from vmeste.platform.deadlines.policy import DEADLINE, DEADLINE_KIND, DeadlineRequest
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.i18n import N_, _
from vmeste.platform.strategies import ORDER_SETTING, unknown_settings

Unit = type[WorkingDays] | type[CalendarDays] | type[WorkingHours]


def term(request: DeadlineRequest, settings: Mapping[str, Any], unit: Unit) -> int:
    overrides = settings.get("categories", {})
    for code in reversed(request.category_codes):
        if code in overrides:
            return int(overrides[code])
    if request.category_policy:
        policy = parse_policy(request.category_policy)
        if isinstance(policy, unit):
            return policy.n
    return int(settings["n"])


def working_days(request: DeadlineRequest, settings: Mapping[str, Any]) -> Policy:
    return WorkingDays(term(request, settings, WorkingDays))


def calendar_days(request: DeadlineRequest, settings: Mapping[str, Any]) -> Policy:
    return CalendarDays(term(request, settings, CalendarDays))


def working_hours(request: DeadlineRequest, settings: Mapping[str, Any]) -> Policy:
    return WorkingHours(term(request, settings, WorkingHours))


def validate_term(settings: Mapping[str, Any]) -> list[str]:
    problems = unknown_settings(settings, DEADLINE_KIND.defaults, {"n", ORDER_SETTING})
    n = settings["n"]
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_TERM:
        problems.append(_("n is a whole number from 1 to {limit}", limit=MAX_TERM))
    return problems


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    def spec(name: str, description: str, handler: Any, n: int, default: bool = False
             ) -> StrategySpec:
        return StrategySpec(kind=DEADLINE, name=name, description=description,
                            defaults={"n": n}, validate=validate_term, handler=handler,
                            default=default)

    return [
        spec("working-days", N_("Working days by the territory's production calendar, from the "
                                "day after registration (messages, Decree No. 1802)"),
             working_days, 10, default=True),
        spec("calendar-days", N_("Calendar days from the day after registration; a term ending "
                                 "on a non-working day moves to a working one (Civil Code "
                                 "art. 193)"),
             calendar_days, 30),
        spec("working-hours", N_("Working hours on a 9:00–18:00 schedule with lunch, in the "
                                 "territory's time zone (incident SLAs)"), working_hours, 8),
    ]
