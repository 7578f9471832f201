"""Listing a hearing's proposals (a compiled read), submitting, entering, moderating them
and recording the organiser's recommendations."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from vmeste.platform.hearings import models, proposals, recommendations
from vmeste.platform.i18n import _
from vmeste.schema.attachments.inputs import files
from vmeste.schema.compiled.declare import rows
from vmeste.schema.context import Context
from vmeste.schema.errors import UserError, global_pk, run_mutation
from vmeste.schema.hearings.draft_context import hearing_pk, now, resolver
from vmeste.schema.hearings.participant_types import ParticipantClass, ProposalChannel
from vmeste.schema.hearings.proposal_types import (
    HearingProposal,
    ProposalStatus,
    Recommendation,
)
from vmeste.schema.pagination import CountedConnection, paginate


@strawberry.enum(name="HearingModerationDecision")
class ModerationDecision(Enum):
    PUBLISH = "publish"
    REJECT = "reject"


def proposal_pk(value: relay.GlobalID, field: str = "id") -> int:
    return global_pk(value, "HearingProposal", field=field,
                     message=_("This is not a proposal's id"))


async def hearing_proposals_rows(
        context: Context, hearing_id: relay.GlobalID,
        status: ProposalStatus | None = None,  # type: ignore[valid-type]
        participant_class: ParticipantClass | None = None,  # type: ignore[valid-type]
) -> QuerySet[models.Proposal]:
    return proposals.readable_proposals(
        context.principal, hearing_pk(hearing_id), status=status,
        participant_class=participant_class)


@strawberry.input
class SubmitHearingProposalInput:
    hearing_id: relay.GlobalID
    text: str
    section_id: int | None = strawberry.field(
        default=None, description="A section of the current published version.")
    quote: str | None = strawberry.field(default=None,
                                         description="A passage of that section.")
    attachment_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Your own unattached uploads (POST /attachments).")


@strawberry.input(description="A participant entered with the proposal.")
class NewHearingParticipantInput:
    display_name: str
    participant_class: ParticipantClass  # type: ignore[valid-type]


@strawberry.input(description="Give participantId or participant.")
class RecordHearingProposalInput:
    hearing_id: relay.GlobalID
    channel: ProposalChannel  # type: ignore[valid-type]
    text: str
    participant_id: int | None = None
    participant: NewHearingParticipantInput | None = None
    section_id: int | None = None
    attachment_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Your own unattached uploads: the letter's scans.")


@strawberry.input
class ModerateHearingProposalInput:
    id: relay.GlobalID
    decision: ModerationDecision
    reason: str = strawberry.field(default="", description="Required to reject.")


@strawberry.input
class RecommendHearingProposalInput:
    id: relay.GlobalID
    recommendation: Recommendation  # type: ignore[valid-type]
    reason: str


@strawberry.type
class HearingProposalPayload:
    proposal: HearingProposal | None
    user_errors: list[UserError]


def _payload(row: models.Proposal | None, errors: list[UserError]) -> HearingProposalPayload:
    return HearingProposalPayload(proposal=HearingProposal.from_model(row) if row else None,
                                  user_errors=errors)


@strawberry.type
class ProposalQuery:
    @strawberry.field(description="A hearing's proposals by number: the published ones for "
                                  "everyone, all of them for its organisers, staff, "
                                  "moderators and auditors.",
                      metadata=rows(hearing_proposals_rows, stable=True))
    async def hearing_proposals(
        self, info: strawberry.Info, hearing_id: relay.GlobalID,
        status: ProposalStatus | None = None,  # type: ignore[valid-type]
        participant_class: ParticipantClass | None = None,  # type: ignore[valid-type]
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[HearingProposal]:
        query = await hearing_proposals_rows(info.context, hearing_id, status,
                                             participant_class)
        return await paginate(query, info=info, convert=HearingProposal.from_model,
                              first=first, after=after, last=last, before=before)


@strawberry.type
class ProposalMutation:
    @strawberry.mutation(description="Submit a proposal while the hearing takes them (a first "
                                     "proposal registers its author).")
    async def submit_hearing_proposal(self, info: strawberry.Info,
                                      input: SubmitHearingProposalInput
                                      ) -> HearingProposalPayload:
        async def call() -> models.Proposal:
            return await proposals.submit(
                info.context.principal, resolver(info), hearing_pk(input.hearing_id),
                proposals.ProposalInput(input.text, input.section_id, input.quote,
                                        files(info, input.attachment_ids)),
                now=now(info))

        return _payload(*await run_mutation(call()))

    @strawberry.mutation(description="Enter a proposal made at the meeting or in writing (the "
                                     "organising body's staff).")
    async def record_hearing_proposal(self, info: strawberry.Info,
                                      input: RecordHearingProposalInput
                                      ) -> HearingProposalPayload:
        async def call() -> models.Proposal:
            new = input.participant
            entry = proposals.StaffEntry(
                channel=models.ProposalChannel(input.channel),
                proposal=proposals.ProposalInput(input.text, input.section_id,
                                                 files=files(info, input.attachment_ids)),
                participant_id=input.participant_id,
                name=new.display_name if new else "",
                participant_class=models.ParticipantClass(new.participant_class)
                if new else None)
            return await proposals.record_entry(info.context.principal, resolver(info),
                                                hearing_pk(input.hearing_id), entry,
                                                now=now(info))

        return _payload(*await run_mutation(call()))

    @strawberry.mutation(description="Publish or reject a proposal (the territory's "
                                     "moderators); a rejection needs its reason.")
    async def moderate_hearing_proposal(self, info: strawberry.Info,
                                        input: ModerateHearingProposalInput
                                        ) -> HearingProposalPayload:
        async def call() -> models.Proposal:
            return await proposals.decide(
                info.context.principal, proposal_pk(input.id),
                publish=input.decision is ModerationDecision.PUBLISH, reason=input.reason,
                now=now(info))

        return _payload(*await run_mutation(call()))

    @strawberry.mutation(description="Record the organiser's reasoned recommendation on a "
                                     "published proposal, while the protocol or the "
                                     "conclusion is prepared.")
    async def recommend_hearing_proposal(self, info: strawberry.Info,
                                         input: RecommendHearingProposalInput
                                         ) -> HearingProposalPayload:
        async def call() -> models.Proposal:
            return await recommendations.recommend(
                info.context.principal, proposal_pk(input.id),
                models.Recommendation(input.recommendation), input.reason, now=now(info))

        return _payload(*await run_mutation(call()))
