"""GraphQL types of site widgets and where they are placed; only the widget's keepers
and its territory's auditors see them (``vmeste.platform.widgets.access``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Self

import strawberry
from strawberry import relay

from vmeste.platform.widgets import access, models
from vmeste.platform.widgets.placements import SiteTotals
from vmeste.schema.reference.types import Organization, Territory

WidgetKind = strawberry.enum(models.WidgetKind, name="WidgetKind")
WidgetStatus = strawberry.enum(models.WidgetStatus, name="WidgetStatus")


@strawberry.type(description="A site carrying a widget, with its opens and submissions "
                             "over all days (the origin as the loader reported it).")
class WidgetSite:
    origin: str
    opens: int
    submissions: int
    last_day: date

    @classmethod
    def of(cls, totals: SiteTotals) -> Self:
        return cls(origin=totals.origin, opens=totals.opens, submissions=totals.submissions,
                   last_day=totals.last_day)


@strawberry.type(description="One site's use of a widget on one day.")
class WidgetPlacement:
    origin: str
    day: date
    opens: int
    submissions: int

    @classmethod
    def from_model(cls, row: models.WidgetPlacement) -> Self:
        return cls(origin=row.origin, day=row.day, opens=row.opens,
                   submissions=row.submissions)


@strawberry.type(description="A site widget: the form a body (or a municipality) embeds "
                             "with <script src=\"…/widgets/loader.js\" "
                             "data-widget=\"publicKey\">.")
class Widget(relay.Node):
    id: relay.NodeID[int]
    public_key: str
    kind: WidgetKind  # type: ignore[valid-type]
    title: str
    intro: str
    language: str = strawberry.field(description="ru or en; empty follows the browser.")
    colour: str
    category_codes: list[str]
    allowed_origins: list[str] = strawberry.field(
        description="The sites allowed to frame the widget (CSP frame-ancestors).")
    poll_ids: list[relay.GlobalID] = strawberry.field(
        description="OPINION: the polls chosen; empty: every open poll of the territory.")
    vote_ids: list[relay.GlobalID] = strawberry.field(
        description="OPINION: the votes chosen; empty: every open vote of the territory.")
    status: WidgetStatus  # type: ignore[valid-type]
    created_at: datetime
    row: strawberry.Private[models.Widget]

    @classmethod
    def from_model(cls, row: models.Widget) -> Self:
        return cls(id=row.id, public_key=row.public_key, kind=row.kind, title=row.title,
                   intro=row.intro, language=row.language, colour=row.colour,
                   category_codes=list(row.category_codes),
                   allowed_origins=list(row.allowed_origins),
                   poll_ids=[relay.GlobalID("Poll", str(pk)) for pk in row.poll_ids],
                   vote_ids=[relay.GlobalID("Vote", str(pk)) for pk in row.vote_ids],
                   status=row.status,
                   created_at=row.created_at, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= 2**31 - 1 else -1
               for raw in node_ids]
        found = {r.id: r for r in await models.Widget.filter(
            access.readable(info.context.principal), id__in=ids)}
        return [cls.from_model(found[pk]) if pk in found else None for pk in ids]

    @strawberry.field(description="The body whose site holds it (null: a municipality's).")
    async def organization(self, info: strawberry.Info) -> Organization | None:
        if self.row.organization_id is None:
            return None
        return await info.context.loaders.organization.load(self.row.organization_id)

    @strawberry.field(description="The territory its map shows.")
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.row.territory_id)

    @strawberry.field(description="The sites it was opened on, busiest first.")
    async def sites(self, info: strawberry.Info) -> list[WidgetSite]:
        return [WidgetSite.of(s) for s in await info.context.loaders.widget_sites.load(
            self.row.id)]
