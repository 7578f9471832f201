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
from vmeste.platform.i18n import N_, _
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
    outcome = (_("rule {rule}", rule=decision.rule_id) if decision
               else _("no rule matched"))
    return StepOutcome(decision=decision, note={"outcome": outcome, "rules": rules})


def widget_target(request: RoutingRequest, settings: Mapping[str, Any],
                  context: RoutingContext) -> StepOutcome:
    target = request.target_organization_id
    if target is None:
        return StepOutcome(note={"outcome": _("the appeal is not from a widget")})
    if target == request.complained_organization_id:
        return StepOutcome(note={"outcome": _(
            "a complaint about the widget's organization: not sent to it")})
    decision, rules = _decide(request, context, only=target)
    if decision is None:
        return StepOutcome(note={"outcome": _(
            "the widget's organization is not competent for the category"),
                                 "rules": rules})
    return StepOutcome(decision=decision, note={
        "outcome": _("the widget's organization is competent (rule {rule})",
                     rule=decision.rule_id),
        "rules": rules})


async def geo_boundary(request: RoutingRequest, settings: Mapping[str, Any],
                       context: RoutingContext) -> StepOutcome:
    if request.point is None:
        return StepOutcome(note={"outcome": _("no point on the map")})
    lat, lon = request.point
    found = await context.boundaries.locate(request.territory_path, lat, lon)
    if found is None:
        return StepOutcome(note={"outcome": _(
            "the point is in no boundary within {territory}",
            territory=request.territory_code)})
    area = found.area
    refined = replace(request, territory_id=area.territory_id, territory_code=area.code,
                      territory_path=area.path)
    note: dict[str, Any] = {"outcome": _("the point is within boundary {code}", code=area.code),
                            "territory_code": area.code}
    if found.also_on_border:
        others = ", ".join(found.also_on_border)
        note["outcome"] = _("the point is on the shared border of {code} and {others}: "
                             "{code} is chosen (of equal levels, the lower code)",
                             code=area.code, others=others)
        note["also_on_border"] = list(found.also_on_border)
    return StepOutcome(request=refined, note=note)


def moderation_queue(request: RoutingRequest, settings: Mapping[str, Any],
                     context: RoutingContext) -> StepOutcome:
    return StepOutcome(decision=queue_decision(request),
                       note={"outcome": _("to the region's moderation queue for manual "
                                          "routing")})


def _validate(settings: Mapping[str, Any]) -> list[str]:
    return unknown_settings(settings, {ORDER_SETTING})


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    def spec(name: str, description: str, handler: Any, order: int) -> StrategySpec:
        return StrategySpec(kind=ROUTING, name=name, description=description,
                            handler=handler, validate=_validate, default=True, order=order)

    return [
        spec("widget-target", N_("To the organization whose site holds the widget, if it "
                                 "is competent for the category"), widget_target, 10),
        spec("geo-boundary", N_("Refine the territory by the point on the map and the "
                                "territories' boundaries"), geo_boundary, 20),
        spec("competence-table", N_("By the competence table"), competence_table, 50),
        spec(FALLBACK_STRATEGY, N_("To the region's moderation queue for manual routing"),
             moderation_queue, 1000),
    ]
