"""The step shape every component's lifecycle takes.

A step loads its subject, checks the caller's right and the state machine's
permission, then, in one transaction, writes the subject only onto the revision it
read (optimistic locking: of two concurrent steps one wins, the other gets
``DomainError(CONFLICT)`` and nothing of it is written), appends the step's event to
the subject's history, and queues the outbox messages announcing it: the component's
own topic (its notifications) and the domain events plugins hear
(:mod:`vmeste.platform.events.domain`). So the history never disagrees with the
subject, and nothing is announced that did not commit.

A component describes its subject once, as a :class:`Steps`; its services then call
:meth:`Steps.open` and :meth:`Steps.take` (or :meth:`Steps.move` inside a transaction
of their own when a step writes more rows).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.events.domain import DomainEvent, announce
from vmeste.platform.i18n import N_, _, translate
from vmeste.platform.outbox.services import emit
from vmeste.platform.plugins import await_me_maybe

M = TypeVar("M", bound=Model)
#: An access check: raises DomainError when the caller may not take the step.
Check = Callable[[M], Awaitable[None] | None]
Within = Callable[[BaseDBAsyncClient], Awaitable[object]]


def require_transition(allowed: Mapping[str, frozenset[str]], action: str, status: str
                       ) -> None:
    """A typed refusal, never a step applied halfway, for an action the subject's status
    does not allow."""
    if status not in allowed[action]:
        permitted = ", ".join(sorted(str(s) for s in allowed[action]))
        raise DomainError.of(
            None,
            _("The action «{action}» is not available in the status «{status}» (allowed from: "
              "{permitted})", action=action, status=status, permitted=permitted),
            ErrorCode.ILLEGAL_TRANSITION,
        )


@dataclass(frozen=True)
class Steps(Generic[M]):
    """How one component's subject takes steps.

    ``model`` has ``id``, ``status``, ``revision`` and ``territory_path`` columns;
    ``event`` is its append-only history: a
    :class:`~vmeste.platform.history.StepEvent` with a foreign key named ``subject``.
    """

    #: The component's name, as domain events carry it.
    component: str
    #: The subject's name: the event's foreign key, and the subject type plugins see.
    subject: str
    model: type[M]
    event: type[Model]
    #: The component's outbox topic for its history: payload
    #: ``{"<subject>_id": int, "event_ids": [int, ...]}``.
    topic: str
    #: The columns a step may change (``status`` among them).
    fields: tuple[str, ...]
    #: The state machine: each action and the statuses it may start from.
    allowed: Mapping[str, frozenset[str]]
    #: Keys of an event's payload that plugins may see: ids and statuses, never texts.
    public: frozenset[str] = frozenset()
    #: English message ids (``N_``), translated when the step refuses.
    not_found: str = N_("Not found")
    conflict: str = N_("The object was just changed; reload it and try again")

    async def open(self, subject_id: int, action: str, check: Check[M]) -> M:
        """The subject, once the caller's right (``check``) and the transition are
        checked: the preamble of every step."""
        row = await self.model.get_or_none(id=subject_id)
        if row is None:
            raise DomainError.of("id", translate(self.not_found), ErrorCode.NOT_FOUND)
        await await_me_maybe(check(row))
        self.require(action, row)
        return row

    def require(self, action: str, row: M) -> None:
        require_transition(self.allowed, action, row.status)

    async def take(self, row: M, actor: str, action: str, status: StrEnum, *,
                   reason: str = "", payload: dict[str, Any] | None = None,
                   within: Within | None = None) -> M:
        """The step in its own transaction; ``within`` writes the step's other rows
        first (they roll back with it on a lost race)."""
        async with in_transaction() as conn:
            if within is not None:
                await within(conn)
            await self.move(conn, row, actor, action, status, reason=reason, payload=payload)
        return row

    async def move(self, conn: BaseDBAsyncClient, row: M, actor: str, action: str,
                   status: StrEnum, *, reason: str = "", payload: dict[str, Any] | None = None
                   ) -> Model:
        """Write the step only if nobody changed the subject since it was read; the
        in-memory ``row`` then holds what was written."""
        previous = row.status
        row.status = status
        revision: int = row.revision
        changed = await self.model.filter(id=row.pk, revision=revision).using_db(conn).update(
            **{name: getattr(row, name) for name in self.fields},
            revision=revision + 1, updated_at=datetime.now(UTC))
        if changed != 1:
            raise DomainError.of(None, translate(self.conflict), ErrorCode.CONFLICT)
        row.revision = revision + 1
        return await self.record(conn, row, actor, action, previous, status, reason=reason,
                                 payload=payload)

    async def record(self, conn: BaseDBAsyncClient, row: M, actor: str, action: str,
                     from_status: StrEnum | None, to_status: StrEnum, *, reason: str = "",
                     payload: dict[str, Any] | None = None) -> Model:
        """Append an event without writing the subject (a step whose row is written by
        the next one), and announce it."""
        event = await self.event.create(
            **{f"{self.subject}_id": row.pk}, actor=actor, action=str(action),
            from_status=str(from_status) if from_status else None, to_status=str(to_status),
            reason=reason, payload=payload or {}, using_db=conn)
        await self.announce(conn, row, [event], f"{self.subject}-event:{event.pk}")
        return event

    async def announce(self, conn: BaseDBAsyncClient, row: M, events: Sequence[Model],
                       key: str) -> None:
        """The outbox messages of events written in ``conn``'s transaction: they commit
        or roll back with it (``key`` deduplicates a retried step)."""
        await emit(conn, self.topic, {f"{self.subject}_id": row.pk,
                                      "event_ids": [e.pk for e in events]}, key)
        await announce(conn, [self.domain_event(row, e) for e in events], key)

    def domain_event(self, row: M, event: Any) -> DomainEvent:
        published = {k: v for k, v in (event.payload or {}).items() if k in self.public}
        return DomainEvent(
            component=self.component, subject_type=self.subject, subject_id=row.pk,
            event_id=event.pk, name=event.action, territory_path=row.territory_path,
            occurred_at=event.at, payload={"from_status": event.from_status,
                                           "to_status": event.to_status, **published})
