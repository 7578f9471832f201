"""The routing chain: the strategies a territory's region policy picked, in order.

Each strategy may decide (a body, or the region's moderation queue), refine the request
(the geo strategy replaces the territory by the one whose boundary holds the point),
or pass. The chain always ends in the moderation queue, so an appeal is never lost for
want of a rule; every step is written into the trace.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Protocol

from vmeste.platform.appeals.geo import BoundaryIndex
from vmeste.platform.appeals.routing import RoutingTable, RuleIndex
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.plugins import await_me_maybe
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.reference.models import Category, Organization, Territory
from vmeste.platform.strategies import Mode, StrategyKind

ROUTING = "routing"
FALLBACK_STRATEGY = "moderation-queue"


@dataclass(frozen=True)
class RoutingRequest:
    category_id: int
    territory_id: int
    territory_code: str
    territory_path: str
    applicant_type: str
    channel: str
    on: date
    #: (latitude, longitude)
    point: tuple[float, float] | None = None
    target_organization_id: int | None = None
    complained_organization_id: int | None = None


@dataclass
class RoutingDecision:
    organization_id: int | None
    fallback: bool
    strategy: str
    #: The territory the decision was made for (the geo strategy may refine it).
    territory_id: int
    rule_id: int | None = None
    trace: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class StepOutcome:
    """What a routing strategy did: decided, refined the request, or neither."""

    decision: RoutingDecision | None = None
    request: RoutingRequest | None = None
    note: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RoutingContext:
    index: RuleIndex
    boundaries: BoundaryIndex


class RoutingHandler(Protocol):
    """One step of the routing chain: decide (a body or the moderation queue), refine
    the request for the steps after it, or pass."""

    def __call__(self, request: RoutingRequest, settings: Mapping[str, Any],
                 context: RoutingContext, /) -> StepOutcome | Awaitable[StepOutcome]: ...


ROUTING_KIND = StrategyKind(
    name=ROUTING,
    description="Routing chain: which body an appeal goes to. Strategies run by order "
                "until one decides; the region's moderation queue ends every chain.",
    handler=RoutingHandler, mode=Mode.CHAIN)


class Router:
    def __init__(self, resolver: PolicyResolver, table: RoutingTable,
                 boundaries: BoundaryIndex) -> None:
        self.resolver = resolver
        self.table = table
        self.boundaries = boundaries

    @classmethod
    def cached(cls, resolver: PolicyResolver, check_seconds: float) -> Router:
        """A router whose rule table and boundaries are re-read when their versions
        change, checked every ``check_seconds`` (appeals and incidents each keep one)."""
        return cls(resolver, RoutingTable(check_seconds=check_seconds),
                   BoundaryIndex(check_seconds))

    async def chain(self, territory_code: str) -> list[tuple[str, Any, Mapping[str, Any]]]:
        """(name, handler, settings) of the territory's routing strategies, in order."""
        return [(strategy.plugin, spec.handler, strategy.settings)
                for strategy, spec in await self.resolver.chain(territory_code, ROUTING)]

    async def route(self, request: RoutingRequest) -> RoutingDecision:
        context = RoutingContext(index=await self.table.current(), boundaries=self.boundaries)
        trace: list[dict[str, Any]] = []
        for name, handler, settings in await self.chain(request.territory_code):
            outcome: StepOutcome = await await_me_maybe(handler(request, settings, context))
            trace.append({"strategy": name, **outcome.note})
            if outcome.request is not None:
                request = outcome.request
            if outcome.decision is not None:
                decision = outcome.decision
                decision.trace = trace
                return replace(decision, strategy=name)
        trace.append({"strategy": FALLBACK_STRATEGY,
                      "outcome": "no strategy decided; the region's moderation queue"})
        return queue_decision(request, trace)


def queue_decision(request: RoutingRequest, trace: list[dict[str, Any]] | None = None
                   ) -> RoutingDecision:
    """To the region's moderation queue, for a moderator to route by hand."""
    return RoutingDecision(organization_id=None, fallback=True, strategy=FALLBACK_STRATEGY,
                           territory_id=request.territory_id, trace=trace or [])


async def request_for(*, category_code: str, territory_code: str, applicant_type: str,
                      channel: str, on: date, latitude: float | None = None,
                      longitude: float | None = None, target_organization_ogrn: str | None = None,
                      complained_organization_ogrn: str | None = None) -> RoutingRequest:
    """A routing request from codes, as ``simulateRouting`` and ``vmeste route`` take it."""
    category = await Category.get_or_none(code=category_code)
    territory = await Territory.get_or_none(code=territory_code)
    if category is None:
        raise DomainError.of("categoryCode", _("Category not found"), ErrorCode.NOT_FOUND)
    if territory is None:
        raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
    ids: dict[str, int] = {}
    for name, ogrn in (("target", target_organization_ogrn),
                       ("complained", complained_organization_ogrn)):
        if ogrn:
            found = await Organization.filter(ogrn=ogrn).values_list("id", flat=True)
            if not found:
                raise DomainError.of(f"{name}OrganizationOgrn", _("Organization not found"),
                                     ErrorCode.NOT_FOUND)
            ids[name] = found[0]
    point = (latitude, longitude) if latitude is not None and longitude is not None else None
    return RoutingRequest(
        category_id=category.id, territory_id=territory.id, territory_code=territory.code,
        territory_path=territory.path, applicant_type=applicant_type, channel=channel, on=on,
        point=point, target_organization_id=ids.get("target"),
        complained_organization_id=ids.get("complained"))
