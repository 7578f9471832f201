"""GraphQL types of a hearing's participants."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from vmeste.platform.hearings import models

ParticipantClass = strawberry.enum(models.ParticipantClass, name="HearingParticipantClass")
ProposalChannel = strawberry.enum(models.ProposalChannel, name="HearingProposalChannel")


@strawberry.type(description="A participant of a hearing, as registered: the class is "
                             "decided once, from the verified profile and the declaration.")
class HearingParticipant:
    id: int
    display_name: str
    participant_class: ParticipantClass  # type: ignore[valid-type]
    channel: ProposalChannel  # type: ignore[valid-type]
    cadastral_number: str = strawberry.field(description="As declared (not checked against "
                                                         "the register).")
    right_document: str
    registered_at: datetime

    @classmethod
    def from_model(cls, row: models.HearingParticipant) -> Self:
        return cls(id=row.id, display_name=row.display_name,
                   participant_class=row.participant_class, channel=row.channel,
                   cadastral_number=row.cadastral_number, right_document=row.right_document,
                   registered_at=row.registered_at)
