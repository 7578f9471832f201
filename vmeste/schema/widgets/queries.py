"""Reading widgets and their placements (their keepers and their territory's auditors)."""

from __future__ import annotations

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from vmeste.platform.authz import require_authenticated
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.reference.models import within_territory
from vmeste.platform.widgets import access, models
from vmeste.schema.errors import global_pk
from vmeste.schema.pagination import CountedConnection, paginate
from vmeste.schema.widgets.types import Widget, WidgetPlacement


def widget_pk(value: relay.GlobalID, field: str = "id") -> int:
    return global_pk(value, "Widget", field=field, message=_("This is not a widget's id"))


async def widgets_rows(principal: Principal, territory_code: str | None,
                       organization_id: relay.GlobalID | None) -> QuerySet[models.Widget]:
    require_authenticated(principal)
    query = models.Widget.filter(access.readable(principal))
    if territory_code is not None:
        query = query.filter(await within_territory(territory_code, "territory_path"))
    if organization_id is not None:
        query = query.filter(organization_id=global_pk(
            organization_id, "Organization", field="organizationId",
            message=_("This is not an organization's id")))
    return query


@strawberry.type
class WidgetsQuery:
    @strawberry.field(description="A widget by id; null when there is none or the caller "
                                  "may not see it.")
    async def widget(self, info: strawberry.Info, id: relay.GlobalID) -> Widget | None:
        require_authenticated(info.context.principal)
        row = await models.Widget.filter(access.readable(info.context.principal),
                                         id=widget_pk(id)).first()
        return Widget.from_model(row) if row is not None else None

    @strawberry.field(description="The widgets the caller keeps or audits, of a territory "
                                  "and the ones inside it, or of one body.")
    async def widgets(
        self, info: strawberry.Info, territory_code: str | None = None,
        organization_id: relay.GlobalID | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Widget]:
        rows = await widgets_rows(info.context.principal, territory_code, organization_id)
        return await paginate(rows, info=info, convert=Widget.from_model, first=first,
                              after=after, last=last, before=before)

    @strawberry.field(description="A widget's opens and submissions per site and day, "
                                  "oldest first.")
    async def widget_placements(
        self, info: strawberry.Info, widget_id: relay.GlobalID,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[WidgetPlacement]:
        principal = info.context.principal
        require_authenticated(principal)
        pk = widget_pk(widget_id, "widgetId")
        visible = await models.Widget.filter(access.readable(principal), id=pk).exists()
        query = models.WidgetPlacement.filter(widget_id=pk if visible else -1)
        return await paginate(query, info=info, convert=WidgetPlacement.from_model,
                              first=first, after=after, last=last, before=before)
