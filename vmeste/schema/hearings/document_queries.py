"""Reading a hearing's documents."""

from __future__ import annotations

import strawberry
from strawberry import relay

from vmeste.platform.hearings.documents import MAX_VERSIONS, documents_of
from vmeste.platform.i18n import _
from vmeste.schema.cost import at_most
from vmeste.schema.errors import global_pk
from vmeste.schema.hearings.document_types import HearingDocument


def hearing_pk(value: relay.GlobalID, field: str = "hearingId") -> int:
    return global_pk(value, "Hearing", field=field, message=_("This is not a hearing's id"))


@strawberry.type
class HearingDocumentsQuery:
    @strawberry.field(description="A hearing's protocol and conclusion versions: the published "
                                  "ones to everyone (their public copies), every version's full "
                                  "copy to the hearing's organisers, the organising body's "
                                  "operators and auditors.",
                      metadata=at_most(2 * MAX_VERSIONS))
    async def hearing_documents(self, info: strawberry.Info, hearing_id: relay.GlobalID
                                ) -> list[HearingDocument]:
        rows = await documents_of(info.context.principal, hearing_pk(hearing_id))
        return [HearingDocument.from_copy(row) for row in rows]
