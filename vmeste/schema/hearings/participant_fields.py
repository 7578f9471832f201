"""Registering for a hearing, staff entering participants, and one's own registration."""

from __future__ import annotations

import strawberry
from strawberry import relay

from vmeste.platform.hearings import models, participants
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.hearings.draft_context import hearing_pk
from vmeste.schema.hearings.participant_types import (
    HearingParticipant,
    ParticipantClass,
    ProposalChannel,
)


@strawberry.input
class RegisterForHearingInput:
    hearing_id: relay.GlobalID
    cadastral_number: str | None = strawberry.field(
        default=None, description="Of land or a building in the territory (NN:NN:NNNNNNN:N), "
                                  "declared by a right-holder who is not a resident.")
    right_document: str | None = strawberry.field(
        default=None, description="The document of the right: its title and number "
                                  "(required with a cadastral number).")


@strawberry.input
class EnterHearingParticipantInput:
    hearing_id: relay.GlobalID
    display_name: str
    participant_class: ParticipantClass  # type: ignore[valid-type]
    channel: ProposalChannel  # type: ignore[valid-type]


@strawberry.type
class HearingParticipantPayload:
    participant: HearingParticipant | None
    user_errors: list[UserError]


def _payload(row: models.HearingParticipant | None, errors: list[UserError]
             ) -> HearingParticipantPayload:
    return HearingParticipantPayload(
        participant=HearingParticipant.from_model(row) if row else None, user_errors=errors)


@strawberry.type
class ParticipantQuery:
    @strawberry.field(description="The caller's registration for a hearing; null when none.")
    async def my_hearing_participation(self, info: strawberry.Info, hearing_id: relay.GlobalID
                                       ) -> HearingParticipant | None:
        row = await participants.my_participation(info.context.principal, hearing_pk(hearing_id))
        return HearingParticipant.from_model(row) if row is not None else None


@strawberry.type
class ParticipantMutation:
    @strawberry.mutation(description="Register for a hearing (a verified person, once: again "
                                     "returns the first registration). The class is resident, "
                                     "right-holder (a declared cadastral number with its "
                                     "document) or other.")
    async def register_for_hearing(self, info: strawberry.Info, input: RegisterForHearingInput
                                   ) -> HearingParticipantPayload:
        async def call() -> models.HearingParticipant:
            return await participants.register(
                info.context.principal, hearing_pk(input.hearing_id),
                cadastral_number=input.cadastral_number, right_document=input.right_document)

        return _payload(*await run_mutation(call()))

    @strawberry.mutation(description="Enter a participant of the meeting or the author of a "
                                     "letter (the organising body's staff).")
    async def enter_hearing_participant(self, info: strawberry.Info,
                                        input: EnterHearingParticipantInput
                                        ) -> HearingParticipantPayload:
        async def call() -> models.HearingParticipant:
            return await participants.enter_participant(
                info.context.principal, hearing_pk(input.hearing_id), input.display_name,
                models.ParticipantClass(input.participant_class),
                models.ProposalChannel(input.channel))

        return _payload(*await run_mutation(call()))
