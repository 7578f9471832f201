"""Listing one's own exports and erasure requests."""

from __future__ import annotations

import strawberry

from vmeste.platform.privacy.erasure import requests_of
from vmeste.platform.privacy.exports import exports_of
from vmeste.schema.pagination import CountedConnection, paginate
from vmeste.schema.privacy.types import DataExport, ErasureRequest


@strawberry.type
class PrivacyQuery:
    @strawberry.field(description="Your data exports, newest first, with their state and, "
                                  "when ready, a download link.")
    async def my_data_exports(self, info: strawberry.Info, first: int | None = None,
                              after: str | None = None, last: int | None = None,
                              before: str | None = None) -> CountedConnection[DataExport]:
        settings, now = info.context.settings, info.context.runtime.clock()
        return await paginate(exports_of(info.context.principal), info=info,
                              convert=lambda row: DataExport.from_model(row, settings, now),
                              first=first, after=after, last=last, before=before,
                              descending=True)

    @strawberry.field(description="Your erasure requests, newest first.")
    async def my_erasure_requests(self, info: strawberry.Info, first: int | None = None,
                                  after: str | None = None, last: int | None = None,
                                  before: str | None = None
                                  ) -> CountedConnection[ErasureRequest]:
        return await paginate(requests_of(info.context.principal), info=info,
                              convert=ErasureRequest.from_model, first=first, after=after,
                              last=last, before=before, descending=True)
