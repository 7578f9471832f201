"""The state machines of a hearing and of a direct line.

A hearing moves through the statutory stages in order (art. 5.1 part 4): the notice,
the draft published with its exposition open (proposals are taken then), the meeting
for a public hearing, the protocol, the conclusion, and its official publication. The
scheduler takes a stage's step when its dates say so; the organiser may take it by
hand. A direct line collects questions once announced, goes live, and finishes.
"""

from __future__ import annotations

from enum import StrEnum

from vmeste.platform.hearings.line_models import LineStatus as L
from vmeste.platform.hearings.models import HearingStatus as S


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    #: The notice is published and the stages' dates are fixed.
    ANNOUNCE = "announce"
    #: The draft is published and the exposition opens: proposals are taken.
    OPEN_EXPOSITION = "open_exposition"
    #: A public hearing's meeting (proposals are taken there too).
    HOLD_MEETING = "hold_meeting"
    #: Proposals end; the protocol is prepared.
    CLOSE_PROPOSALS = "close_proposals"
    #: The protocol is signed; the conclusion is prepared.
    SIGN_PROTOCOL = "sign_protocol"
    #: The conclusion is officially published: the procedure ends.
    PUBLISH = "publish"
    CANCEL = "cancel"
    #: A new version of the draft (an event on the hearing, no change of stage).
    ADD_VERSION = "add_version"


#: Where proposals are taken (online, in writing, at the meeting).
TAKING_PROPOSALS = frozenset({S.EXPOSITION, S.MEETING})
FINISHED = frozenset({S.PUBLISHED, S.CANCELLED})

ALLOWED_FROM: dict[Action, frozenset[S]] = {
    Action.UPDATE: frozenset({S.DRAFT}),
    Action.ANNOUNCE: frozenset({S.DRAFT}),
    Action.OPEN_EXPOSITION: frozenset({S.NOTICE}),
    Action.HOLD_MEETING: frozenset({S.EXPOSITION}),
    Action.CLOSE_PROPOSALS: TAKING_PROPOSALS,
    Action.SIGN_PROTOCOL: frozenset({S.PROTOCOL}),
    Action.PUBLISH: frozenset({S.CONCLUSION}),
    Action.CANCEL: frozenset(set(S) - FINISHED),
    Action.ADD_VERSION: frozenset({S.DRAFT, S.NOTICE, S.EXPOSITION, S.MEETING}),
}


class LineAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    ANNOUNCE = "announce"
    START = "start"
    FINISH = "finish"
    CANCEL = "cancel"
    #: The unanswered questions became appeals (an event, no change of status).
    HAND_OVER = "hand_over"
    #: Questions stopped being taken at questionsCloseAt (an event of the line clock).
    CLOSE_QUESTIONS = "close_questions"
    #: Events about one question (or a merge), kept in the line history: they feed the
    #: notifications of the authors.
    PUBLISH_QUESTION = "publish_question"
    REJECT_QUESTION = "reject_question"
    MERGE_QUESTIONS = "merge_questions"
    ANSWER_QUESTION = "answer_question"


#: Where questions are moderated, supported and merged (sent: COLLECTING only).
LINE_OPEN = frozenset({L.COLLECTING, L.LIVE})


LINE_ALLOWED_FROM: dict[LineAction, frozenset[L]] = {
    LineAction.UPDATE: frozenset({L.DRAFT, L.COLLECTING}),
    LineAction.ANNOUNCE: frozenset({L.DRAFT}),
    LineAction.START: frozenset({L.COLLECTING}),
    LineAction.FINISH: frozenset({L.LIVE}),
    LineAction.CANCEL: frozenset({L.DRAFT, L.COLLECTING}),
    LineAction.HAND_OVER: frozenset({L.FINISHED}),
    LineAction.CLOSE_QUESTIONS: frozenset({L.COLLECTING}),
    LineAction.PUBLISH_QUESTION: LINE_OPEN,
    LineAction.REJECT_QUESTION: LINE_OPEN,
    LineAction.MERGE_QUESTIONS: LINE_OPEN,
    LineAction.ANSWER_QUESTION: frozenset({L.LIVE}),
}
