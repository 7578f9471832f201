"""A citizen's erasure: asked for with a confirmation, executed after the cooling-off
period (``VMESTE_ERASURE_COOLING_OFF_DAYS``; at once where it is 0), cancelable until
then, and recorded with what each component did.

Execution is a step of the deadline watchdog once ``execute_after`` has passed (an
outbox job at once where the cooling-off period is 0). It runs every component's
declaration in one transaction, in their order (identity, which renames the account,
last), so an erasure is done everywhere or nowhere; a component that holds it (an open
vote the person took part in) moves ``execute_after`` on instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.components import personal_data_of
from vmeste.platform.errors import DomainError, ErrorCode, Forbidden
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import RoleAssignment, User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.outbox.services import emit
from vmeste.platform.personal_data import Erasure
from vmeste.platform.privacy.access import owner
from vmeste.platform.privacy.kinds import OwnRows
from vmeste.platform.privacy.models import ErasureRequest, ErasureStatus

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

#: Topic of erasures to execute: payload ``{"request_id": int}``.
ERASURE_EXECUTE = "privacy.erasure"


def requests_of(principal: Principal) -> QuerySet[ErasureRequest]:
    return ErasureRequest.filter(user_id=owner(principal).id)


async def request_erasure(runtime: Runtime, principal: Principal, confirm: bool
                          ) -> ErasureRequest:
    user = owner(principal)
    if not confirm:
        raise DomainError.of("confirm", _("Confirm that your data is to be erased"),
                             ErrorCode.REQUIRED)
    if await RoleAssignment.filter(user_id=user.id).exists():
        # An official's acts are the body's records: their roles go first.
        raise Forbidden(_("An account holding staff roles is not erased; ask for your "
                          "roles to be revoked first"))
    if await ErasureRequest.filter(user_id=user.id, status=ErasureStatus.SCHEDULED).exists():
        raise DomainError.of(None, _("Your erasure is already scheduled"), ErrorCode.CONFLICT)
    now = runtime.clock()
    due = now + timedelta(days=runtime.settings.erasure_cooling_off_days)
    async with in_transaction() as conn:
        row = await ErasureRequest.create(user_id=user.id, requested_at=now,
                                          execute_after=due, using_db=conn)
        await record(actor=principal.actor, action="privacy.erasure.request",
                     object_type="erasure_request", object_id=row.id, before=None,
                     after={"status": row.status.value, "execute_after": due.isoformat()},
                     using=conn)
        if due <= now:
            await emit(conn, ERASURE_EXECUTE, {"request_id": row.id}, f"erasure:{row.id}")
    return row


async def cancel_erasure(runtime: Runtime, principal: Principal, request_id: int
                         ) -> ErasureRequest:
    row = await requests_of(principal).filter(id=request_id).first()
    if row is None:
        raise DomainError.of("id", _("Erasure request not found"), ErrorCode.NOT_FOUND)
    if row.status != ErasureStatus.SCHEDULED:
        raise DomainError.of(None, _("Only a scheduled erasure can be canceled"),
                             ErrorCode.ILLEGAL_TRANSITION)
    async with in_transaction() as conn:
        await _move(conn, row, status=ErasureStatus.CANCELED, canceled_at=runtime.clock())
        await record(actor=principal.actor, action="privacy.erasure.cancel",
                     object_type="erasure_request", object_id=row.id,
                     before={"status": ErasureStatus.SCHEDULED.value},
                     after={"status": row.status.value}, using=conn)
    return row


async def execute(runtime: Runtime, request_id: int) -> str:
    """The step: ``erased``, ``held`` (moved on), ``early`` or ``skipped`` (canceled, or
    done by an earlier delivery)."""
    row = await ErasureRequest.get_or_none(id=request_id)
    if row is None or row.status != ErasureStatus.SCHEDULED:
        return "skipped"
    now = runtime.clock()
    if row.execute_after > now:
        return "early"
    declarations = personal_data_of(runtime.components)
    async with in_transaction() as conn:
        # The account's row locked, and the holds read under it: a vote or a submission
        # committed since the request was read is seen here, not erased half-way.
        user = await User.filter(id=row.user_id).select_for_update().using_db(conn).get()
        holds = [h for d in declarations if d.hold is not None
                 if (h := await d.hold(row.user_id, now)) is not None and h > now]
        if holds:
            await _move(conn, row, execute_after=max(holds))
            return "held"
        erasure = Erasure(user_id=user.id, actor=f"{user.issuer}:{user.subject}",
                          pseudonym=f"erased-{secrets.token_hex(8)}", now=now,
                          runtime=runtime, conn=conn)
        outcome = {d.section: (await d.erase(erasure)).as_dict() for d in declarations}
        await _move(conn, row, status=ErasureStatus.DONE, executed_at=now, outcome=outcome)
        await record(actor="system", action="privacy.erasure.execute",
                     object_type="erasure_request", object_id=row.id,
                     before={"status": ErasureStatus.SCHEDULED.value},
                     after={"status": row.status.value, "sections": outcome}, using=conn)
    return "erased"


async def _move(conn: BaseDBAsyncClient, row: ErasureRequest, **changes: Any) -> None:
    """Write ``changes`` onto the revision read: a cancel and an execution racing each
    other cannot both succeed."""
    done = await ErasureRequest.filter(id=row.id, revision=row.revision).using_db(
        conn).update(**changes, revision=row.revision + 1)
    if done != 1:
        raise DomainError.of(None, _("The erasure request was just changed; reload it"),
                             ErrorCode.CONFLICT)
    for name, value in changes.items():
        setattr(row, name, value)
    row.revision += 1


class DueErasures(OwnRows):
    """The deadline kind that executes erasures whose ``execute_after`` has passed."""

    name = "erasure"
    subject_type = "erasure_request"
    steps = ("erased", "held")

    def due(self, now: datetime) -> QuerySet[ErasureRequest]:
        return ErasureRequest.filter(status=ErasureStatus.SCHEDULED, execute_after__lte=now)

    async def step(self, runtime: Runtime, row: ErasureRequest, now: datetime
                   ) -> Sequence[str]:
        taken = await execute(runtime, row.id)
        return [taken] if taken in self.steps else []
