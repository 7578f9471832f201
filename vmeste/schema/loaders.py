"""DataLoaders, built fresh for every request, so lists of N objects load their
related territories, organizations and categories in one query per kind, not N."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from vmeste.platform.appeals.models import AppealEvent
from vmeste.platform.deadlines.models import AppealExtension, AppealPause
from vmeste.platform.identity.models import User
from vmeste.platform.reference.models import Category, Organization, Territory

T = TypeVar("T")


def _by_id(model: type[Model], convert: Callable[[Any], T]) -> DataLoader[int, T | None]:
    async def load(ids: Sequence[int]) -> list[T | None]:
        rows = {row.id: convert(row) for row in await model.filter(id__in=list(ids))}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _children(model: type[Model], convert: Callable[[Any], T]) -> DataLoader[int, list[T]]:
    async def load(parent_ids: Sequence[int]) -> list[list[T]]:
        groups: dict[int, list[T]] = {i: [] for i in parent_ids}
        for row in await model.filter(parent_id__in=list(parent_ids)).order_by("id"):
            groups[row.parent_id].append(convert(row))
        return [groups[i] for i in parent_ids]

    return DataLoader(load_fn=load)


def _events() -> DataLoader[int, list[AppealEvent]]:
    async def load(appeal_ids: Sequence[int]) -> list[list[AppealEvent]]:
        groups: dict[int, list[AppealEvent]] = {i: [] for i in appeal_ids}
        for event in await AppealEvent.filter(appeal_id__in=list(appeal_ids)).order_by("id"):
            groups[event.appeal_id].append(event)
        return [groups[i] for i in appeal_ids]

    return DataLoader(load_fn=load)


def _by_appeal(model: type[Model]) -> DataLoader[int, list[Any]]:
    """An appeal's own rows of ``model`` (pauses, extensions), oldest first."""
    async def load(appeal_ids: Sequence[int]) -> list[list[Any]]:
        groups: dict[int, list[Any]] = {i: [] for i in appeal_ids}
        for row in await model.filter(appeal_id__in=list(appeal_ids)).order_by("id"):
            groups[row.appeal_id].append(row)
        return [groups[i] for i in appeal_ids]

    return DataLoader(load_fn=load)


class Loaders:
    def __init__(self) -> None:
        # Imported here: the types module needs this one for its resolvers.
        from vmeste.schema.reference import types

        self.territory = _by_id(Territory, types.Territory.from_model)
        self.organization = _by_id(Organization, types.Organization.from_model)
        self.category = _by_id(Category, types.Category.from_model)
        self.category_children = _children(Category, types.Category.from_model)
        self.user = _by_id(User, lambda row: row)
        self.appeal_events = _events()
        self.appeal_pauses = _by_appeal(AppealPause)
        self.appeal_extensions = _by_appeal(AppealExtension)
