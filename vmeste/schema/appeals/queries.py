"""Reading appeals, competence rules and routing answers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import strawberry
from strawberry import relay
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from vmeste.platform import authz
from vmeste.platform.appeals import access, models
from vmeste.platform.appeals.coverage import coverage
from vmeste.platform.appeals.lifecycle import CLOCK_RUNNING
from vmeste.platform.appeals.router import request_for
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import Role
from vmeste.platform.reference.models import PATH_SEPARATOR, Category, Territory, subtree
from vmeste.schema.appeals import saved
from vmeste.schema.appeals.context import appeal_services
from vmeste.schema.appeals.types import (
    Appeal,
    AppealStatus,
    ApplicantType,
    Channel,
    CompetenceRule,
    CoverageGap,
    RoutingCoverage,
    RoutingSimulation,
    RuleStatus,
)
from vmeste.schema.compiled.declare import rows
from vmeste.schema.context import Context
from vmeste.schema.errors import global_pk
from vmeste.schema.pagination import CountedConnection, paginate

RULE_READERS = (Role.FEDERAL_CONFIGURATOR, Role.REGIONAL_ADMIN, Role.AUDITOR)
COVERAGE_LIMIT = 1000


def appeal_pk(value: relay.GlobalID) -> int:
    return global_pk(value, "Appeal", field="id", message=_("This is not an appeal's id"))


@strawberry.input
class AppealFilter:
    status: list[AppealStatus] | None = None  # type: ignore[valid-type]
    organization_ogrn: str | None = None
    category_code: str | None = strawberry.field(default=None,
                                                 description="A category and its subcategories.")
    territory_code: str | None = strawberry.field(default=None,
                                                  description="A territory and the ones inside it.")
    channel: Channel | None = None  # type: ignore[valid-type]
    overdue: bool | None = strawberry.field(
        default=None, description="true: past their deadline while the clock runs (as "
                                  "deadline.overdue); false: the rest.")


@strawberry.input
class RuleFilter:
    status: RuleStatus | None = None  # type: ignore[valid-type]
    territory_code: str | None = None
    category_code: str | None = None
    organization_ogrn: str | None = None


@strawberry.input
class SimulationInput:
    category_code: str
    territory_code: str
    applicant_type: ApplicantType = models.ApplicantType.PERSON  # type: ignore[valid-type]
    channel: Channel = models.Channel.PORTAL  # type: ignore[valid-type]
    on: date | None = None
    latitude: float | None = None
    longitude: float | None = None
    target_organization_ogrn: str | None = None
    complained_organization_ogrn: str | None = None


async def _path(model: type[Territory] | type[Category], code: str) -> str:
    """The code's path; an unknown code gives a path no row has (the filter then
    matches nothing)."""
    found = await model.filter(code=code).values_list("path", flat=True)
    return found[0] if found else f"{PATH_SEPARATOR}unknown"


def _overdue(overdue: bool, now: datetime) -> Q:
    """Appeals whose running clock is past due (as ``deadline.overdue`` says), or the
    rest, spelled out: a bare NOT would drop rows whose due moment is NULL. A paused
    clock's stored due moment predates the pause, so paused appeals are never late."""
    running = list(CLOCK_RUNNING)
    if overdue:
        return Q(status__in=running, due_at__lt=now)
    return Q(status__not_in=running) | Q(due_at__isnull=True) | Q(due_at__gte=now)


async def my_appeal_rows(context: Context, status: list[models.AppealStatus] | None = None
                         ) -> QuerySet[models.Appeal]:
    user = context.principal.user
    if user is None:
        raise DomainError.of(None, _("Sign in to see your appeals"), ErrorCode.UNAUTHENTICATED)
    query = models.Appeal.filter(applicant_id=user.id)
    return query.filter(status__in=status) if status else query


async def appeal_rows(context: Context, id: relay.GlobalID) -> QuerySet[models.Appeal]:
    return models.Appeal.filter(await access.readable_appeals(context.principal),
                                id=appeal_pk(id))


async def appeals_rows(context: Context, filter: AppealFilter | None = None,
                       saved_filter_id: relay.GlobalID | None = None
                       ) -> QuerySet[models.Appeal]:
    query = models.Appeal.filter(await access.visible_appeals(context.principal))
    if saved_filter_id is not None:
        filter = await saved.applied(context.principal, saved_filter_id, filter, AppealFilter)
    if filter is None:
        return query
    if filter.status:
        query = query.filter(status__in=filter.status)
    if filter.organization_ogrn is not None:
        query = query.filter(organization__ogrn=filter.organization_ogrn)
    if filter.category_code is not None:
        path = await _path(Category, filter.category_code)
        query = query.filter(category_id__in=await Category.filter(
            subtree(path)).values_list("id", flat=True))
    if filter.territory_code is not None:
        query = query.filter(subtree(await _path(Territory, filter.territory_code),
                                     "territory_path"))
    if filter.channel is not None:
        query = query.filter(channel=filter.channel)
    if filter.overdue is not None:
        query = query.filter(_overdue(filter.overdue, datetime.now(UTC)))
    return query


@strawberry.type
class AppealsQuery:
    @strawberry.field(description="The current user's appeals in the order sent (last and before "
                                  "count from the end).",
                      metadata=rows(my_appeal_rows, stable=True))
    async def my_appeals(
        self, info: strawberry.Info, status: list[AppealStatus] | None = None,  # type: ignore[valid-type]
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Appeal]:
        return await paginate(await my_appeal_rows(info.context, status), info=info,
                              convert=Appeal.from_model, first=first, after=after, last=last,
                              before=before)

    @strawberry.field(description="An appeal by id; null when there is none or it is not visible.",
                      metadata=rows(appeal_rows, stable=True))
    async def appeal(self, info: strawberry.Info, id: relay.GlobalID) -> Appeal | None:
        row = await (await appeal_rows(info.context, id)).first()
        return Appeal.from_model(row) if row is not None else None

    @strawberry.field(description="Appeals an employee may see: of their organization and its "
                                  "subordinates, or of their territory (savedFilterId applies a "
                                  "saved filter, which filter's fields override).",
                      metadata=rows(appeals_rows, stable=True,
                                    unless=("filter", "savedFilterId")))
    async def appeals(
        self, info: strawberry.Info, filter: AppealFilter | None = None,
        saved_filter_id: relay.GlobalID | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Appeal]:
        return await paginate(await appeals_rows(info.context, filter, saved_filter_id),
                              info=info,
                              convert=Appeal.from_model, first=first, after=after, last=last,
                              before=before)

    @strawberry.field(description="Competence rules within the caller's authority.")
    async def competence_rules(
        self, info: strawberry.Info, filter: RuleFilter | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[CompetenceRule]:
        scopes = authz.require_any_territory_role(info.context.principal, RULE_READERS)
        visible = Q(id=-1)
        for root in scopes:
            visible |= subtree(root, "territory_path")
        query = models.CompetenceRule.filter(visible)
        if filter is not None:
            if filter.status is not None:
                query = query.filter(status=filter.status)
            if filter.territory_code is not None:
                query = query.filter(territory__code=filter.territory_code)
            if filter.category_code is not None:
                query = query.filter(category__code=filter.category_code)
            if filter.organization_ogrn is not None:
                query = query.filter(organization__ogrn=filter.organization_ogrn)
        return await paginate(query, info=info, convert=CompetenceRule.from_model,
                              first=first, after=after, last=last, before=before)

    @strawberry.field(description="Run routing without creating an appeal.")
    async def simulate_routing(self, info: strawberry.Info, input: SimulationInput
                               ) -> RoutingSimulation:
        request = await request_for(
            category_code=input.category_code, territory_code=input.territory_code,
            applicant_type=input.applicant_type.value, channel=input.channel.value,
            on=input.on or datetime.now(UTC).date(), latitude=input.latitude,
            longitude=input.longitude, target_organization_ogrn=input.target_organization_ogrn,
            complained_organization_ogrn=input.complained_organization_ogrn)
        authz.require_territory(info.context.principal, request.territory_path,
                                (*RULE_READERS, Role.MODERATOR))
        decision = await appeal_services(info).router.route(request)
        return RoutingSimulation(fallback=decision.fallback, strategy=decision.strategy,
                                 rule_id=decision.rule_id, trace=decision.trace,
                                 organization_id=decision.organization_id,
                                 territory_id=decision.territory_id)

    @strawberry.field(description="Category × territory pairs without rules, within a territory.")
    async def routing_coverage(self, info: strawberry.Info, territory_code: str,
                               limit: int = 100) -> RoutingCoverage:
        territory = await Territory.get_or_none(code=territory_code)
        if territory is None:
            raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
        authz.require_territory(info.context.principal, territory.path, RULE_READERS)
        if not 0 <= limit <= COVERAGE_LIMIT:
            raise DomainError.of("limit", _("{name} is from 0 to {limit}", name="limit",
                                            limit=COVERAGE_LIMIT))
        index = await appeal_services(info).router.table.current()
        result = await coverage(index, territory, datetime.now(UTC).date())
        return RoutingCoverage(
            pairs_checked=result.pairs_checked, uncovered_count=len(result.gaps),
            uncovered=[CoverageGap(territory_code=t, territory_name=tn, category_code=c,
                                   category_name=cn) for t, tn, c, cn in result.gaps[:limit]])
