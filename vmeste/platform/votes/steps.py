"""How a vote takes steps (the platform's step shape, :mod:`vmeste.platform.steps`)."""

from __future__ import annotations

from vmeste.platform.i18n import N_
from vmeste.platform.steps import Steps
from vmeste.platform.votes.lifecycle import ALLOWED_FROM
from vmeste.platform.votes.models import Vote, VoteEvent

#: The outbox topic of a vote's history (its notifications).
VOTE_EVENTS = "vote.events"
#: What a step may change on the vote row.
MUTABLE_FIELDS = ("status", "opened_at", "closed_at", "published_at", "board_root",
                  "board_size", "next_check_at")
#: Event payload keys plugins hear about: ids, counts, codes and moments.
PUBLIC = frozenset({"territory_code", "minute", "ballots", "baseline", "threshold",
                    "quarantine_id", "alert_id", "board_root", "board_size",
                    "total_ballots"})

VOTE_STEPS: Steps[Vote] = Steps(
    component="votes", subject="vote", model=Vote, event=VoteEvent, topic=VOTE_EVENTS,
    fields=MUTABLE_FIELDS, allowed=ALLOWED_FROM, public=PUBLIC,
    not_found=N_("Vote not found"),
    conflict=N_("The vote was just changed; reload it and try again"))
