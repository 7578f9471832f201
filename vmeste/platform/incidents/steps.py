"""How an incident takes steps (the platform's step shape, :mod:`vmeste.platform.steps`)."""

from __future__ import annotations

from vmeste.platform.i18n import N_
from vmeste.platform.incidents.lifecycle import ALLOWED_FROM
from vmeste.platform.incidents.models import Incident, IncidentEvent
from vmeste.platform.steps import Steps

#: The outbox topic of the incident history (its notifications and the live feed).
INCIDENT_EVENTS = "incident.events"

INCIDENT_STEPS: Steps[Incident] = Steps(
    component="incidents", subject="incident", model=Incident, event=IncidentEvent,
    topic=INCIDENT_EVENTS,
    fields=("status", "topic", "topic_confidence", "topic_confirmed", "territory_id",
            "territory_path", "category_id", "organization_id", "official_page_id", "lemmas",
            "post_count", "first_posted_at", "last_posted_at", "routing", "reaction_due_at",
            "answer_due_at", "answer_from", "answer_in_days", "reacted_at",
            "first_response_at", "first_response_seconds", "answered_at", "reaction_late",
            "answer_late", "reminders", "escalated",
            "next_check_at", "satisfaction", "satisfaction_source", "merged_into_id", "appeal_id"),
    allowed=ALLOWED_FROM,
    public=frozenset({"topic", "organization_id", "category_id", "reply_id", "target_id",
                      "source_id", "post_ids", "score", "stage", "appeal_id", "new_id"}),
    not_found=N_("Incident not found"),
    conflict=N_("The incident was just changed; reload it and try again"))
