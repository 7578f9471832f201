"""GraphQL types of procedure templates and the enums hearings share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay

from vmeste.platform.hearings import models
from vmeste.schema.compiled.declare import backed_by, to_one
from vmeste.schema.reference.types import Territory

HearingKind = strawberry.enum(models.HearingKind, name="HearingKind")
HearingStage = strawberry.enum(models.Stage, name="HearingStage")
DayUnit = strawberry.enum(models.DayUnit, name="DayUnit")


@strawberry.type(description="At least min and at most max units.")
class Duration:
    min: int
    max: int
    unit: DayUnit  # type: ignore[valid-type]


@strawberry.type(description="A stage of a procedure and how long it may last.")
class StageRule:
    stage: HearingStage  # type: ignore[valid-type]
    min: int
    max: int
    unit: DayUnit  # type: ignore[valid-type]


@backed_by(models.ProcedureTemplate)
@strawberry.type(description="One version of a procedure: its stages and their durations. "
                             "Everyone reads templates.")
class ProcedureTemplate(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="Stable across versions.")
    version: int
    current: bool = strawberry.field(description="The newest version of its code on its "
                                                 "territory.")
    kind: HearingKind  # type: ignore[valid-type]
    document_type: str
    title: str
    legal_basis: str
    created_by: str
    created_at: datetime
    row: strawberry.Private[models.ProcedureTemplate]

    @classmethod
    def from_model(cls, row: models.ProcedureTemplate) -> Self:
        return cls(id=row.id, code=row.code, version=row.version, current=row.current,
                   kind=row.kind, document_type=row.document_type, title=row.title,
                   legal_basis=row.legal_basis, created_by=row.created_by,
                   created_at=row.created_at, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= 2**31 - 1 else -1
               for raw in node_ids]
        rows = {row.id: row for row in await models.ProcedureTemplate.filter(id__in=ids)}
        return [cls.from_model(rows[pk]) if pk in rows else None for pk in ids]

    @strawberry.field(description="The country for federal defaults, a region for its law.",
                      metadata=to_one("territory"))
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.row.territory_id)

    @strawberry.field(description="Each stage in order with its duration.")
    def stages(self) -> list[StageRule]:
        return [StageRule(stage=models.Stage(s["stage"]), min=s["min"], max=s["max"],
                          unit=models.DayUnit(s["unit"])) for s in self.row.stages]

    @strawberry.field(description="From the notice to the publication of the conclusion.")
    def total(self) -> Duration:
        total = self.row.total
        return Duration(min=total["min"], max=total["max"], unit=models.DayUnit(total["unit"]))
