"""What an area declares so that its reads can be compiled.

Three markers, each put where the thing it describes is written:

- ``@backed_by(models.Appeal, number="id")`` on a Strawberry type: its plain fields are
  the model's columns of the same name (or the one named here);
- ``metadata=to_one("organization")`` on a resolver that loads a related row: the
  relation it follows (a foreign key of the backing model);
- ``metadata=rows(appeal_rows)`` on a root field: the function that, given the request's
  context and the field's arguments (Relay's paging ones aside), returns the queryset of
  the rows the caller may read. The resolver calls the same function, so the compiled
  plan and the resolver cannot disagree about visibility. ``stable=True`` says the
  queryset follows from the caller and the arguments alone (``unless`` one of the named
  arguments is given, whose value it looks up in the database or reads the clock for).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

#: The attribute ``backed_by`` sets on a Strawberry type.
BACKING = "__vmeste_backing__"
#: The key in a Strawberry field's metadata.
READ = "vmeste.read"

Rows = Callable[..., Awaitable[QuerySet[Any]]]
T = TypeVar("T", bound=type)


@dataclass(frozen=True)
class Backing:
    model: type[Model]
    #: GraphQL field's Python name → model field, where the two names differ.
    columns: Mapping[str, str] = field(default_factory=dict)

    def column(self, python_name: str) -> str | None:
        """The model field a plain Strawberry field reads, or None when it has none."""
        name = self.columns.get(python_name, python_name)
        fields = self.model._meta.fields_map
        known = fields.get(name)
        if known is None or name in self.model._meta.fetch_fields:
            return None
        return name


@dataclass(frozen=True)
class ToOne:
    """A resolver that loads the row a foreign key points at (None when the key is)."""

    relation: str


@dataclass(frozen=True)
class RootRows:
    """A root field reading ``rows(context, **arguments)``: a connection pages it, an
    object field takes its only row (None when there is none)."""

    rows: Rows
    #: Newest first, as ``paginate(descending=True)``.
    descending: bool = False
    #: The queryset depends on the caller and the arguments alone (no other reads, no
    #: clock), but for the arguments named in ``unless``: its statements are then kept
    #: for the principal's lifetime.
    stable: bool = False
    unless: tuple[str, ...] = ()

    def stable_for(self, given: set[str]) -> bool:
        """Whether a field given these arguments (GraphQL names) is stable."""
        return self.stable and not given & set(self.unless)


def backed_by(model: type[Model], **columns: str) -> Callable[[T], T]:
    """Marks a Strawberry type as the GraphQL face of ``model``."""

    def mark(cls: T) -> T:
        setattr(cls, BACKING, Backing(model, columns))
        return cls

    return mark


def to_one(relation: str) -> dict[str, Any]:
    return {READ: ToOne(relation)}


def rows(function: Rows, *, descending: bool = False, stable: bool = False,
         unless: tuple[str, ...] = ()) -> dict[str, Any]:
    return {READ: RootRows(function, descending, stable, unless)}


def backing_of(origin: type) -> Backing | None:
    return origin.__dict__.get(BACKING)
