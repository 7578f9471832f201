"""The vote state machine: ``DRAFT → OPEN → CLOSED → RESULTS_PUBLISHED``.

Ballots are not steps (they leave no event, see :mod:`vmeste.platform.votes.models`);
the steps are the organiser's and the watchdog's: opening, closing (by hand or at
``closesAt``), publishing, and the integrity watch's alerts and quarantines.
"""

from __future__ import annotations

from enum import StrEnum

from vmeste.platform.votes.models import VoteStatus as S


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    OPEN = "open"
    CLOSE = "close"
    PUBLISH = "publish"
    #: The integrity watch saw a spike (the organisers are told).
    ALERT = "alert"
    QUARANTINE = "quarantine"
    RELEASE = "release"
    DISMISS_ALERT = "dismiss_alert"


#: Statuses in which ballots may still be held out or let back in: before the results
#: are published, never after.
COUNTING = frozenset({S.OPEN, S.CLOSED})

ALLOWED_FROM: dict[Action, frozenset[S]] = {
    Action.UPDATE: frozenset({S.DRAFT}),
    Action.OPEN: frozenset({S.DRAFT}),
    Action.CLOSE: frozenset({S.OPEN}),
    Action.PUBLISH: frozenset({S.CLOSED}),
    Action.ALERT: frozenset({S.OPEN}),
    Action.QUARANTINE: COUNTING,
    Action.RELEASE: COUNTING,
    Action.DISMISS_ALERT: COUNTING,
}
