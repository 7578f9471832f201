"""Widgets' part of the schema: their configuration and their placements."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from vmeste.platform.widgets.placements import SiteTotals, site_totals
from vmeste.schema.parts import SchemaPart
from vmeste.schema.widgets.mutations import WidgetsMutation
from vmeste.schema.widgets.queries import WidgetsQuery
from vmeste.schema.widgets.types import Widget, WidgetPlacement, WidgetSite


def _widget_sites() -> DataLoader[int, list[SiteTotals]]:
    """Each widget's sites with their totals, for a page of widgets in one query."""
    async def load(ids: Sequence[int]) -> list[list[SiteTotals]]:
        found = await site_totals(list(ids))
        return [found.get(pk, []) for pk in ids]

    return DataLoader(load_fn=load)


SCHEMA = SchemaPart(name="widgets", query=WidgetsQuery, mutation=WidgetsMutation,
                    loaders={"widget_sites": _widget_sites},
                    types=(Widget, WidgetSite, WidgetPlacement))
