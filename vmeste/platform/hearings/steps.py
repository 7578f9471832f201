"""How hearings and direct lines take steps (the platform's step shape,
:mod:`vmeste.platform.steps`)."""

from __future__ import annotations

from vmeste.platform.hearings.lifecycle import ALLOWED_FROM, LINE_ALLOWED_FROM
from vmeste.platform.hearings.line_models import DirectLine, DirectLineEvent
from vmeste.platform.hearings.models import Hearing, HearingEvent
from vmeste.platform.i18n import N_
from vmeste.platform.steps import Steps

#: The outbox topics of the two histories (their notifications).
HEARING_EVENTS = "hearing.events"
LINE_EVENTS = "direct_line.events"

HEARING_STEPS: Steps[Hearing] = Steps(
    component="hearings", subject="hearing", model=Hearing, event=HearingEvent,
    topic=HEARING_EVENTS,
    fields=("status", "schedule", "next_check_at", "notice_published_at",
            "notice_published_where", "published_at", "published_where", "cancel_reason"),
    allowed=ALLOWED_FROM, public=frozenset({"stage", "version", "document_id", "sha256"}),
    not_found=N_("Hearing not found"),
    conflict=N_("The hearing was just changed; reload it and try again"))

LINE_STEPS: Steps[DirectLine] = Steps(
    component="hearings", subject="line", model=DirectLine, event=DirectLineEvent,
    topic=LINE_EVENTS,
    fields=("status", "next_check_at", "announced_at", "started_at", "finished_at"),
    allowed=LINE_ALLOWED_FROM,
    public=frozenset({"appeals", "questions", "question_id", "question_ids", "target_id"}),
    not_found=N_("Direct line not found"),
    conflict=N_("The direct line was just changed; reload it and try again"))
