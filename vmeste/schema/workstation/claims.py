"""``claimAppeal``: a signed-in citizen takes an appeal filed for them into their
account with the code they were given (:mod:`vmeste.platform.appeals.claims`)."""

from __future__ import annotations

import strawberry

from vmeste.platform.appeals import claims
from vmeste.schema.appeals.mutations import AppealPayload
from vmeste.schema.appeals.types import Appeal
from vmeste.schema.errors import run_mutation


@strawberry.input
class ClaimAppealInput:
    code: str = strawberry.field(description="The claim code from the filing notice or the "
                                             "operator; spaces and dashes are ignored.")


@strawberry.type
class ClaimMutation:
    @strawberry.mutation(description="Take an appeal an operator filed for you into your "
                                     "account, with its claim code (single-use, expiring).")
    async def claim_appeal(self, info: strawberry.Info, input: ClaimAppealInput
                           ) -> AppealPayload:
        settings = info.context.runtime.settings
        rules = claims.ClaimRules(attempts_per_hour=settings.claim_attempts_per_hour)
        row, errors = await run_mutation(claims.claim(
            info.context.principal, input.code, rules, info.context.runtime.clock()))
        return AppealPayload(appeal=Appeal.from_model(row) if row else None, user_errors=errors)
