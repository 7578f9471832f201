"""Reading hearings: everyone once announced, drafts their organisers and auditors."""

from __future__ import annotations

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from vmeste.platform.hearings import access, models
from vmeste.platform.i18n import _
from vmeste.platform.reference.models import within_territory
from vmeste.schema.compiled.declare import rows
from vmeste.schema.context import Context
from vmeste.schema.errors import global_pk
from vmeste.schema.hearings.hearing_types import Hearing, HearingStatus
from vmeste.schema.pagination import CountedConnection, paginate


def hearing_pk(value: relay.GlobalID, field: str = "id") -> int:
    return global_pk(value, "Hearing", field=field, message=_("This is not a hearing's id"))


def _visible(context: Context) -> QuerySet[models.Hearing]:
    return models.Hearing.filter(access.visible_hearings(context.principal))


async def hearing_rows(context: Context, id: relay.GlobalID) -> QuerySet[models.Hearing]:
    return _visible(context).filter(id=hearing_pk(id))


async def hearings_rows(context: Context,
                        status: list[HearingStatus] | None = None,  # type: ignore[valid-type]
                        territory_code: str | None = None) -> QuerySet[models.Hearing]:
    query = _visible(context)
    if status:
        query = query.filter(status__in=status)
    if territory_code is not None:
        query = query.filter(await within_territory(territory_code))
    return query


@strawberry.type
class HearingsQuery:
    @strawberry.field(description="A hearing by id; null when there is none or it is a draft "
                                  "the caller does not organise or audit.",
                      metadata=rows(hearing_rows, stable=True))
    async def hearing(self, info: strawberry.Info, id: relay.GlobalID) -> Hearing | None:
        row = await (await hearing_rows(info.context, id)).first()
        return Hearing.from_model(row) if row is not None else None

    @strawberry.field(description="Hearings out of draft, and the drafts the caller organises "
                                  "or audits; of a territory and the ones inside it.",
                      metadata=rows(hearings_rows, stable=True, unless=("territoryCode",)))
    async def hearings(
        self, info: strawberry.Info,
        status: list[HearingStatus] | None = None,  # type: ignore[valid-type]
        territory_code: str | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[Hearing]:
        return await paginate(await hearings_rows(info.context, status, territory_code),
                              info=info, convert=Hearing.from_model, first=first, after=after,
                              last=last, before=before)
