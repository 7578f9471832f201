"""Relay connections paged by keyset on the primary key.

Offsets get slower with every page of a 182k-body registry; a keyset (``id > after``)
costs the same on page 1 and page 10,000. Page sizes are capped by settings.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry import relay
from tortoise.queryset import QuerySet

from vmeste.platform.i18n import _

NodeType = TypeVar("NodeType")
_PREFIX = "cursor:"


@strawberry.type(name="Connection", description="A page of a list, in Relay's shape.")
class CountedConnection(relay.Connection[NodeType], Generic[NodeType]):
    count_query: strawberry.Private[Any]

    @strawberry.field(description="Number of items in the whole list, across all pages.")
    async def total_count(self) -> int:
        return await self.count_query.count()


def encode_cursor(pk: int) -> str:
    return base64.b64encode(f"{_PREFIX}{pk}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError(raw)
        return int(raw[len(_PREFIX):])
    except ValueError:
        raise GraphQLError(_("Invalid page cursor"),
                           extensions={"code": "INVALID_CURSOR"}) from None


def _cursor_id(query: QuerySet[Any], cursor: str) -> int:
    """A cursor's key, refused when it cannot be a key of this list (the database would
    fail on a number wider than the column)."""
    pk = decode_cursor(cursor)
    bounds = query.model._meta.pk.constraints
    if not bounds.get("ge", 0) <= pk <= bounds.get("le", 2**63 - 1):
        raise GraphQLError(_("Invalid page cursor"), extensions={"code": "INVALID_CURSOR"})
    return pk


def _page_size(requested: int | None, default: int, maximum: int, name: str) -> int:
    if requested is None:
        return default
    if requested < 0:
        raise GraphQLError(_("{name} cannot be negative", name=name),
                           extensions={"code": "INVALID_PAGE_SIZE"})
    if requested > maximum:
        raise GraphQLError(
            _("{name} is at most {limit} a page", name=name, limit=maximum),
            extensions={"code": "PAGE_SIZE_EXCEEDED", "max": maximum},
        )
    return requested


@dataclass(frozen=True)
class PageRequest:
    """One page's bounds from Relay's arguments, checked once for both read paths (the
    resolvers' ``paginate`` and the compiled plans), so both refuse the same arguments
    with the same error."""

    size: int
    after: int | None
    before: int | None
    backwards: bool
    descending: bool

    @classmethod
    def of(cls, query: QuerySet[Any], settings: Any, *, first: int | None, after: str | None,
           last: int | None, before: str | None, descending: bool = False) -> PageRequest:
        if first is not None and last is not None:
            raise GraphQLError(_("Give first or last, not both"),
                               extensions={"code": "INVALID_PAGE_SIZE"})
        backwards = last is not None
        return cls(
            after=_cursor_id(query, after) if after is not None else None,
            before=_cursor_id(query, before) if before is not None else None,
            size=_page_size(last if backwards else first, settings.default_page_size,
                            settings.max_page_size, "last" if backwards else "first"),
            backwards=backwards, descending=descending)

    def window(self, query: QuerySet[Any]) -> QuerySet[Any]:
        """``query`` cut to the page, one row more than its size (that row tells whether
        there is a next page)."""
        # Newest first, "after" a cursor means older than it.
        past, short_of = ("id__lt", "id__gt") if self.descending else ("id__gt", "id__lt")
        if self.after is not None:
            query = query.filter(**{past: self.after})
        if self.before is not None:
            query = query.filter(**{short_of: self.before})
        order = "-id" if self.backwards != self.descending else "id"
        return query.order_by(order).limit(self.size + 1)

    def trim(self, rows: list[Any]) -> tuple[list[Any], bool]:
        """The page's rows in list order, and whether the window held one more."""
        has_more = len(rows) > self.size
        rows = rows[:self.size]
        if self.backwards:
            rows.reverse()
        return rows, has_more

    def page_info(self, has_more: bool, start: str | None, end: str | None) -> relay.PageInfo:
        return relay.PageInfo(
            has_next_page=has_more if not self.backwards else self.before is not None,
            has_previous_page=has_more if self.backwards else self.after is not None,
            start_cursor=start, end_cursor=end)


async def paginate(
    query: QuerySet[Any],
    *,
    info: strawberry.Info,
    convert: Callable[[Any], Any] | Callable[[Any], Awaitable[Any]],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    descending: bool = False,
) -> CountedConnection[Any]:
    """One page of ``query`` (which must not be ordered) as a connection, in key order
    or, ``descending``, newest first."""
    page = PageRequest.of(query, info.context.settings, first=first, after=after, last=last,
                          before=before, descending=descending)
    rows, has_more = page.trim(await page.window(query))
    edges = [relay.Edge(node=convert(row), cursor=encode_cursor(row.id)) for row in rows]
    page_info = page.page_info(has_more, edges[0].cursor if edges else None,
                               edges[-1].cursor if edges else None)
    return CountedConnection(edges=edges, page_info=page_info, count_query=query)
