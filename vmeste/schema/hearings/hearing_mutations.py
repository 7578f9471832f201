"""Organising hearings (create, edit the draft, announce, every stage step, cancel) and
subscribing to them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

import strawberry
from strawberry import relay

from vmeste.platform.hearings import models, subscriptions
from vmeste.platform.hearings.hearings import (
    Announcement,
    HearingChanges,
    HearingInput,
    HearingServices,
)
from vmeste.platform.i18n import _
from vmeste.schema.errors import UserError, global_pk, run_mutation
from vmeste.schema.hearings.hearing_queries import hearing_pk
from vmeste.schema.hearings.hearing_types import Hearing
from vmeste.schema.hearings.template_types import HearingKind, HearingStage


def hearing_services(info: strawberry.Info) -> HearingServices:
    return info.context.runtime.service(HearingServices)


@strawberry.input
class CreateHearingInput:
    title: str
    territory_code: str = strawberry.field(description="The territory the draft concerns.")
    kind: HearingKind  # type: ignore[valid-type]
    document_type: str = strawberry.field(description="master_plan, land_use_rules, "
                                                      "planning_project, conditional_use, "
                                                      "deviation, municipal_act, or a "
                                                      "region's own.")
    organiser_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The organising body (or organiserOgrn).")
    organiser_ogrn: str | None = None
    template_code: str | None = strawberry.field(
        default=None, description="Default: the template of the document type and kind "
                                  "that applies on the territory.")
    description: str = ""
    exposition_place: str = ""
    exposition_hours: str = ""
    meeting_place: str = ""
    meeting_at: datetime | None = None


@strawberry.input
class UpdateHearingInput:
    id: relay.GlobalID
    title: str | None = None
    description: str | None = None
    exposition_place: str | None = None
    exposition_hours: str | None = None
    meeting_place: str | None = None
    meeting_at: datetime | None = None


@strawberry.input
class StageLengthInput:
    stage: HearingStage  # type: ignore[valid-type]
    length: int = strawberry.field(description="In the stage's unit, within its rule.")


@strawberry.input
class AnnounceHearingInput:
    id: relay.GlobalID
    notice_text: str
    published_where: str = strawberry.field(description="Where the notice is officially "
                                                        "published.")
    notice_on: date | None = strawberry.field(
        default=None, description="The notice stage's first day; default today.")
    stage_days: list[StageLengthInput] = strawberry.field(
        default_factory=list, description="Stage lengths chosen within their rules.")


@strawberry.input
class PublishHearingInput:
    id: relay.GlobalID
    where: str = strawberry.field(description="Where the conclusion is officially published.")


@strawberry.input
class CancelHearingInput:
    id: relay.GlobalID
    reason: str


@strawberry.type
class HearingPayload:
    hearing: Hearing | None
    user_errors: list[UserError]


async def _payload(call: Awaitable[models.Hearing]) -> HearingPayload:
    row, errors = await run_mutation(call)
    return HearingPayload(hearing=Hearing.from_model(row) if row else None, user_errors=errors)


async def _step(step: Callable[[int], Awaitable[models.Hearing]], hearing_id: relay.GlobalID
                ) -> HearingPayload:
    async def call() -> models.Hearing:
        return await step(hearing_pk(hearing_id))

    return await _payload(call())


@strawberry.type
class HearingsMutation:
    @strawberry.mutation(description="Create a hearing as a draft: the organising body's "
                                     "administrators, regional administrators of the "
                                     "territory, federal configurators.")
    async def create_hearing(self, info: strawberry.Info, input: CreateHearingInput
                             ) -> HearingPayload:
        async def call() -> models.Hearing:
            organiser_id = (global_pk(input.organiser_id, "Organization", field="organiserId",
                                      message=_("This is not an organization's id"))
                            if input.organiser_id is not None else None)
            return await hearing_services(info).create(info.context.principal, HearingInput(
                title=input.title, territory_code=input.territory_code,
                kind=models.HearingKind(input.kind), document_type=input.document_type,
                organiser_id=organiser_id, organiser_ogrn=input.organiser_ogrn,
                template_code=input.template_code, description=input.description,
                exposition_place=input.exposition_place,
                exposition_hours=input.exposition_hours, meeting_place=input.meeting_place,
                meeting_at=input.meeting_at))

        return await _payload(call())

    @strawberry.mutation(description="Edit a draft hearing.")
    async def update_hearing(self, info: strawberry.Info, input: UpdateHearingInput
                             ) -> HearingPayload:
        changes = HearingChanges(
            title=input.title, description=input.description,
            exposition_place=input.exposition_place, exposition_hours=input.exposition_hours,
            meeting_place=input.meeting_place, meeting_at=input.meeting_at)
        return await _step(lambda pk: hearing_services(info).update(
            info.context.principal, pk, changes), input.id)

    @strawberry.mutation(description="Publish the notice: every stage's dates are fixed on "
                                     "the territory's production calendar.")
    async def announce_hearing(self, info: strawberry.Info, input: AnnounceHearingInput
                               ) -> HearingPayload:
        data = Announcement(notice_text=input.notice_text,
                            published_where=input.published_where, notice_on=input.notice_on,
                            stage_days={str(s.stage.value): s.length for s in input.stage_days})
        return await _step(lambda pk: hearing_services(info).announce(
            info.context.principal, pk, data), input.id)

    @strawberry.mutation(description="Publish the draft and open the exposition (the "
                                     "scheduler does it on its first day).")
    async def open_hearing_exposition(self, info: strawberry.Info, id: relay.GlobalID
                                      ) -> HearingPayload:
        return await _step(lambda pk: hearing_services(info).open_exposition(
            info.context.principal, pk), id)

    @strawberry.mutation(description="Hold a public hearing's meeting; a public discussion "
                                     "has none (ILLEGAL_TRANSITION).")
    async def hold_hearing_meeting(self, info: strawberry.Info, id: relay.GlobalID
                                   ) -> HearingPayload:
        return await _step(lambda pk: hearing_services(info).hold_meeting(
            info.context.principal, pk), id)

    @strawberry.mutation(description="End the proposals; the protocol is prepared.")
    async def close_hearing_proposals(self, info: strawberry.Info, id: relay.GlobalID
                                      ) -> HearingPayload:
        return await _step(lambda pk: hearing_services(info).close_proposals(
            info.context.principal, pk), id)

    @strawberry.mutation(description="The protocol is signed; the conclusion is prepared.")
    async def sign_hearing_protocol(self, info: strawberry.Info, id: relay.GlobalID
                                    ) -> HearingPayload:
        return await _step(lambda pk: hearing_services(info).sign_protocol(
            info.context.principal, pk), id)

    @strawberry.mutation(description="The conclusion's official publication: the procedure "
                                     "ends.")
    async def publish_hearing(self, info: strawberry.Info, input: PublishHearingInput
                              ) -> HearingPayload:
        return await _step(lambda pk: hearing_services(info).publish(
            info.context.principal, pk, input.where), input.id)

    @strawberry.mutation(description="Cancel a hearing that has not ended, with a reason.")
    async def cancel_hearing(self, info: strawberry.Info, input: CancelHearingInput
                             ) -> HearingPayload:
        return await _step(lambda pk: hearing_services(info).cancel(
            info.context.principal, pk, input.reason), input.id)

    @strawberry.mutation(description="Hear of the hearing's stages (signed-in people).")
    async def subscribe_to_hearing(self, info: strawberry.Info, id: relay.GlobalID
                                   ) -> HearingPayload:
        return await _step(lambda pk: subscriptions.subscribe(info.context.principal, pk), id)

    @strawberry.mutation(description="Stop hearing of the hearing's stages.")
    async def unsubscribe_from_hearing(self, info: strawberry.Info, id: relay.GlobalID
                                       ) -> HearingPayload:
        return await _step(lambda pk: subscriptions.unsubscribe(info.context.principal, pk),
                           id)
