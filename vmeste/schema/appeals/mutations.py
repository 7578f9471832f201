"""Every step of an appeal's life, and the configurators' work on competence rules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import strawberry
from strawberry import relay

from vmeste.platform.appeals import models, rules, services
from vmeste.platform.errors import DomainError
from vmeste.platform.i18n import _
from vmeste.schema.appeals.context import appeal_services
from vmeste.schema.appeals.desk_types import AppealContactInput
from vmeste.schema.appeals.queries import appeal_pk
from vmeste.schema.appeals.types import (
    Appeal,
    ApplicantType,
    Channel,
    CompetenceRule,
    LegalTrack,
    RuleConflict,
)
from vmeste.schema.attachments.inputs import attachment_pks
from vmeste.schema.errors import UserError, global_pk, run_mutation, user_errors


@strawberry.type
class AppealPayload:
    appeal: Appeal | None
    user_errors: list[UserError]


@strawberry.input
class SubmitAppealInput:
    text: str
    category_code: str
    channel: Channel = models.Channel.PORTAL  # type: ignore[valid-type]
    territory_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    target_organization_ogrn: str | None = strawberry.field(
        default=None, description="For a widget: the organization whose site holds it.")
    complained_organization_ogrn: str | None = strawberry.field(
        default=None, description="For a complaint: the organization whose actions it is about.")
    legal_track: LegalTrack = models.LegalTrack.MESSAGE  # type: ignore[valid-type]
    idempotency_key: str | None = strawberry.field(
        default=None, description="Sending again with the same key returns the first appeal.")
    on_behalf_of_subject: str | None = strawberry.field(
        default=None, description="The operator channel: the applicant the operator writes for.")
    on_behalf_of_issuer: str | None = None
    contact: AppealContactInput | None = None
    attachment_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Your own unattached uploads (POST /attachments).")


@strawberry.input
class ModerateAppealInput:
    appeal_id: relay.GlobalID
    accept: bool
    reason: str = ""


@strawberry.input(description="The executor: by user id (executorId) or by executorSubject with "
                              "executorIssuer.")
class AssignExecutorInput:
    appeal_id: relay.GlobalID
    executor_id: relay.GlobalID | None = None
    executor_subject: str | None = None
    executor_issuer: str | None = None


@strawberry.input
class AppealTextInput:
    appeal_id: relay.GlobalID
    text: str
    attachment_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Your own unattached uploads (POST /attachments): they "
                                  "join the answer (answerAppeal) or the appeal "
                                  "(clarifyAppeal).")


@strawberry.input
class AppealReasonInput:
    appeal_id: relay.GlobalID
    reason: str = ""


@strawberry.input
class RequestClarificationInput:
    appeal_id: relay.GlobalID
    question: str


@strawberry.input
class RateAnswerInput:
    appeal_id: relay.GlobalID
    rating: int
    comment: str = ""


@strawberry.input
class RedirectAppealInput:
    appeal_id: relay.GlobalID
    organization_ogrn: str
    reason: str
    copy_to: list[str] = strawberry.field(
        default_factory=list, description="OGRNs of the organizations to send a copy to.")


@strawberry.input
class ConvertAppealInput:
    appeal_id: relay.GlobalID
    track: LegalTrack  # type: ignore[valid-type]
    reason: str


@strawberry.input
class ExtendAppealDeadlineInput:
    appeal_id: relay.GlobalID
    days: int = strawberry.field(description="Days to extend by: 1–30.")
    reason: str


@strawberry.input
class CompetenceRuleInput:
    category_code: str = strawberry.field(description="A category or a group of categories.")
    territory_code: str
    organization_ogrn: str
    priority: int = 0
    applicant_type: ApplicantType | None = None  # type: ignore[valid-type]
    channel: Channel | None = None  # type: ignore[valid-type]
    valid_from: date | None = None
    valid_to: date | None = None
    rule_id: int | None = strawberry.field(default=None,
                                           description="Change this rule (as a draft).")
    retire: bool = strawberry.field(default=False,
                                    description="Retire rule rule_id.")


@strawberry.type
class CompetenceRulePayload:
    rule: CompetenceRule | None
    user_errors: list[UserError]


@strawberry.type
class PublishCompetenceRulesPayload:
    published: list[int]
    retired: list[int]
    version: int | None
    conflicts: list[RuleConflict]
    user_errors: list[UserError]


async def _appeal_step(step: Callable[[int], Awaitable[models.Appeal]],
                       appeal_id: relay.GlobalID) -> AppealPayload:
    async def call() -> models.Appeal:
        return await step(appeal_pk(appeal_id))

    row, errors = await run_mutation(call())
    return AppealPayload(appeal=Appeal.from_model(row) if row else None, user_errors=errors)


def _lifecycle(info: strawberry.Info) -> services.AppealServices:
    return appeal_services(info)


@strawberry.type
class AppealsMutation:
    @strawberry.mutation(description="Send a message or an appeal.")
    async def submit_appeal(self, info: strawberry.Info, input: SubmitAppealInput
                            ) -> AppealPayload:
        data = services.SubmitInput(
            text=input.text, category_code=input.category_code, channel=input.channel,
            territory_code=input.territory_code, latitude=input.latitude,
            longitude=input.longitude, address=input.address,
            target_organization_ogrn=input.target_organization_ogrn,
            complained_organization_ogrn=input.complained_organization_ogrn,
            legal_track=input.legal_track, idempotency_key=input.idempotency_key,
            on_behalf_of_subject=input.on_behalf_of_subject,
            on_behalf_of_issuer=input.on_behalf_of_issuer,
            contact=input.contact.details() if input.contact else None)

        async def call() -> models.Appeal:
            data.attachment_ids = attachment_pks(input.attachment_ids)
            return await _lifecycle(info).submit(info.context.principal, data)

        row, errors = await run_mutation(call())
        return AppealPayload(appeal=Appeal.from_model(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Accept an appeal (and route it by the rules) or reject it "
                                     "with a reason.")
    async def moderate_appeal(self, info: strawberry.Info, input: ModerateAppealInput
                              ) -> AppealPayload:
        return await _appeal_step(lambda pk: _lifecycle(info).moderate(
            info.context.principal, pk, accept=input.accept, reason=input.reason),
            input.appeal_id)

    @strawberry.mutation
    async def assign_executor(self, info: strawberry.Info, input: AssignExecutorInput
                              ) -> AppealPayload:
        return await _appeal_step(lambda pk: _lifecycle(info).assign_executor(
            info.context.principal, pk, executor_subject=input.executor_subject,
            executor_issuer=input.executor_issuer,
            executor_id=None if input.executor_id is None else global_pk(
                input.executor_id, "User", field="executorId",
                message=_("This is not a user's id"))), input.appeal_id)

    @strawberry.mutation(description="Ask the applicant for a clarification; the deadline pauses.")
    async def request_clarification(self, info: strawberry.Info,
                                    input: RequestClarificationInput) -> AppealPayload:
        return await _appeal_step(lambda pk: _lifecycle(info).request_clarification(
            info.context.principal, pk, question=input.question), input.appeal_id)

    @strawberry.mutation(description="The applicant's answer to a clarification request.")
    async def clarify_appeal(self, info: strawberry.Info, input: AppealTextInput
                             ) -> AppealPayload:
        return await _appeal_step(lambda pk: _lifecycle(info).clarify(
            info.context.principal, pk, text=input.text,
            attachment_ids=attachment_pks(input.attachment_ids)), input.appeal_id)

    @strawberry.mutation
    async def answer_appeal(self, info: strawberry.Info, input: AppealTextInput
                            ) -> AppealPayload:
        return await _appeal_step(lambda pk: _lifecycle(info).answer(
            info.context.principal, pk, text=input.text,
            attachment_ids=attachment_pks(input.attachment_ids)), input.appeal_id)

    @strawberry.mutation(description="Rate the answer; a rating of 1–2 sends it back for rework.")
    async def rate_answer(self, info: strawberry.Info, input: RateAnswerInput
                          ) -> AppealPayload:
        return await _appeal_step(lambda pk: _lifecycle(info).rate(
            info.context.principal, pk, rating=input.rating, comment=input.comment),
            input.appeal_id)

    @strawberry.mutation(description="Redirect to another organization, giving a reason.")
    async def redirect_appeal(self, info: strawberry.Info, input: RedirectAppealInput
                              ) -> AppealPayload:
        return await _appeal_step(lambda pk: _lifecycle(info).redirect(
            info.context.principal, pk, organization_ogrn=input.organization_ogrn,
            reason=input.reason, copy_to=input.copy_to), input.appeal_id)

    @strawberry.mutation(description="Send the answer back for rework (a supervisor).")
    async def reopen_appeal(self, info: strawberry.Info, input: AppealReasonInput
                            ) -> AppealPayload:
        return await _appeal_step(lambda pk: _lifecycle(info).reopen(
            info.context.principal, pk, reason=input.reason), input.appeal_id)

    @strawberry.mutation(description="Withdraw one's own appeal.")
    async def withdraw_appeal(self, info: strawberry.Info, input: AppealReasonInput
                              ) -> AppealPayload:
        return await _appeal_step(lambda pk: _lifecycle(info).withdraw(
            info.context.principal, pk, reason=input.reason), input.appeal_id)

    @strawberry.mutation(description="Convert a message into a formal appeal under 59-FZ, or back.")
    async def convert_appeal(self, info: strawberry.Info, input: ConvertAppealInput
                             ) -> AppealPayload:
        return await _appeal_step(lambda pk: _lifecycle(info).convert(
            info.context.principal, pk, track=input.track, reason=input.reason),
            input.appeal_id)

    @strawberry.mutation(description="Extend the running deadline of a 59-FZ appeal (once, by up "
                                     "to 30 days, with a reason; the body's management or "
                                     "operator); the applicant is notified.")
    async def extend_appeal_deadline(self, info: strawberry.Info,
                                     input: ExtendAppealDeadlineInput) -> AppealPayload:
        return await _appeal_step(lambda pk: _lifecycle(info).extend(
            info.context.principal, pk, days=input.days, reason=input.reason),
            input.appeal_id)

    @strawberry.mutation(description="Create or change a competence rule (as a draft).")
    async def upsert_competence_rule(self, info: strawberry.Info, input: CompetenceRuleInput
                                     ) -> CompetenceRulePayload:
        data = rules.RuleInput(
            category_code=input.category_code, territory_code=input.territory_code,
            organization_ogrn=input.organization_ogrn, priority=input.priority,
            applicant_type=input.applicant_type, channel=input.channel,
            valid_from=input.valid_from, valid_to=input.valid_to, rule_id=input.rule_id,
            retire=input.retire)
        row, errors = await run_mutation(rules.save_draft(info.context.principal, data))
        return CompetenceRulePayload(rule=CompetenceRule.from_model(row) if row else None,
                                     user_errors=errors)

    @strawberry.mutation(description="Publish all one's drafts at once; when rules tie, nothing "
                                     "changes.")
    async def publish_competence_rules(self, info: strawberry.Info
                                       ) -> PublishCompetenceRulesPayload:
        try:
            result = await rules.publish_rules(info.context.principal)
        except rules.RulesConflict as conflict:
            return PublishCompetenceRulesPayload(
                published=[], retired=[], version=None, user_errors=user_errors(conflict),
                conflicts=[RuleConflict(first_rule_id=a.id, second_rule_id=b.id,
                                        message=e.message)
                           for (a, b), e in zip(conflict.ties, conflict.errors, strict=True)])
        except DomainError as error:
            return PublishCompetenceRulesPayload(published=[], retired=[], version=None,
                                                 conflicts=[], user_errors=user_errors(error))
        appeal_services(info).router.table.invalidate()
        return PublishCompetenceRulesPayload(
            published=result.published, retired=result.retired, version=result.version,
            conflicts=[], user_errors=[])
