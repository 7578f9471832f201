"""Re-driving dead letters."""

from __future__ import annotations

from collections.abc import Mapping

import strawberry

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.outbox import deadletters
from vmeste.platform.outbox.models import DeadLetter as DeadLetterModel
from vmeste.platform.outbox.topics import Topic
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.operations.types import DeadLetter


@strawberry.type
class RedriveDeadLettersPayload:
    dead_letters: list[DeadLetter]
    user_errors: list[UserError]


async def _redrive(principal: Principal, ids: list[strawberry.ID], topics: Mapping[str, Topic]
                   ) -> list[DeadLetterModel]:
    numbers = []
    for raw in ids:
        if not str(raw).isdigit() or len(str(raw)) > 18:
            raise DomainError.of("ids", _("Invalid job number: {number}", number=str(raw)[:20]),
                                 ErrorCode.INVALID)
        numbers.append(int(raw))
    return await deadletters.redrive(principal, numbers, topics)


@strawberry.type
class OperationsMutation:
    @strawberry.mutation(description="Queue the jobs again (through the outbox); all or none.")
    async def redrive_dead_letters(self, info: strawberry.Info, ids: list[strawberry.ID]
                                   ) -> RedriveDeadLettersPayload:
        rows, errors = await run_mutation(
            _redrive(info.context.principal, ids, info.context.runtime.topics))
        return RedriveDeadLettersPayload(
            dead_letters=[DeadLetter.from_model(row) for row in rows or []], user_errors=errors)
