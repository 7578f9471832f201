"""Reading official pages, the rules, the shares and a page's history (everyone may)."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from vmeste.platform.i18n import _
from vmeste.platform.publics import models
from vmeste.platform.publics.compliance_rules import RULES
from vmeste.platform.publics.shares import compliance_shares
from vmeste.platform.reference.models import within_territory
from vmeste.schema.errors import global_pk
from vmeste.schema.pagination import CountedConnection, paginate
from vmeste.schema.publics.types import (
    ComplianceCheck,
    ComplianceRule,
    ComplianceShare,
    OfficialPage,
    PageStatus,
)


def page_pk(value: relay.GlobalID, field: str = "id") -> int:
    return global_pk(value, "OfficialPage", field=field,
                     message=_("This is not an official page's id"))


async def pages_rows(territory_code: str | None, network: str | None,
                     status: models.PageStatus | None) -> QuerySet[models.OfficialPage]:
    query = models.OfficialPage.all()
    if territory_code is not None:
        query = query.filter(await within_territory(territory_code, "territory_path"))
    if network is not None:
        query = query.filter(network=network)
    if status is not None:
        query = query.filter(status=status)
    return query


@strawberry.type
class PublicsQuery:
    @strawberry.field(description="An official page by id.")
    async def official_page(self, id: relay.GlobalID) -> OfficialPage | None:
        row = await models.OfficialPage.get_or_none(id=page_pk(id))
        return OfficialPage.from_model(row) if row is not None else None

    @strawberry.field(description="The registry of official pages, of a territory and the "
                                  "ones inside it.")
    async def official_pages(
        self, info: strawberry.Info, territory_code: str | None = None,
        network: str | None = None,
        status: PageStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[OfficialPage]:
        wanted = models.PageStatus(status) if status is not None else None
        return await paginate(await pages_rows(territory_code, network, wanted), info=info,
                              convert=OfficialPage.from_model, first=first, after=after,
                              last=last, before=before)

    @strawberry.field(description="The compliance rules in their current versions.")
    def compliance_rules(self) -> list[ComplianceRule]:
        return [ComplianceRule.of(rule) for rule in RULES]

    @strawberry.field(description="The compliance shares of a region and of each territory "
                                  "right below it (the country and its regions without "
                                  "one), on each page's latest snapshot on or before on.")
    async def compliance_shares(self, region_code: str | None = None,
                                on: date | None = None) -> list[ComplianceShare]:
        return [ComplianceShare(territory_code=s.territory_code, rule_code=s.rule_code,
                                pages=s.pages, passing=s.passing, share=s.share)
                for s in await compliance_shares(region_code, on)]

    @strawberry.field(description="Every result of a page, oldest first (of one rule).")
    async def page_compliance_history(
        self, info: strawberry.Info, page_id: relay.GlobalID, rule_code: str | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[ComplianceCheck]:
        query = models.ComplianceResult.filter(page_id=page_pk(page_id, "pageId"))
        if rule_code is not None:
            query = query.filter(rule_code=rule_code)
        return await paginate(query, info=info, convert=ComplianceCheck.from_model,
                              first=first, after=after, last=last, before=before)
