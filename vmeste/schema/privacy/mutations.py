"""Asking for an export, for erasure, and canceling an erasure."""

from __future__ import annotations

import strawberry
from strawberry import relay

from vmeste.platform.i18n import _
from vmeste.platform.privacy import erasure, exports
from vmeste.schema.errors import UserError, global_pk, run_mutation
from vmeste.schema.privacy.types import DataExport, ErasureRequest


@strawberry.type
class DataExportPayload:
    data_export: DataExport | None
    user_errors: list[UserError]


@strawberry.type
class ErasureRequestPayload:
    erasure_request: ErasureRequest | None
    user_errors: list[UserError]


@strawberry.input
class ErasureInput:
    confirm: bool = strawberry.field(description="Must be true: you understand that your "
                                                 "account is closed and your data erased.")


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(description="Ask for an archive of everything the platform holds "
                                     "about you; it is built in the background.")
    async def request_data_export(self, info: strawberry.Info) -> DataExportPayload:
        row, errors = await run_mutation(exports.request_export(info.context.runtime,
                                                                info.context.principal))
        return DataExportPayload(
            data_export=DataExport.from_model(row, info.context.settings,
                                               info.context.runtime.clock()) if row else None,
            user_errors=errors)

    @strawberry.mutation(description="Ask for your data to be erased and your account "
                                     "closed, after the cooling-off period.")
    async def request_erasure(self, info: strawberry.Info, input: ErasureInput
                              ) -> ErasureRequestPayload:
        row, errors = await run_mutation(erasure.request_erasure(
            info.context.runtime, info.context.principal, input.confirm))
        return ErasureRequestPayload(
            erasure_request=ErasureRequest.from_model(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Cancel your scheduled erasure.")
    async def cancel_erasure(self, info: strawberry.Info, id: relay.GlobalID
                             ) -> ErasureRequestPayload:
        async def call() -> object:
            pk = global_pk(id, "ErasureRequest", field="id",
                           message=_("This is not an erasure request's id"))
            return await erasure.cancel_erasure(info.context.runtime, info.context.principal,
                                                 pk)

        row, errors = await run_mutation(call())
        return ErasureRequestPayload(
            erasure_request=ErasureRequest.from_model(row) if row else None,  # type: ignore[arg-type]
            user_errors=errors)
