"""Built-in routing strategies. A region's policy picks and orders them; by default
the chain is widget target → geo boundary → competence table → moderation queue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from vmeste.platform.appeals.router import (
    FALLBACK_STRATEGY,
    ROUTING,
    RoutingContext,
    RoutingDecision,
    RoutingRequest,
    StepOutcome,
    queue_decision,
)
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.strategies import ORDER_SETTING, unknown_settings


def _decide(request: RoutingRequest, context: RoutingContext,
            only: int | None = None) -> tuple[RoutingDecision | None, list[dict[str, Any]]]:
    found = context.index.decide(
        category_id=request.category_id, territory_id=request.territory_id,
        applicant_type=request.applicant_type, channel=request.channel, on=request.on,
        exclude_organization_id=request.complained_organization_id,
        only_organization_id=only,
    )
    if found.rule is None:
        return None, found.trace()
    decision = RoutingDecision(organization_id=found.rule.organization_id, fallback=False,
                               strategy="", territory_id=request.territory_id,
                               rule_id=found.rule.id)
    return decision, found.trace()


def competence_table(request: RoutingRequest, settings: Mapping[str, Any],
                     context: RoutingContext) -> StepOutcome:
    decision, rules = _decide(request, context)
    outcome = (f"правило {decision.rule_id}" if decision else "ни одно правило не подошло")
    return StepOutcome(decision=decision, note={"outcome": outcome, "rules": rules})


def widget_target(request: RoutingRequest, settings: Mapping[str, Any],
                  context: RoutingContext) -> StepOutcome:
    target = request.target_organization_id
    if target is None:
        return StepOutcome(note={"outcome": "обращение не из виджета"})
    if target == request.complained_organization_id:
        return StepOutcome(note={"outcome": "жалоба на организацию виджета: ей не направляется"})
    decision, rules = _decide(request, context, only=target)
    if decision is None:
        return StepOutcome(note={"outcome": "организация виджета не компетентна по рубрике",
                                 "rules": rules})
    return StepOutcome(decision=decision, note={
        "outcome": f"организация виджета компетентна (правило {decision.rule_id})",
        "rules": rules})


async def geo_boundary(request: RoutingRequest, settings: Mapping[str, Any],
                       context: RoutingContext) -> StepOutcome:
    if request.point is None:
        return StepOutcome(note={"outcome": "точка на карте не указана"})
    lat, lon = request.point
    found = await context.boundaries.locate(request.territory_path, lat, lon)
    if found is None:
        return StepOutcome(note={"outcome": "точка не попала ни в одну границу внутри "
                                            f"{request.territory_code}"})
    area = found.area
    refined = replace(request, territory_id=area.territory_id, territory_code=area.code,
                      territory_path=area.path)
    note: dict[str, Any] = {"outcome": f"точка внутри границы {area.code}",
                            "territory_code": area.code}
    if found.also_on_border:
        others = ", ".join(found.also_on_border)
        note["outcome"] = (f"точка на общей границе {area.code} и {others}: выбрана "
                           f"{area.code} (из равных по уровню — с меньшим кодом)")
        note["also_on_border"] = list(found.also_on_border)
    return StepOutcome(request=refined, note=note)


def moderation_queue(request: RoutingRequest, settings: Mapping[str, Any],
                     context: RoutingContext) -> StepOutcome:
    return StepOutcome(decision=queue_decision(request),
                       note={"outcome": "в очередь модерации региона для ручной маршрутизации"})


def _validate(settings: Mapping[str, Any]) -> list[str]:
    return unknown_settings(settings, {ORDER_SETTING})


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    def spec(name: str, description: str, handler: Any, order: int) -> StrategySpec:
        return StrategySpec(kind=ROUTING, name=name, description=description,
                            handler=handler, validate=_validate, default=True, order=order)

    return [
        spec("widget-target", "В организацию, на сайте которой размещён виджет, если она "
             "компетентна по рубрике", widget_target, 10),
        spec("geo-boundary", "Уточнить территорию по точке на карте и границам территорий",
             geo_boundary, 20),
        spec("competence-table", "По таблице компетенций", competence_table, 50),
        spec(FALLBACK_STRATEGY, "В очередь модерации региона для ручной маршрутизации",
             moderation_queue, 1000),
    ]
