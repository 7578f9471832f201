"""Publics' part of the schema: official pages and their compliance."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from vmeste.platform.publics.models import ComplianceResult
from vmeste.platform.publics.shares import latest_checks
from vmeste.schema.parts import SchemaPart
from vmeste.schema.publics.mutations import PublicsMutation
from vmeste.schema.publics.queries import PublicsQuery
from vmeste.schema.publics.types import OfficialPage, PageDeclaration, PageSnapshot


def _page_checks() -> DataLoader[int, dict[str, ComplianceResult]]:
    """Each page's latest results by rule, for a page of pages in two queries."""
    async def load(ids: Sequence[int]) -> list[dict[str, ComplianceResult]]:
        found = await latest_checks(list(ids))
        return [found.get(pk, {}) for pk in ids]

    return DataLoader(load_fn=load)


SCHEMA = SchemaPart(name="publics", query=PublicsQuery, mutation=PublicsMutation,
                    loaders={"page_checks": _page_checks},
                    types=(OfficialPage, PageSnapshot, PageDeclaration))
