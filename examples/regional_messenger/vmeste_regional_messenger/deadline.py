"""Deadline strategy ``urgent-categories``: an outage is answered within hours, not days.

Categories listed in ``urgent_hours`` (a category code, applied to it and its
subcategories: ``{"utilities.outage": 24}``) get that many working hours; every other
category gets ``n`` working days, or what the kind's shared ``categories`` setting
says for it. The strategy declares only its own settings: reminders, the clarification
timeout and the escalation grace are the deadline kind's shared settings, merged under
these by the platform and read by its watchdog.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vmeste.platform.deadlines.clock import MAX_TERM, Policy, WorkingDays, WorkingHours
from vmeste.platform.deadlines.policy import DEADLINE, DEADLINE_KIND, DeadlineRequest
from vmeste.platform.hookspecs import StrategySpec
from vmeste.platform.strategies import ORDER_SETTING, unknown_settings

NAME = "urgent-categories"
DEFAULTS: Mapping[str, Any] = {"urgent_hours": {}, "n": 10}


def most_specific(codes: Sequence[str], terms: Mapping[str, int]) -> int | None:
    """The term set for the deepest of ``codes`` (root first) that ``terms`` names."""
    return next((int(terms[code]) for code in reversed(codes) if code in terms), None)


def urgent_categories(request: DeadlineRequest, settings: Mapping[str, Any]) -> Policy:
    hours = most_specific(request.category_codes, settings["urgent_hours"])
    if hours is not None:
        return WorkingHours(hours)
    days = most_specific(request.category_codes, settings["categories"])
    return WorkingDays(days if days is not None else settings["n"])


def _term(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_TERM


def validate(settings: Mapping[str, Any]) -> list[str]:
    problems = unknown_settings(settings, DEADLINE_KIND.defaults, DEFAULTS, {ORDER_SETTING})
    urgent = settings["urgent_hours"]
    if not isinstance(urgent, dict) or not all(
            isinstance(code, str) and _term(hours) for code, hours in urgent.items()):
        problems.append(f"urgent_hours — объект «код рубрики: рабочих часов от 1 до "
                        f"{MAX_TERM}»")
    if not _term(settings["n"]):
        problems.append(f"n — срок в рабочих днях для остальных рубрик, целое число от 1 до "
                        f"{MAX_TERM}")
    return problems


STRATEGY = StrategySpec(
    kind=DEADLINE, name=NAME,
    description="Срочные рубрики — в рабочих часах (аварии), остальные — в рабочих днях",
    defaults=DEFAULTS, validate=validate, handler=urgent_categories)
