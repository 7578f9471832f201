"""How a poll takes steps (the platform's step shape, :mod:`vmeste.platform.steps`)."""

from __future__ import annotations

from vmeste.platform.i18n import N_
from vmeste.platform.polls.lifecycle import ALLOWED_FROM
from vmeste.platform.polls.models import Poll, PollEvent
from vmeste.platform.steps import Steps

#: The outbox topic of a poll's history.
POLL_EVENTS = "poll.events"
MUTABLE_FIELDS = ("status", "opened_at", "closed_at", "published_at", "next_check_at")
PUBLIC = frozenset({"total_responses"})

POLL_STEPS: Steps[Poll] = Steps(
    component="polls", subject="poll", model=Poll, event=PollEvent, topic=POLL_EVENTS,
    fields=MUTABLE_FIELDS, allowed=ALLOWED_FROM, public=PUBLIC,
    not_found=N_("Poll not found"),
    conflict=N_("The poll was just changed; reload it and try again"))
