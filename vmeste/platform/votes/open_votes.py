"""Open votes as casting reads them, kept per process for a moment.

Hundreds of ballots a second in one vote would otherwise read the same vote row, its
territory and its options for every ballot. Once a vote is open its rules and options
no longer change (only a draft is edited), and whether it still takes ballots is
checked again under the row lock inside the ballot's transaction
(:func:`vmeste.platform.votes.locks.hold_open`), which also refreshes the kept row's
schedule. So a kept vote is never wrong about what matters, and a closed one is refused
from the next ballot on. Only open, public votes are kept (their visibility is
everyone's); anything else is read each time, as :func:`admission.vote_of` does.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vmeste.platform.identity.principal import Principal
from vmeste.platform.votes.admission import option_rows, vote_of
from vmeste.platform.votes.models import Vote, VoteStatus

#: Open votes kept at once: a national vote is one, a region's campaign a few hundred.
KEPT = 1024


@dataclass
class OpenVotes:
    #: How long a vote is kept (``VMESTE_POLICY_CACHE_SECONDS``); 0 keeps none.
    seconds: float = 2.0
    clock: Callable[[], float] = time.monotonic
    _kept: OrderedDict[int, tuple[float, Vote, list[dict[str, Any]]]] = field(
        default_factory=OrderedDict)

    async def get(self, principal: Principal, vote_id: int
                  ) -> tuple[Vote, list[dict[str, Any]]]:
        """The vote (with its territory) and its options' ``id``, ``cost`` and
        ``territory_path``."""
        now = self.clock()
        kept = self._kept.get(vote_id)
        if kept is not None and kept[0] > now and kept[1].status == VoteStatus.OPEN:
            return kept[1], kept[2]
        vote = await vote_of(principal, vote_id)
        rows = await option_rows(vote)
        if self.seconds > 0 and vote.status == VoteStatus.OPEN and not vote.is_template:
            self._kept[vote_id] = (now + self.seconds, vote, rows)
            self._kept.move_to_end(vote_id)
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return vote, rows
