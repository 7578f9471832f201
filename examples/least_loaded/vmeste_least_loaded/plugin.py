"""Routing strategy ``least-loaded``.

A region whose social-protection department has district sub-offices wants each new
appeal of some categories to go to the sub-office with the fewest open appeals. A
region policy switches the strategy on where it applies:

    setRegionPolicy(input: {territoryCode: "33000000", kind: "routing",
      plugin: "least-loaded", settings: {parent_ogrn: "…", category_codes: ["social"]}})

Everything else (and every territory without the policy) routes as before: the policy
also names the strategies that follow it, or the region keeps its current chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vmeste.platform.appeals.models import Appeal, AppealStatus
from vmeste.platform.appeals.router import (
    ROUTING,
    RoutingContext,
    RoutingDecision,
    RoutingRequest,
    StepOutcome,
)
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.reference.models import Category, Organization

OPEN = [AppealStatus.ROUTED, AppealStatus.IN_PROGRESS, AppealStatus.CLARIFICATION_REQUESTED]


async def least_loaded(request: RoutingRequest, settings: Mapping[str, Any],
                       context: RoutingContext) -> StepOutcome:
    path = await Category.filter(id=request.category_id).values_list("path", flat=True)
    codes = set(path[0].split("/")) if path else set()
    if not codes & set(settings["category_codes"]):
        return StepOutcome(note={"outcome": "рубрика не распределяется по отделениям"})
    offices = await Organization.filter(parent__ogrn=settings["parent_ogrn"]).exclude(
        id=request.complained_organization_id or -1).values_list("id", "ogrn")
    if not offices:
        return StepOutcome(note={"outcome": "у организации нет отделений"})
    loads = []
    for office_id, ogrn in offices:
        count = await Appeal.filter(organization_id=office_id, status__in=OPEN).count()
        loads.append((count, ogrn, office_id))
    count, ogrn, office_id = min(loads)
    decision = RoutingDecision(organization_id=office_id, fallback=False, strategy="",
                               territory_id=request.territory_id)
    return StepOutcome(decision=decision, note={
        "outcome": f"отделение {ogrn}: открытых обращений {count}",
        "loads": {o: c for c, o, _ in loads}})


def validate(settings: Mapping[str, Any]) -> list[str]:
    problems = []
    if not isinstance(settings.get("parent_ogrn"), str):
        problems.append("parent_ogrn — ОГРН организации, чьи отделения принимают обращения")
    codes = settings.get("category_codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        problems.append("category_codes — непустой список кодов рубрик")
    return problems


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [StrategySpec(
        kind=ROUTING, name="least-loaded",
        description="В наименее загруженное отделение организации (по выбранным рубрикам)",
        defaults={"category_codes": []}, validate=validate, handler=least_loaded, order=40)]
