"""What a component holds about a person, and how it hands it over or erases it.

A citizen's rights under 152-ФЗ (art. 14: to know and receive what is processed about
them; art. 21: to have it erased where nothing requires keeping it) cross every
component, and only a component knows its own rows. So each one declares its share
in :attr:`vmeste.platform.components.Component.personal_data` as a
:class:`PersonalData`, and the platform's privacy part (:mod:`vmeste.platform.privacy`)
builds the export archive and runs an erasure from the declarations alone, knowing no
component. A third-party component holding personal data declares its share the same
way (docs/plugins.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from tortoise.transactions import in_transaction

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient

    from vmeste.platform.runtime import Runtime


@dataclass(frozen=True)
class Erasure:
    """One person's erasure, as each declaration's ``erase`` sees it: all of them run in
    one transaction (``conn``), so an erasure is done for every component or for none."""

    user_id: int
    #: The person's name in histories and ``*_by`` columns (``issuer:subject``), to be
    #: replaced by ``pseudonym`` where a history is kept.
    actor: str
    #: What stands for the person from now on in what is kept (``erased-<random>``).
    pseudonym: str
    now: datetime
    runtime: Runtime
    conn: BaseDBAsyncClient


@dataclass
class Outcome:
    """What one declaration did, counted by rows: the audited record, free of the
    personal data itself."""

    removed: int = 0
    pseudonymised: int = 0
    kept: int = 0
    #: Why rows were kept (English, for the audit trail), e.g. "archival rules: 5 years".
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"removed": self.removed, "pseudonymised": self.pseudonymised,
                "kept": self.kept, "notes": list(self.notes)}


Exporter = Callable[["Runtime", int], Awaitable[list[dict[str, Any]]]]
Eraser = Callable[[Erasure], Awaitable[Outcome]]
#: The moment before which the person's erasure must wait (an open vote they took part
#: in: a fresh account after the erasure must not vote twice), or None.
Hold = Callable[[int, datetime], Awaitable[datetime | None]]
#: Removes or pseudonymises every row whose retention (a ``VMESTE_RETENTION_*``
#: setting) has passed at ``now``; one transaction per batch, idempotent.
Retention = Callable[["Runtime", datetime], Awaitable[Outcome]]


@dataclass(frozen=True)
class PersonalData:
    """One component's share of a person's data."""

    #: The export's section and file name (``<section>.json``), unique over components.
    section: str
    #: One English sentence for the archive's manifest: what the section holds.
    describes: str
    #: The person's rows as JSON-ready objects, each a machine-readable record.
    export: Exporter
    #: Removes what may be removed and pseudonymises what must be kept.
    erase: Eraser
    hold: Hold | None = None
    retention: Retention | None = None
    #: Declarations erase in ascending order; identity, which renames the person, last.
    order: int = 0

    @property
    def name(self) -> str:
        return self.section


#: The most batches one retention step runs per sweep: the sweep is a step of the
#: watchdog, which must not be held for hours by a backlog (the next sweep goes on).
MAX_BATCHES = 50


async def batched(step: Callable[[BaseDBAsyncClient], Awaitable[int]], size: int,
                  max_batches: int = MAX_BATCHES) -> int:
    """A retention step over many rows: ``step`` handles at most ``size`` of them in its
    transaction and says how many; repeated until a batch falls short or
    ``max_batches`` ran, so no transaction holds a whole table's rows and no sweep
    runs unbounded."""
    total = 0
    for _batch in range(max_batches):
        async with in_transaction() as conn:
            done = await step(conn)
        total += done
        if done < size:
            break
    return total


def plain(value: Any) -> Any:
    """A column's value as JSON holds it (ISO dates, strings for ids and enums)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def records(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``.values()`` rows as JSON-ready records."""
    return [{key: plain(value) for key, value in row.items()} for row in rows]


__all__ = [
    "Eraser",
    "Erasure",
    "Exporter",
    "Hold",
    "Outcome",
    "PersonalData",
    "Retention",
    "plain",
    "records",
]
