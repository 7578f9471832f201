"""DataLoaders, built fresh for every request, so lists of N objects load their
related territories, organizations and categories in one query per kind, not N.

Each schema area declares the loaders its resolvers need (``SchemaPart.loaders``, a
name and a factory); a request's :class:`Loaders` builds one on first use, so
resolvers read ``info.context.loaders.territory`` whichever area declared it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model
from tortoise.queryset import QuerySet

T = TypeVar("T")

LoaderFactory = Callable[[], DataLoader[Any, Any]]


def by_id(model: type[Model], convert: Callable[[Any], T]) -> DataLoader[int, T | None]:
    async def load(ids: Sequence[int]) -> list[T | None]:
        rows = {row.id: convert(row) for row in await model.filter(id__in=list(ids))}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def grouped(model: type[Model] | QuerySet[Any], column: str,
            convert: Callable[[Any], Any] = lambda row: row) -> DataLoader[int, list[Any]]:
    """Each parent's rows of ``model`` (``column`` holds the parent's id), oldest first:
    a category's children, an appeal's events, pauses and extensions (a query narrowed
    to one subject type), a notification's delivery attempts."""
    async def load(parent_ids: Sequence[int]) -> list[list[Any]]:
        groups: dict[int, list[Any]] = {i: [] for i in parent_ids}
        for row in await model.filter(**{f"{column}__in": list(parent_ids)}).order_by("id"):
            groups[getattr(row, column)].append(convert(row))
        return [groups[i] for i in parent_ids]

    return DataLoader(load_fn=load)


def linked(model: type[Model], left: str, right: str) -> DataLoader[tuple[int, int], bool]:
    """Whether a row of ``model`` links each (``left`` id, ``right`` id) pair, in one
    query for a page: whether the caller supports each question, is subscribed to each
    hearing."""
    async def load(keys: Sequence[tuple[int, int]]) -> list[bool]:
        found = set(await model.filter(**{
            f"{left}__in": sorted({a for a, _ in keys}),
            f"{right}__in": sorted({b for _, b in keys})}).values_list(left, right))
        return [key in found for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """One request's loaders, each built on first use from the declared factories."""

    def __init__(self, factories: Mapping[str, LoaderFactory]) -> None:
        self._factories = factories

    def __getattr__(self, name: str) -> DataLoader[Any, Any]:
        try:
            factory = self._factories[name]
        except KeyError:
            raise AttributeError(f"no schema area declares a loader named {name!r}") from None
        loader = self.__dict__[name] = factory()  # later reads skip __getattr__
        return loader

    def reset(self) -> None:
        """Forget every loader and what it holds. A WebSocket connection's context lives
        as long as the connection, so a subscription calls this before each round of
        updates: what they show is read afresh, and no cache grows for hours."""
        for name in [name for name in self.__dict__ if name != "_factories"]:
            del self.__dict__[name]
