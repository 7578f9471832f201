"""What a voter asks after casting: whether they voted (and may still replace their
ballot), and, as anyone may, whether a receipt is on the sealed bulletin board."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vmeste.platform.errors import DomainError, ErrorCode, Unauthenticated
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.runtime import Runtime
from vmeste.platform.votes import board
from vmeste.platform.votes.admission import is_open, vote_of
from vmeste.platform.votes.casting import links_for
from vmeste.platform.votes.models import Ballot, BallotChannel, VoteParticipation

RECEIPT = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ParticipationStatus:
    voted: bool
    channel: BallotChannel | None = None
    #: An online ballot of a vote with revoting, still open, not held in quarantine.
    can_revote: bool = False


async def participation_status(runtime: Runtime, principal: Principal, vote_id: int
                               ) -> ParticipationStatus:
    """The signed-in person's own participation in a vote (a frontend's "you voted")."""
    user = principal.user
    if user is None:
        raise Unauthenticated()
    vote = await vote_of(principal, vote_id)
    channel = await VoteParticipation.filter(vote_id=vote.id, user_id=user.id
                                             ).values_list("channel", flat=True)
    if not channel:
        return ParticipationStatus(voted=False)
    voted = BallotChannel(channel[0])
    revote = (voted is BallotChannel.ONLINE and vote.allow_revote
              and is_open(vote, runtime.clock()))
    if revote:
        voter_key = links_for(runtime.settings, vote, user).voter_key
        revote = await Ballot.filter(voter_key=voter_key, quarantine_id=None).exists()
    return ParticipationStatus(voted=True, channel=voted, can_revote=revote)


async def receipt_inclusion(principal: Principal, vote_id: int, receipt: str
                            ) -> board.Inclusion:
    """Whether ``receipt`` is on the vote's board, with its proof; not before closing
    (there is no board yet). Open to anyone who sees the vote: a receipt says nothing
    of its content."""
    receipt = receipt.strip().lower()
    if not RECEIPT.fullmatch(receipt):
        raise DomainError.of("receipt", _("A receipt is 64 hexadecimal characters"),
                             ErrorCode.INVALID)
    return await board.inclusion(await vote_of(principal, vote_id), receipt)
