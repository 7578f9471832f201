"""DataLoaders, built fresh for every request, so lists of N objects load their
related territories, organizations and categories in one query per kind, not N."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from vmeste.platform.appeals.models import AppealEvent
from vmeste.platform.deadlines.models import DeadlineExtension, DeadlinePause
from vmeste.platform.identity.models import User
from vmeste.platform.notifications.models import DeliveryAttempt
from vmeste.platform.reference.models import Category, Organization, Territory

T = TypeVar("T")


def _by_id(model: type[Model], convert: Callable[[Any], T]) -> DataLoader[int, T | None]:
    async def load(ids: Sequence[int]) -> list[T | None]:
        rows = {row.id: convert(row) for row in await model.filter(id__in=list(ids))}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _grouped(model: type[Model], column: str, convert: Callable[[Any], Any] = lambda row: row
             ) -> DataLoader[int, list[Any]]:
    """Each parent's rows of ``model`` (``column`` holds the parent's id), oldest first:
    a category's children, an appeal's events, pauses and extensions, a notification's
    delivery attempts."""
    async def load(parent_ids: Sequence[int]) -> list[list[Any]]:
        groups: dict[int, list[Any]] = {i: [] for i in parent_ids}
        for row in await model.filter(**{f"{column}__in": list(parent_ids)}).order_by("id"):
            groups[getattr(row, column)].append(convert(row))
        return [groups[i] for i in parent_ids]

    return DataLoader(load_fn=load)


class Loaders:
    def __init__(self) -> None:
        # Imported here: the types module needs this one for its resolvers.
        from vmeste.schema.reference import types

        self.territory = _by_id(Territory, types.Territory.from_model)
        self.organization = _by_id(Organization, types.Organization.from_model)
        self.category = _by_id(Category, types.Category.from_model)
        self.category_children = _grouped(Category, "parent_id", types.Category.from_model)
        self.user = _by_id(User, lambda row: row)
        self.appeal_events = _grouped(AppealEvent, "appeal_id")
        self.appeal_pauses = _grouped(DeadlinePause.filter(subject_type="appeal"), "subject_id")
        self.appeal_extensions = _grouped(DeadlineExtension.filter(subject_type="appeal"),
                                          "subject_id")
        self.delivery_attempts = _grouped(DeliveryAttempt, "notification_id")
