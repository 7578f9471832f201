"""Creating and revising procedure templates: federal configurators for the country,
regional administrators for their region."""

from __future__ import annotations

import strawberry
from strawberry import relay

from vmeste.platform.hearings import models, templates
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.hearings.template_queries import template_pk
from vmeste.schema.hearings.template_types import DayUnit, HearingKind, HearingStage
from vmeste.schema.hearings.template_types import ProcedureTemplate as TemplateType


@strawberry.input
class DurationInput:
    min: int
    max: int
    unit: DayUnit = models.DayUnit.CALENDAR_DAYS  # type: ignore[valid-type]


@strawberry.input
class StageRuleInput:
    stage: HearingStage  # type: ignore[valid-type]
    min: int
    max: int
    unit: DayUnit = models.DayUnit.CALENDAR_DAYS  # type: ignore[valid-type]


@strawberry.input
class CreateProcedureTemplateInput:
    code: str
    kind: HearingKind  # type: ignore[valid-type]
    document_type: str
    title: str
    territory_code: str = strawberry.field(description="The country, or a region (or a "
                                                       "municipality in it).")
    stages: list[StageRuleInput]
    total: DurationInput
    legal_basis: str = ""


@strawberry.input
class ReviseProcedureTemplateInput:
    id: relay.GlobalID = strawberry.field(description="Any version of the template.")
    title: str | None = None
    legal_basis: str | None = None
    stages: list[StageRuleInput] | None = None
    total: DurationInput | None = None


@strawberry.type
class ProcedureTemplatePayload:
    template: TemplateType | None
    user_errors: list[UserError]


def _rules(items: list[StageRuleInput]) -> list[templates.StageRule]:
    return [templates.StageRule(str(i.stage.value), i.min, i.max, str(i.unit.value))
            for i in items]


def _duration(value: DurationInput) -> templates.Duration:
    return templates.Duration(value.min, value.max, models.DayUnit(value.unit))


@strawberry.type
class TemplatesMutation:
    @strawberry.mutation(description="The first version of a procedure template on a "
                                     "territory.")
    async def create_procedure_template(self, info: strawberry.Info,
                                        input: CreateProcedureTemplateInput
                                        ) -> ProcedureTemplatePayload:
        data = templates.TemplateInput(
            code=input.code, kind=models.HearingKind(input.kind),
            document_type=input.document_type, title=input.title,
            territory_code=input.territory_code, stages=_rules(input.stages),
            total=_duration(input.total), legal_basis=input.legal_basis)
        row, errors = await run_mutation(templates.create_template(info.context.principal,
                                                                   data))
        return ProcedureTemplatePayload(
            template=TemplateType.from_model(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="A new version of a template (it becomes current); "
                                     "hearings keep the version they started on.")
    async def revise_procedure_template(self, info: strawberry.Info,
                                        input: ReviseProcedureTemplateInput
                                        ) -> ProcedureTemplatePayload:
        async def call() -> models.ProcedureTemplate:
            return await templates.revise_template(
                info.context.principal, template_pk(input.id), templates.TemplateRevision(
                    title=input.title, legal_basis=input.legal_basis,
                    stages=_rules(input.stages) if input.stages is not None else None,
                    total=_duration(input.total) if input.total is not None else None))

        row, errors = await run_mutation(call())
        return ProcedureTemplatePayload(
            template=TemplateType.from_model(row) if row else None, user_errors=errors)
