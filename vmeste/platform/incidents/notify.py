"""Which incident steps staff hear about, and in what words.

A new incident tells the monitoring staff of its territory, who triage it; routing
tells the body's staff, who answer. The clock's reminders and escalations tell
whoever the running term waits for: the body's staff, or, before there is a body,
the territory's monitoring staff. An escalation also tells the body's responsible
person (``org_admin``) and the region's monitoring centre. A reopened incident goes
back to the body's staff. Whoever took the step is not told about it, and the
authors of the posts, who are no users of the platform, hear through the published
answers only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.queryset import ValuesListQuery

from vmeste.platform.i18n import translate
from vmeste.platform.identity.models import Role, RoleAssignment, User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.incidents.access import APPROVERS, MONITORS, visible_incidents
from vmeste.platform.incidents.lifecycle import Action
from vmeste.platform.incidents.models import Incident, IncidentEvent, IncidentStatus
from vmeste.platform.notifications.subjects import (
    EventSpec,
    LoadedSubject,
    NotificationSubject,
    Recipient,
    SubjectEvent,
)
from vmeste.platform.publics.topics import NAMES as TOPICS
from vmeste.platform.publics.topics import OTHER
from vmeste.platform.reference.models import (
    PATH_SEPARATOR,
    Organization,
    Territory,
    TerritoryKind,
)

SUBJECT_TYPE = "incident"
#: The body's staff who draft the answers.
ANSWERERS = (Role.OPERATOR, Role.EXECUTOR)

MONITORING, BODY, RESPONSIBLE, REGION = "monitors", "body", "responsible", "region"
AUDIENCES = {
    MONITORING: "The monitoring staff (moderators, regional administrators) of the "
                "incident's territory or a territory above it.",
    BODY: "Operators and executors of the body the incident is routed to; before it is "
          "routed, the territory's monitoring staff, who must react or route it.",
    RESPONSIBLE: "The responsible person (org_admin) of the body the incident is routed to.",
    REGION: "The monitoring staff of the incident's region (the regional management "
            "centre).",
}

_EVENTS: dict[str, tuple[frozenset[str], str]] = {
    "incident_created": (frozenset({MONITORING}),
                         "Posts about a new problem opened an incident."),
    "incident_routed": (frozenset({BODY}), "The incident was routed to a body."),
    "incident_reminder": (frozenset({BODY}), "The reaction or the answer is due soon."),
    "incident_escalated": (frozenset({BODY, RESPONSIBLE, REGION}),
                           "The reaction or the answer is overdue."),
    "incident_reopened": (frozenset({BODY}),
                          "A low score sent the answered incident back to the body."),
}
_BY_ACTION = {Action.CREATE: "incident_created", Action.REMIND: "incident_reminder",
              Action.ESCALATE: "incident_escalated", Action.REOPEN: "incident_reopened"}

_WORDING: dict[str, dict[str, str]] = json.loads(
    resources.files("vmeste.platform.incidents").joinpath("notify_templates.json")
    .read_text(encoding="utf-8"))

EVENTS = {name: EventSpec(audiences=audiences, description=description,
                          subject=_WORDING[name]["subject"], body=_WORDING[name]["body"])
          for name, (audiences, description) in _EVENTS.items()}

SAMPLE_CONTEXT: dict[str, Any] = {
    "event": "incident_routed", "incident_id": 42, "topic": "Уборка снега",
    "territory": "город Киров", "organization": "Администрация города Кирова",
    "post_count": 3, "stage": "answer", "due_at": "10.03.2025 16:00", "reason": "",
    "status": "routed", "for_staff": True}
LONGEST_CONTEXT: dict[str, Any] = {**SAMPLE_CONTEXT, "topic": "Тема " * 20,
                                   "territory": "Территория " * 25,
                                   "organization": "Организация " * 45,
                                   "post_count": 10 ** 9, "reason": "Причина " * 125}


def event_name(event: IncidentEvent) -> str | None:
    """The notification event of an incident event, or None when nobody is told (a
    reaction that found no body is the monitors' own work)."""
    if event.action in (Action.REACT, Action.ROUTE):
        return "incident_routed" if event.to_status == IncidentStatus.ROUTED else None
    return _BY_ACTION.get(Action(event.action))


def _moment(value: Any, zone: ZoneInfo) -> str:
    if not isinstance(value, str):
        return ""
    try:
        return datetime.fromisoformat(value).astimezone(zone).strftime("%d.%m.%Y %H:%M")
    except ValueError:
        return ""


class IncidentSubjects:
    """The :class:`~vmeste.platform.notifications.subjects.SubjectSource` of incidents."""

    async def load(self, subject_id: int, event_ids: Sequence[int]) -> LoadedSubject | None:
        incident = await Incident.get_or_none(id=subject_id)
        if incident is None:
            return None
        events = [SubjectEvent(id=event.id, name=name, at=event.at, actor=event.actor,
                               data={"action": event.action, "status": event.to_status},
                               row=event)
                  for event in await IncidentEvent.filter(
                      incident_id=subject_id, id__in=sorted(set(event_ids))).order_by("id")
                  if (name := event_name(event))]
        territory = await Territory.get(id=incident.territory_id)
        organization = (await Organization.get_or_none(id=incident.organization_id)
                        if incident.organization_id is not None else None)
        context = {"incident_id": incident.id,
                   "topic": translate(TOPICS.get(incident.topic, TOPICS[OTHER])),
                   "territory": territory.name, "post_count": incident.post_count,
                   "organization": organization.name if organization else ""}
        return LoadedSubject(
            id=incident.id, territory_path=incident.territory_path,
            timezone=ZoneInfo(territory.timezone or "UTC"), context=context,
            organization_id=incident.organization_id,
            data={"incident_id": incident.id,
                  "organization_ogrn": organization.ogrn if organization else None},
            events=events, row=incident)

    def event_context(self, subject: LoadedSubject, event: SubjectEvent) -> dict[str, Any]:
        row: IncidentEvent = event.row
        payload = row.payload or {}
        return {"event": event.name, "status": row.to_status, "reason": row.reason,
                "stage": payload.get("stage", ""),
                "due_at": _moment(payload.get("due_at"), subject.timezone)}

    async def recipients(self, subject: LoadedSubject, event: SubjectEvent,
                         audiences: frozenset[str]) -> list[Recipient]:
        incident: Incident = subject.row
        # The body as the event found it (a later reroute does not redirect a reminder).
        body = (event.row.payload or {}).get("organization_id", incident.organization_id)
        codes = incident.territory_path.split(PATH_SEPARATOR)
        ids: set[int] = set()
        if MONITORING in audiences or (BODY in audiences and body is None):
            ids |= await _holders(MONITORS, territory__code__in=codes)
        if BODY in audiences and body is not None:
            ids |= await _holders(ANSWERERS, organization_id=body)
        if RESPONSIBLE in audiences and body is not None:
            ids |= await _holders(APPROVERS, organization_id=body)
        if REGION in audiences:
            ids |= await _holders(MONITORS, territory__code__in=codes,
                                  territory__kind=TerritoryKind.REGION)
        users = await User.filter(id__in=sorted(ids)).order_by("id")
        return [Recipient(user, for_staff=True) for user in users
                if Principal(user).actor != event.actor]

    async def visible_ids(self, principal: Principal, territory_roles: tuple[Role, ...]
                          ) -> ValuesListQuery[Any]:
        """The delivery log follows the incident's visibility."""
        return Incident.filter(await visible_incidents(principal)).values_list("id", flat=True)


async def _holders(roles: tuple[Role, ...], **scope: Any) -> set[int]:
    """Users holding one of ``roles`` in the scope."""
    return set(await RoleAssignment.filter(role__in=roles, **scope).values_list(
        "user_id", flat=True))


INCIDENT_SUBJECT = NotificationSubject(
    type=SUBJECT_TYPE, events=EVENTS, audiences=AUDIENCES, source=IncidentSubjects(),
    sample_context=SAMPLE_CONTEXT, longest_context=LONGEST_CONTEXT)
