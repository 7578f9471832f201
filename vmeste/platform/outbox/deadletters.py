"""Dead letters: listing them within the caller's scope, and re-driving them.

A re-drive does not talk to the broker: it emits the job again through the outbox (a
new dedupe key, ``redrive:{id}``) in the same transaction as the dead letter's stamp
and its audit event, so a re-drive is never half done.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from vmeste.platform import authz
from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.outbox.models import DeadLetter
from vmeste.platform.outbox.services import emit
from vmeste.platform.outbox.topics import Topic, by_actor
from vmeste.platform.reference.models import PATH_SEPARATOR, subtree

#: Most dead letters one re-drive takes, so a request stays one short transaction each.
MAX_REDRIVE = 500


def visible_to(principal: Principal) -> Q:
    """Federal configurators see every dead letter; regional admins their subtree's.
    Letters about nothing territorial (``scope_path`` "") are national."""
    roots = authz.require_any_territory_role(principal, authz.ADMINS)
    if "" in roots:
        return Q()
    visible = Q(id=-1)
    for root in roots:
        visible |= subtree(root, "scope_path")
        if PATH_SEPARATOR not in root:
            visible |= Q(scope_path="")
    return visible


async def redrive(principal: Principal, ids: list[int],
                  topics: Mapping[str, Topic]) -> list[DeadLetter]:
    """Queue each dead letter's job again; all named letters must be visible to the
    caller and not yet re-driven, or nothing happens."""
    scope = visible_to(principal)
    wanted = sorted(set(ids))
    if not wanted:
        raise DomainError.of("ids", _("No job is chosen"), ErrorCode.REQUIRED)
    if len(wanted) > MAX_REDRIVE:
        raise DomainError.of("ids", _("At most {limit} jobs at a time", limit=MAX_REDRIVE))
    rows = await DeadLetter.filter(scope, id__in=wanted).order_by("id")
    errors = [FieldError("ids", _("Job {id} not found", id=i), ErrorCode.NOT_FOUND)
              for i in sorted(set(wanted) - {row.id for row in rows})]
    errors += [FieldError("ids", _("Job {id} has been re-driven already", id=row.id),
                          ErrorCode.CONFLICT) for row in rows if row.redriven_at is not None]
    handlers = {row.id: by_actor(topics, row.actor) for row in rows}
    errors += [FieldError("ids", _("Job {id}: unknown handler {actor}", id=row.id,
                                            actor=row.actor),
                          ErrorCode.INVALID) for row in rows if handlers[row.id] is None]
    if errors:
        raise DomainError(*errors)
    chosen = [(row, topic) for row in rows if (topic := handlers[row.id]) is not None]
    for row, topic in chosen:
        if topic.reset is not None:
            await topic.reset(dict(row.kwargs))
    now = datetime.now(UTC)
    async with in_transaction() as conn:
        for row, topic in chosen:
            stamped = await DeadLetter.filter(id=row.id, redriven_at__isnull=True).using_db(
                conn).update(redriven_at=now, redriven_by=principal.actor)
            if not stamped:  # another operator re-drove it a moment ago
                raise DomainError.of("ids", _("Job {id} has been re-driven already", id=row.id),
                                     ErrorCode.CONFLICT)
            await emit(conn, topic.name, dict(row.kwargs), f"redrive:{row.id}")
            await record(actor=principal.actor, action="dead_letter.redrive",
                         object_type="dead_letter", object_id=row.id,
                         before={"redriven_at": None},
                         after={"redriven_at": now.isoformat(), "actor": row.actor},
                         scope_path=row.scope_path, using=conn)
            row.redriven_at, row.redriven_by = now, principal.actor
    return rows
