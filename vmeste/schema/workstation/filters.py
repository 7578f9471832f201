"""Saved filters over the appeals connection: ``savedAppealFilters``,
``saveAppealFilter`` and ``deleteAppealFilter`` (applied by
``appeals(savedFilterId:)``, :mod:`vmeste.schema.appeals.saved`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay

from vmeste.platform.appeals import desk_models, saved_filters
from vmeste.schema.appeals.queries import AppealFilter
from vmeste.schema.appeals.saved import filter_pk, restored, stored
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.pagination import CountedConnection, paginate
from vmeste.schema.reference.types import Organization


def _check(value: AppealFilter) -> dict[str, Any]:
    arguments = stored(value)
    restored(AppealFilter, arguments, "filter")  # what is saved must apply
    return arguments


@strawberry.type(description="A named filter over the appeals connection.")
class SavedAppealFilter(relay.Node):
    id: relay.NodeID[int]
    name: str
    filter: strawberry.scalars.JSON = strawberry.field(
        description="The appeals connection's filter argument, as saved.")
    mine: bool
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[desk_models.SavedFilter]

    @classmethod
    def from_model(cls, row: desk_models.SavedFilter, user_id: int | None) -> Self:
        return cls(id=row.id, name=row.name, filter=row.arguments, mine=row.owner_id == user_id,
                   created_at=row.created_at, updated_at=row.updated_at, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        """``node(id:)``: the filters the caller may use, nothing for anyone else."""
        ids = [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= 2**31 - 1 else -1
               for raw in node_ids]
        principal = info.context.principal
        rows = {row.id: row for row in await desk_models.SavedFilter.filter(
            saved_filters.usable(principal), id__in=ids)}
        user_id = _user_id(info)
        return [cls.from_model(rows[pk], user_id) if pk in rows else None for pk in ids]

    @strawberry.field(description="The organization whose staff share it; null when private.")
    async def shared_with(self, info: strawberry.Info) -> Organization | None:
        if self.row.shared_with_id is None:
            return None
        found: Organization | None = await info.context.loaders.organization.load(
            self.row.shared_with_id)
        return found


@strawberry.input
class SaveAppealFilterInput:
    name: str
    filter: AppealFilter
    id: relay.GlobalID | None = strawberry.field(default=None,
                                                 description="Change this filter of one's own.")
    share_with_ogrn: str | None = strawberry.field(
        default=None, description="Share with the staff of this organization (one's own).")


@strawberry.type
class SaveAppealFilterPayload:
    saved_filter: SavedAppealFilter | None
    user_errors: list[UserError]


@strawberry.type
class DeleteAppealFilterPayload:
    deleted_id: relay.GlobalID | None
    user_errors: list[UserError]


def _user_id(info: strawberry.Info) -> int | None:
    user = info.context.principal.user
    return user.id if user is not None else None


@strawberry.type
class FiltersQuery:
    @strawberry.field(description="The caller's saved appeal filters and those shared with "
                                  "their organizations, by name.")
    async def saved_appeal_filters(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[SavedAppealFilter]:
        saved_filters.require_staff(info.context.principal)
        query = desk_models.SavedFilter.filter(saved_filters.usable(info.context.principal))
        user_id = _user_id(info)
        return await paginate(query, info=info,
                              convert=lambda row: SavedAppealFilter.from_model(row, user_id),
                              first=first, after=after, last=last, before=before)


@strawberry.type
class FiltersMutation:
    @strawberry.mutation(description="Save a named appeals filter, or change one's own.")
    async def save_appeal_filter(self, info: strawberry.Info, input: SaveAppealFilterInput
                                 ) -> SaveAppealFilterPayload:
        async def call() -> desk_models.SavedFilter:
            return await saved_filters.save(
                info.context.principal, name=input.name, arguments=_check(input.filter),
                filter_id=None if input.id is None else filter_pk(input.id),
                share_with_ogrn=input.share_with_ogrn)

        row, errors = await run_mutation(call())
        return SaveAppealFilterPayload(
            saved_filter=SavedAppealFilter.from_model(row, _user_id(info)) if row else None,
            user_errors=errors)

    @strawberry.mutation(description="Delete one's own saved appeals filter.")
    async def delete_appeal_filter(self, info: strawberry.Info, id: relay.GlobalID
                                   ) -> DeleteAppealFilterPayload:
        async def call() -> int:
            return await saved_filters.delete(info.context.principal, filter_pk(id))

        deleted, errors = await run_mutation(call())
        return DeleteAppealFilterPayload(
            deleted_id=relay.GlobalID("SavedAppealFilter", str(deleted))
            if deleted is not None else None, user_errors=errors)
