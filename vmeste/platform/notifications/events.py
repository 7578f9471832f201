"""Which appeal steps are worth telling someone about, and whom.

A notification event is named after the appeal event's action (and, for moderation
and routing, the status it led to); the deadline actions map one to one.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Audience(StrEnum):
    APPLICANT = "applicant"
    #: Operators and administrators of the responsible body, and its executor.
    BODY = "body"
    #: Only the executor assigned to the appeal.
    EXECUTOR = "executor"
    #: Staff of the body an overdue appeal is escalated to.
    SUPERVISOR = "supervisor"


A, B, X, S = Audience.APPLICANT, Audience.BODY, Audience.EXECUTOR, Audience.SUPERVISOR

#: Every notification event and who hears about it. The body's webhooks hear them all.
EVENTS: dict[str, frozenset[Audience]] = {
    "submitted": frozenset({A}),
    #: The applicant's receipt when an operator filed the appeal in their name.
    "filed_on_behalf": frozenset({A}),
    "rejected": frozenset({A}),
    "routed": frozenset({A, B}),
    "redirected": frozenset({A, B}),
    "executor_assigned": frozenset({A, X}),
    "clarification_requested": frozenset({A}),
    "clarified": frozenset({B}),
    "answered": frozenset({A}),
    "rated": frozenset({B}),
    "reopened": frozenset({A, B}),
    "withdrawn": frozenset({B}),
    "converted": frozenset({A, B}),
    "extended": frozenset({A}),
    "reminder": frozenset({B}),
    "overdue": frozenset({B}),
    "escalated": frozenset({S}),
    "clarification_reminder": frozenset({A}),
    "clarification_timeout": frozenset({A, B}),
}

#: Preferences may name one event or all of them.
ALL_EVENTS = "*"

_BY_ACTION = {
    "submit": "submitted",
    "redirect": "redirected",
    "assign_executor": "executor_assigned",
    "request_clarification": "clarification_requested",
    "clarify": "clarified",
    "answer": "answered",
    "rate": "rated",
    "reopen": "reopened",
    "withdraw": "withdrawn",
    "convert": "converted",
    "extend": "extended",
    "remind": "reminder",
    "overdue": "overdue",
    "escalate": "escalated",
    "clarification_reminder": "clarification_reminder",
    "clarification_timeout": "clarification_timeout",
}


def event_name(action: str, to_status: str, payload: Mapping[str, Any] | None = None
               ) -> str | None:
    """The notification event of an appeal event, or None when nobody is told: an
    accepting moderation verdict (routing follows at once) and a fallback to the
    moderation queue (the applicant already heard "submitted")."""
    if action == "submit" and (payload or {}).get("channel") == "operator":
        return "filed_on_behalf"
    if action == "moderate":
        return "rejected" if to_status == "rejected" else None
    if action == "route":
        return "routed" if to_status == "routed" else None
    return _BY_ACTION.get(action)
