"""The state machine of an incident.

A post that a monitoring rule takes opens an incident (NEW) or joins an open one about
the same problem. The region's monitoring staff react (the incident is routed to a
body by the routing engine: ROUTED, or UNROUTED when no rule decides) or dismiss it
with a reason. The body drafts an answer, a responsible person approves it, and the
publication job posts it from the official account: an interim answer keeps the
incident ROUTED with a longer term, a final one makes it ANSWERED. The author's score
closes it, or, when low, sends it back to ROUTED; with no score it closes after the
satisfaction wait. Open incidents may be merged, split, or become an appeal.
"""

from __future__ import annotations

from enum import StrEnum

from vmeste.platform.incidents.models import IncidentStatus as S


class Action(StrEnum):
    #: Opened by the processing batch from its first post.
    CREATE = "create"
    #: More posts joined (an event, no change of status).
    ATTACH = "attach"
    REACT = "react"
    DISMISS = "dismiss"
    #: Routed by hand (an unrouted incident, or a reroute).
    ROUTE = "route"
    #: The topic confirmed or corrected by an operator.
    SET_TOPIC = "set_topic"
    #: This incident joined another (it becomes MERGED).
    MERGE = "merge"
    #: Another incident joined this one (an event).
    ABSORB = "absorb"
    #: Posts moved out of this incident into a new one (an event).
    SPLIT = "split"
    DRAFT_REPLY = "draft_reply"
    APPROVE_REPLY = "approve_reply"
    REJECT_REPLY = "reject_reply"
    PUBLISH_REPLY = "publish_reply"
    PUBLICATION_FAILED = "publication_failed"
    #: The SLA clock: a reminder of a term running out, and an overdue term escalated.
    REMIND = "remind"
    ESCALATE = "escalate"
    RATE = "rate"
    #: A low score sends the incident back to the body.
    REOPEN = "reopen"
    CLOSE = "close"
    #: It became an appeal.
    CONVERT = "convert"


#: Where an incident is still being worked on.
OPEN = frozenset({S.NEW, S.UNROUTED, S.ROUTED})
FINISHED = frozenset({S.CLOSED, S.DISMISSED, S.MERGED, S.APPEALED})

ALLOWED_FROM: dict[Action, frozenset[S]] = {
    Action.ATTACH: OPEN,
    Action.REACT: frozenset({S.NEW}),
    Action.DISMISS: OPEN,
    Action.ROUTE: frozenset({S.UNROUTED, S.ROUTED}),
    Action.SET_TOPIC: OPEN,
    Action.MERGE: OPEN,
    Action.ABSORB: OPEN,
    Action.SPLIT: OPEN,
    Action.DRAFT_REPLY: frozenset({S.ROUTED}),
    Action.APPROVE_REPLY: frozenset({S.ROUTED}),
    Action.REJECT_REPLY: frozenset({S.ROUTED}),
    #: A reply approved before the incident moved on is still published once.
    Action.PUBLISH_REPLY: frozenset({S.ROUTED, S.ANSWERED}),
    Action.PUBLICATION_FAILED: frozenset({S.ROUTED, S.ANSWERED}),
    Action.REMIND: OPEN,
    Action.ESCALATE: OPEN,
    Action.RATE: frozenset({S.ANSWERED}),
    Action.REOPEN: frozenset({S.ANSWERED}),
    Action.CLOSE: frozenset({S.ANSWERED}),
    Action.CONVERT: OPEN,
}
