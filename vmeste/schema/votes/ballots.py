"""Casting ballots (online and on paper), checking a receipt, and one's own
participation: the ballots' part of the votes schema."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from strawberry import relay

from vmeste.platform.votes import casting, merkle, models, paper, voters
from vmeste.platform.votes.methods import Choice
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.votes.queries import option_pk, vote_pk

BallotChannel = strawberry.enum(models.BallotChannel, name="BallotChannel")
ProofSide = strawberry.enum(merkle.Side, name="ProofSide")


def _vote_pk(value: relay.GlobalID) -> int:
    return vote_pk(value, field="voteId")


@strawberry.type(description="A ballot as its voter (or the operator who recorded it) sees "
                             "it: an id and the receipt to keep. The receipt is on the "
                             "bulletin board once the vote closes (verifyReceipt).")
class Ballot:
    id: strawberry.ID
    receipt: str

    @classmethod
    def from_model(cls, row: models.Ballot) -> Ballot:
        return cls(id=strawberry.ID(str(row.id)), receipt=row.receipt)


@strawberry.type
class BallotPayload:
    ballot: Ballot | None
    user_errors: list[UserError]


@strawberry.input(description="One line of a ballot: an option and, for a cumulative vote, "
                              "the points given to it.")
class BallotChoiceInput:
    option_id: relay.GlobalID
    points: int | None = None


@strawberry.input
class CastBallotInput:
    vote_id: relay.GlobalID
    choices: list[BallotChoiceInput]
    idempotency_key: str | None = strawberry.field(
        default=None, description="Sending again with the same key returns the first ballot "
                                  "(its id and receipt), even if the choices differ: a retry "
                                  "is the same request again, not a new choice.")


@strawberry.input(description="A paper or assisted ballot of an identified person, recorded "
                              "by an operator.")
class RecordPaperBallotInput:
    vote_id: relay.GlobalID
    voter_subject: str
    choices: list[BallotChoiceInput]
    voter_issuer: str | None = strawberry.field(
        default=None, description="The person's identity provider; the operator's own by "
                                  "default.")


def _choices(lines: list[BallotChoiceInput]) -> list[Choice]:
    return [Choice(option_pk(line.option_id, field="choices"), line.points) for line in lines]


async def _ballot(call: Callable[[], Awaitable[models.Ballot]]) -> BallotPayload:
    async def run() -> models.Ballot:
        return await call()

    row, errors = await run_mutation(run())
    return BallotPayload(ballot=Ballot.from_model(row) if row else None, user_errors=errors)


@strawberry.type
class ProofStep:
    hash: str
    side: ProofSide  # type: ignore[valid-type]


@strawberry.type(description="Whether a receipt is on a closed vote's bulletin board, and "
                             "the proof: node = sha256(0x00 ‖ the receipt's 32 bytes), then "
                             "for each step node = sha256(0x01 ‖ left ‖ right) with the "
                             "step's hash on its side, and compare with the root.")
class ReceiptVerification:
    included: bool
    root: str | None = strawberry.field(description="The board's Merkle root; null before the "
                                                    "vote closes.")
    proof: list[ProofStep]
    index: int | None = strawberry.field(description="The receipt's place on the board, "
                                                     "from 0.")


@strawberry.type(description="Whether the signed-in person took part in a vote.")
class VoteParticipationStatus:
    voted: bool
    channel: BallotChannel | None  # type: ignore[valid-type]
    can_revote: bool = strawberry.field(description="Their online ballot may still be "
                                                    "replaced (the vote allows revoting).")


@strawberry.type
class BallotsMutation:
    @strawberry.mutation(description="Cast one's ballot. Codes: NOT_ELIGIBLE, ALREADY_VOTED, "
                                     "VOTE_NOT_OPEN and the method's (TOO_MANY_CHOICES, "
                                     "TOO_FEW_CHOICES, BUDGET_EXCEEDED, BUDGET_SHARE_TOO_LOW, "
                                     "INVALID_POINTS, UNKNOWN_OPTION). Where the vote allows "
                                     "revoting, a new ballot replaces the last one.")
    async def cast_ballot(self, info: strawberry.Info, input: CastBallotInput
                          ) -> BallotPayload:
        context = info.context
        return await _ballot(lambda: casting.cast(
            context.runtime, context.principal, _vote_pk(input.vote_id),
            _choices(input.choices), input.idempotency_key))

    @strawberry.mutation(description="Record a person's paper or assisted ballot (operators of "
                                     "organizations in the vote's territory, its regional "
                                     "administrators); the receipt is for the voter. The "
                                     "person cannot then vote online, nor the other way round.")
    async def record_paper_ballot(self, info: strawberry.Info, input: RecordPaperBallotInput
                                  ) -> BallotPayload:
        context = info.context
        return await _ballot(lambda: paper.record_paper_ballot(
            context.runtime, context.principal, _vote_pk(input.vote_id), input.voter_issuer,
            input.voter_subject, _choices(input.choices)))


@strawberry.type
class BallotsQuery:
    @strawberry.field(description="Whether a receipt is on a closed vote's bulletin board, with "
                                  "its inclusion proof; open to anyone.")
    async def verify_receipt(self, info: strawberry.Info, vote_id: relay.GlobalID,
                             receipt: str) -> ReceiptVerification:
        found = await voters.receipt_inclusion(info.context.principal, _vote_pk(vote_id),
                                               receipt)
        return ReceiptVerification(
            included=found.included, root=found.root, index=found.index,
            proof=[ProofStep(hash=step.hash, side=step.side) for step in found.proof])

    @strawberry.field(description="The signed-in person's participation in a vote.")
    async def my_vote_participation(self, info: strawberry.Info, vote_id: relay.GlobalID
                                    ) -> VoteParticipationStatus:
        context = info.context
        status = await voters.participation_status(context.runtime, context.principal,
                                                   _vote_pk(vote_id))
        return VoteParticipationStatus(voted=status.voted, channel=status.channel,
                                       can_revote=status.can_revote)
