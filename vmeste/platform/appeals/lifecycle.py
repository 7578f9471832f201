"""The appeal state machine: which action may move an appeal from which status.

Every action names the statuses it starts from; anything else is an illegal
transition, refused with a typed error by the step shape (:mod:`vmeste.platform.steps`)
before anything is written.
"""

from __future__ import annotations

from enum import StrEnum

from vmeste.platform.appeals.models import AppealStatus as S


class Action(StrEnum):
    SUBMIT = "submit"
    MODERATE = "moderate"
    ROUTE = "route"
    ASSIGN_EXECUTOR = "assign_executor"
    REQUEST_CLARIFICATION = "request_clarification"
    CLARIFY = "clarify"
    ANSWER = "answer"
    RATE = "rate"
    REOPEN = "reopen"
    REDIRECT = "redirect"
    WITHDRAW = "withdraw"
    CONVERT = "convert"
    #: A citizen takes an appeal filed for them into their account (a claim code).
    CLAIM = "claim"
    # Deadline steps: the body's extension, and the watchdog's sweeps.
    EXTEND = "extend"
    REMIND = "remind"
    OVERDUE = "overdue"
    ESCALATE = "escalate"
    CLARIFICATION_REMINDER = "clarification_reminder"
    CLARIFICATION_TIMEOUT = "clarification_timeout"


#: Statuses an appeal can still move out of by the applicant's or staff's hand.
OPEN = frozenset({S.MODERATION, S.UNROUTED, S.ROUTED, S.IN_PROGRESS,
                  S.CLARIFICATION_REQUESTED})
#: Statuses in which a body is working on the appeal.
AT_BODY = frozenset({S.ROUTED, S.IN_PROGRESS})
#: Statuses in which the deadline clock runs (registered, not paused, not answered).
CLOCK_RUNNING = frozenset({S.UNROUTED, S.ROUTED, S.IN_PROGRESS})

ALLOWED_FROM: dict[Action, frozenset[S]] = {
    Action.MODERATE: frozenset({S.MODERATION}),
    Action.ASSIGN_EXECUTOR: AT_BODY,
    Action.REQUEST_CLARIFICATION: AT_BODY,
    Action.CLARIFY: frozenset({S.CLARIFICATION_REQUESTED}),
    Action.ANSWER: AT_BODY,
    Action.RATE: frozenset({S.ANSWERED}),
    Action.REOPEN: frozenset({S.ANSWERED, S.CLOSED}),
    Action.REDIRECT: frozenset({S.UNROUTED, S.ROUTED, S.IN_PROGRESS}),
    Action.WITHDRAW: OPEN,
    Action.CONVERT: OPEN | {S.ANSWERED},
    Action.CLAIM: frozenset(S),
    Action.EXTEND: AT_BODY | {S.CLARIFICATION_REQUESTED},
    Action.REMIND: CLOCK_RUNNING,
    Action.OVERDUE: CLOCK_RUNNING,
    Action.ESCALATE: CLOCK_RUNNING,
    Action.CLARIFICATION_REMINDER: frozenset({S.CLARIFICATION_REQUESTED}),
    Action.CLARIFICATION_TIMEOUT: frozenset({S.CLARIFICATION_REQUESTED}),
}

#: Ratings at or below this send the answer back for rework.
REWORK_RATING = 2
