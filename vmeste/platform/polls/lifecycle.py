"""The poll state machine: ``DRAFT → OPEN → CLOSED → RESULTS_PUBLISHED``; a free-text
answer's moderation is not a poll step but its own record."""

from __future__ import annotations

from enum import StrEnum

from vmeste.platform.polls.models import PollStatus as S


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    OPEN = "open"
    CLOSE = "close"
    PUBLISH = "publish"


ALLOWED_FROM: dict[Action, frozenset[S]] = {
    Action.UPDATE: frozenset({S.DRAFT}),
    Action.OPEN: frozenset({S.DRAFT}),
    Action.CLOSE: frozenset({S.OPEN}),
    Action.PUBLISH: frozenset({S.CLOSED}),
}
