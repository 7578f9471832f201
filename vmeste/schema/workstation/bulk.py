"""Bulk assignment and bulk redirection from the operator's queue.

Each appeal is its own step, through the same service call as the single mutation (its
own transaction, history event, audit and outbox message), so one stale or refused
appeal fails alone with its typed errors and never undoes the others. A batch is
capped, since every item is a transaction of its own. What the batch names once (the
executor, the organizations) is resolved once, before any appeal: an unknown one is
the batch's error, and nothing runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from strawberry import relay

from vmeste.platform.appeals import models, services
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import User
from vmeste.schema.appeals.context import appeal_services
from vmeste.schema.appeals.queries import appeal_pk
from vmeste.schema.appeals.types import Appeal
from vmeste.schema.errors import UserError, global_pk, run_mutation, user_errors

#: The most appeals one bulk mutation takes.
BULK_MAX = 100


@strawberry.type(description="One appeal of a bulk mutation: changed, or its own errors.")
class BulkAppealResult:
    appeal_id: relay.GlobalID
    appeal: Appeal | None
    user_errors: list[UserError]


@strawberry.type
class BulkAppealsPayload:
    results: list[BulkAppealResult]
    succeeded: int
    failed: int
    user_errors: list[UserError] = strawberry.field(
        description="Errors of the whole batch (too many appeals, none); then nothing ran.")


@strawberry.input(description="The executor (by id, or by subject with issuer) for each appeal.")
class BulkAssignExecutorInput:
    appeal_ids: list[relay.GlobalID]
    executor_id: relay.GlobalID | None = None
    executor_subject: str | None = None
    executor_issuer: str | None = None


@strawberry.input
class BulkRedirectAppealsInput:
    appeal_ids: list[relay.GlobalID]
    organization_ogrn: str
    reason: str
    copy_to: list[str] = strawberry.field(default_factory=list)


def _batch(ids: list[relay.GlobalID]) -> list[relay.GlobalID]:
    """The ids once each, in the order given, within the cap."""
    unique = list({(i.type_name, i.node_id): i for i in ids}.values())
    if not unique:
        raise DomainError.of("appealIds", _("Choose the appeals"), ErrorCode.REQUIRED)
    if len(unique) > BULK_MAX:
        raise DomainError.of("appealIds", _("At most {limit} appeals at once", limit=BULK_MAX),
                             ErrorCode.INVALID)
    return unique


async def _each(ids: list[relay.GlobalID],
                step: Callable[[int], Awaitable[models.Appeal]]) -> BulkAppealsPayload:
    try:
        batch = _batch(ids)
    except DomainError as error:
        return _refused(error)
    results = []
    for appeal_id in batch:
        async def call(appeal_id: relay.GlobalID = appeal_id) -> models.Appeal:
            return await step(appeal_pk(appeal_id))

        row, errors = await run_mutation(call())
        results.append(BulkAppealResult(appeal_id=appeal_id, user_errors=errors,
                                        appeal=Appeal.from_model(row) if row else None))
    failed = sum(1 for result in results if result.user_errors)
    return BulkAppealsPayload(results=results, succeeded=len(results) - failed, failed=failed,
                              user_errors=[])


async def _executor(input: BulkAssignExecutorInput) -> int | None:
    """The executor's user id, resolved once for the batch (whether they work at each
    appeal's body stays each appeal's check)."""
    if input.executor_id is not None:
        return global_pk(input.executor_id, "User", field="executorId",
                         message=_("This is not a user's id"))
    if not (input.executor_subject and input.executor_issuer):
        return None  # the service names what is missing
    found = await User.filter(subject=input.executor_subject,
                              issuer=input.executor_issuer).values_list("id", flat=True)
    if not found:
        raise DomainError.of("executorSubject", _("No such executor in this organization"),
                             ErrorCode.NOT_FOUND)
    return int(found[0])


def _refused(error: DomainError) -> BulkAppealsPayload:
    return BulkAppealsPayload(results=[], succeeded=0, failed=0, user_errors=user_errors(error))


@strawberry.type
class BulkMutation:
    @strawberry.mutation(description="Assign one executor to many appeals; each succeeds or "
                                     f"fails on its own (at most {BULK_MAX}).")
    async def bulk_assign_executor(self, info: strawberry.Info, input: BulkAssignExecutorInput
                                   ) -> BulkAppealsPayload:
        try:
            executor = await _executor(input)
        except DomainError as error:
            return _refused(error)
        named = input.executor_id is None and executor is not None

        def step(pk: int) -> Awaitable[models.Appeal]:
            return appeal_services(info).assign_executor(
                info.context.principal, pk, executor_id=executor,
                executor_subject=None if named else input.executor_subject,
                executor_issuer=None if named else input.executor_issuer)

        return await _each(input.appeal_ids, step)

    @strawberry.mutation(description="Redirect many appeals to another organization with one "
                                     "reason; each succeeds or fails on its own "
                                     f"(at most {BULK_MAX}).")
    async def bulk_redirect_appeals(self, info: strawberry.Info,
                                    input: BulkRedirectAppealsInput) -> BulkAppealsPayload:
        try:
            targets = await services.redirect_targets(input.organization_ogrn, input.copy_to)
        except DomainError as error:
            return _refused(error)

        def step(pk: int) -> Awaitable[models.Appeal]:
            return appeal_services(info).redirect(
                info.context.principal, pk, organization_ogrn=input.organization_ogrn,
                reason=input.reason, targets=targets)

        return await _each(input.appeal_ids, step)
