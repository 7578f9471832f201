"""The GraphQL type of a proposal on a hearing's draft."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay

from vmeste.platform.hearings import models
from vmeste.platform.hearings.proposals import may_read_all, visible_proposals
from vmeste.schema.attachments.types import FILES, AttachmentNode
from vmeste.schema.compiled.declare import backed_by, to_one
from vmeste.schema.hearings.draft_types import DraftSection
from vmeste.schema.hearings.participant_types import ParticipantClass, ProposalChannel

ProposalStatus = strawberry.enum(models.ProposalStatus, name="HearingProposalStatus")
Recommendation = strawberry.enum(models.Recommendation, name="HearingRecommendation")


@backed_by(models.Proposal)
@strawberry.type(description="A proposal on a hearing's draft. Its author is never shown to "
                             "the public; participantName is for the hearing's organisers, "
                             "staff, moderators and auditors.")
class HearingProposal(relay.Node):
    id: relay.NodeID[int]
    number: int = strawberry.field(description="Its sequence in the hearing (1, 2, …).")
    text: str
    quote: str = strawberry.field(description="The passage of the section it is about.")
    channel: ProposalChannel  # type: ignore[valid-type]
    status: ProposalStatus  # type: ignore[valid-type]
    participant_class: ParticipantClass  # type: ignore[valid-type]
    recommendation: Recommendation | None  # type: ignore[valid-type]
    recommendation_reason: str
    moderation_reason: str
    created_at: datetime
    row: strawberry.Private[models.Proposal]

    @classmethod
    def from_model(cls, row: models.Proposal) -> Self:
        return cls(id=row.id, number=row.number, text=row.text, quote=row.quote,
                   channel=row.channel, status=row.status,
                   participant_class=row.participant_class,
                   recommendation=row.recommendation,
                   recommendation_reason=row.recommendation_reason,
                   moderation_reason=row.moderation_reason, created_at=row.created_at, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= 2**31 - 1 else -1
               for raw in node_ids]
        rows = {row.id: row for row in await models.Proposal.filter(
            visible_proposals(info.context.principal), id__in=ids)}
        return [cls.from_model(rows[pk]) if pk in rows else None for pk in ids]

    @strawberry.field(description="The section of the draft version it is anchored to.",
                      metadata=to_one("section"))
    async def section(self, info: strawberry.Info) -> DraftSection | None:
        if self.row.section_id is None:
            return None
        row = await info.context.loaders.draft_section.load(self.row.section_id)
        return DraftSection.from_model(row) if row is not None else None

    @strawberry.field(description="Files sent with the proposal: all of them for callers "
                                  "who read every proposal of the hearing, else only the "
                                  "caller's own (files are not moderated, and a letter's "
                                  "scan shows its author).", metadata=FILES)
    async def attachments(self, info: strawberry.Info) -> list[AttachmentNode]:
        files = await info.context.loaders.proposal_attachments.load(self.row.id)
        principal = info.context.principal
        hearing = await info.context.loaders.proposal_hearing.load(self.row.hearing_id)
        if hearing is not None and may_read_all(principal, hearing):
            return files
        user_id = principal.user.id if principal.user is not None else None
        return [file for file in files if file.row.uploader_id == user_id]

    @strawberry.field(description="The author's name as the protocol gives it; null for "
                                  "callers who do not read every proposal of the hearing.")
    async def participant_name(self, info: strawberry.Info) -> str | None:
        hearing = await info.context.loaders.proposal_hearing.load(self.row.hearing_id)
        if hearing is None or not may_read_all(info.context.principal, hearing):
            return None
        participant = await info.context.loaders.proposal_participant.load(
            self.row.participant_id)
        return participant.display_name if participant is not None else None
