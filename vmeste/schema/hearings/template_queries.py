"""Reading procedure templates (everyone may)."""

from __future__ import annotations

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from vmeste.platform.hearings import models
from vmeste.platform.hearings.templates import ensure_federal
from vmeste.platform.i18n import _
from vmeste.platform.reference.models import within_territory
from vmeste.schema.compiled.declare import rows
from vmeste.schema.context import Context
from vmeste.schema.errors import global_pk
from vmeste.schema.hearings.template_types import ProcedureTemplate
from vmeste.schema.pagination import CountedConnection, paginate


def template_pk(value: relay.GlobalID, field: str = "id") -> int:
    return global_pk(value, "ProcedureTemplate", field=field,
                     message=_("This is not a procedure template's id"))


async def template_rows(context: Context, id: relay.GlobalID
                        ) -> QuerySet[models.ProcedureTemplate]:
    await ensure_federal()
    return models.ProcedureTemplate.filter(id=template_pk(id))


async def templates_rows(context: Context, territory_code: str | None = None,
                         document_type: str | None = None, current: bool = True
                         ) -> QuerySet[models.ProcedureTemplate]:
    await ensure_federal()
    query = models.ProcedureTemplate.all()
    if current:
        query = query.filter(current=True)
    if document_type is not None:
        query = query.filter(document_type=document_type)
    if territory_code is not None:
        query = query.filter(await within_territory(territory_code))
    return query


@strawberry.type
class TemplatesQuery:
    @strawberry.field(description="A procedure template version by id.",
                      metadata=rows(template_rows))
    async def procedure_template(self, info: strawberry.Info, id: relay.GlobalID
                                 ) -> ProcedureTemplate | None:
        row = await (await template_rows(info.context, id)).first()
        return ProcedureTemplate.from_model(row) if row is not None else None

    @strawberry.field(description="Procedure templates (the current versions unless "
                                  "current is false), of a territory and the ones inside it.",
                      metadata=rows(templates_rows))
    async def procedure_templates(
        self, info: strawberry.Info, territory_code: str | None = None,
        document_type: str | None = None, current: bool = True,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[ProcedureTemplate]:
        return await paginate(
            await templates_rows(info.context, territory_code, document_type, current),
            info=info, convert=ProcedureTemplate.from_model, first=first, after=after,
            last=last, before=before)
