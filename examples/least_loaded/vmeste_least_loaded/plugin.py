"""Routing strategy ``least-loaded``.

A region whose social-protection department has district sub-offices wants each new
appeal of some categories to go to the sub-office with the fewest open appeals. A
region policy switches the strategy on where it applies:

    setRegionPolicy(input: {territoryCode: "33000000", kind: "routing",
      plugin: "least-loaded", settings: {parent_ogrn: "…", category_codes: ["social"]}})

A policy at a level replaces the routing chain of the levels above it, so the region's
policies also name the strategies that follow (for example ``competence-table`` and
``moderation-queue``); territories without a policy keep the platform default.
Offices whose territory covers the appeal's territory (or lies inside it) are
preferred; the others are used only when none does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.functions import Count

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
        id=request.complained_organization_id or -1).values_list("id", "ogrn",
                                                                 "territory__path")
    if not offices:
        return StepOutcome(note={"outcome": "у организации нет отделений"})
    local = [office for office in offices if _near(office[2], request.territory_path)]
    candidates = {office_id: ogrn for office_id, ogrn, _ in local or offices}
    counts = dict(await Appeal.filter(organization_id__in=list(candidates), status__in=OPEN)
                  .annotate(open=Count("id")).group_by("organization_id")
                  .values_list("organization_id", "open"))
    loads = sorted((counts.get(pk, 0), ogrn, pk) for pk, ogrn in candidates.items())
    count, ogrn, office_id = loads[0]
    decision = RoutingDecision(organization_id=office_id, fallback=False, strategy="",
                               territory_id=request.territory_id)
    return StepOutcome(decision=decision, note={
        "outcome": f"отделение {ogrn}: открытых обращений {count}",
        "loads": {o: c for c, o, _ in loads}})


def _near(office_path: str, appeal_path: str) -> bool:
    """The office's territory contains the appeal's, or lies inside it."""
    return (appeal_path == office_path or appeal_path.startswith(office_path + "/")
            or office_path.startswith(appeal_path + "/"))


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
