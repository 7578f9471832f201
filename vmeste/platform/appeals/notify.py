"""Which appeal steps are worth telling someone about, whom, and in what words.

A notification event is named after the appeal event's action (and, for moderation
and routing, the status it led to); the deadline actions map one to one. The appeals
component declares :data:`APPEAL_SUBJECT`; the platform's fan-out does the rest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.queryset import ValuesListQuery

from vmeste.platform.appeals.access import visible_appeals
from vmeste.platform.appeals.desk_models import AppealClaim
from vmeste.platform.appeals.models import Appeal, AppealEvent, Channel
from vmeste.platform.identity.models import Role, RoleAssignment, User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.notifications.subjects import (
    EventSpec,
    LoadedSubject,
    NotificationSubject,
    Recipient,
    SubjectEvent,
)
from vmeste.platform.reference.models import PATH_SEPARATOR, Category, Organization, Territory

SUBJECT_TYPE = "appeal"
#: Roles of a body's staff who hear about its appeals (the executor hears on top).
BODY_ROLES = (Role.OPERATOR, Role.ORG_ADMIN)

APPLICANT, BODY, EXECUTOR, SUPERVISOR = "applicant", "body", "executor", "supervisor"
AUDIENCES = {
    APPLICANT: "The citizen who filed the appeal.",
    BODY: "Operators and administrators of the responsible body, and its executor.",
    EXECUTOR: "Only the executor assigned to the appeal.",
    SUPERVISOR: "Staff of the body an overdue appeal is escalated to.",
}
A, B, X, S = APPLICANT, BODY, EXECUTOR, SUPERVISOR

#: Every notification event: who hears about it, and what it means. The body's
#: webhooks hear them all.
_EVENTS: dict[str, tuple[frozenset[str], str]] = {
    "submitted": (frozenset({A}), "The appeal was received and awaits moderation."),
    "filed_on_behalf": (frozenset({A}),
                        "An operator filed the appeal in the applicant's name (the receipt)."),
    "rejected": (frozenset({A}), "Moderation refused the appeal, with a reason."),
    "routed": (frozenset({A, B}), "The appeal reached its responsible body."),
    "redirected": (frozenset({A, B}), "A body that is not competent sent it on."),
    "executor_assigned": (frozenset({A, X}), "An executor was assigned."),
    "clarification_requested": (frozenset({A}),
                                "The body asks the applicant to clarify; the clock pauses."),
    "clarified": (frozenset({B}), "The applicant answered the clarification request."),
    "answered": (frozenset({A}), "The body answered."),
    "rated": (frozenset({B}), "The applicant rated the answer."),
    "reopened": (frozenset({A, B}), "The appeal was sent back for rework."),
    "withdrawn": (frozenset({B}), "The applicant withdrew the appeal."),
    "converted": (frozenset({A, B}), "The message became a formal appeal under 59-FZ."),
    "extended": (frozenset({A}), "The term was extended, with a reason."),
    "reminder": (frozenset({B}), "The deadline is approaching."),
    "overdue": (frozenset({B}), "The deadline has passed."),
    "escalated": (frozenset({S}), "An overdue appeal was escalated to the supervising body."),
    "clarification_reminder": (frozenset({A}), "A clarification request still waits."),
    "clarification_timeout": (frozenset({A, B}),
                              "The clarification request expired; the clock runs again."),
}

_WORDING: dict[str, dict[str, str]] = json.loads(
    resources.files("vmeste.platform.appeals").joinpath("notify_templates.json")
    .read_text(encoding="utf-8"))

EVENTS: dict[str, EventSpec] = {
    name: EventSpec(audiences=audiences, description=description,
                    subject=_WORDING[name]["subject"], body=_WORDING[name]["body"])
    for name, (audiences, description) in _EVENTS.items()}

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

#: Values a template can use, with an example of each.
SAMPLE_CONTEXT: dict[str, Any] = {
    "event": "routed", "appeal_id": 123, "status": "routed", "category": "Ямы на дорогах",
    "territory": "город Киров", "organization": "Администрация города Кирова",
    "reason": "Уточните адрес", "answer": "Яму заделаем до 1 июня.", "rating": 5,
    "rework": False, "due_at": "01.06.2026", "legal_track": "message", "for_staff": False,
}
LONGEST_CONTEXT: dict[str, Any] = {
    **SAMPLE_CONTEXT, "reason": "Уточните адрес. " * 250, "answer": "Яму заделаем. " * 1500}


def event_name(action: str, to_status: str, payload: Mapping[str, Any] | None = None
               ) -> str | None:
    """The notification event of an appeal event, or None when nobody is told: an
    accepting moderation verdict (routing follows at once) and a fallback to the
    moderation queue (the applicant already heard "submitted")."""
    if action == "submit" and ((payload or {}).get("channel") == "operator"
                               or (payload or {}).get("on_behalf")):
        return FILED_ON_BEHALF
    if action == "moderate":
        return "rejected" if to_status == "rejected" else None
    if action == "route":
        return "routed" if to_status == "routed" else None
    return _BY_ACTION.get(action)


#: The filing notice's own value: the claim code, told to the applicant alone.
FILED_ON_BEHALF = "filed_on_behalf"


async def _claim_code(appeal: Appeal) -> str:
    """The open claim code of an applicant known only by the details they gave an
    operator (appeals/contacts.py), which the filing notice tells them."""
    if appeal.channel != Channel.OPERATOR:
        return ""
    code = await AppealClaim.filter(appeal_id=appeal.id, claimed_at__isnull=True).first(
        ).values_list("code", flat=True)
    return str(code or "")


class AppealSubjects:
    """The :class:`~vmeste.platform.notifications.subjects.SubjectSource` of appeals."""

    async def load(self, subject_id: int, event_ids: Sequence[int]) -> LoadedSubject | None:
        appeal = await Appeal.get_or_none(id=subject_id)
        if appeal is None:
            return None
        rows = [(event, name) for event in await AppealEvent.filter(
                    appeal_id=subject_id, id__in=sorted(set(event_ids))).order_by("id")
                if (name := event_name(event.action, event.to_status, event.payload))]
        # Only the filing notice carries the code, and only to the applicant (the
        # fan-out keeps ``private`` out of staff's and webhooks' wording): no other
        # event's template, nor the body's external systems, can reach it.
        code = (await _claim_code(appeal)
                if any(name == FILED_ON_BEHALF for _event, name in rows) else "")
        events = [SubjectEvent(id=event.id, name=name, at=event.at, actor=event.actor,
                               data={"action": event.action, "status": event.to_status},
                               row=event,
                               private={"claim_code": code}
                               if name == FILED_ON_BEHALF and code else {})
                  for event, name in rows]
        codes = appeal.territory_path.split(PATH_SEPARATOR)
        own = await Territory.filter(code=codes[-1]).first().values("name", "timezone")
        category = await Category.filter(id=appeal.category_id).first().values_list(
            "name", flat=True)
        organization = None
        if appeal.organization_id is not None:
            organization = await Organization.get_or_none(id=appeal.organization_id)
        context = {
            "appeal_id": appeal.id, "category": category or "",
            "territory": own["name"] if own else "",
            "organization": organization.name if organization else "",
            "legal_track": appeal.legal_track.value, "answer": appeal.answer or "",
            "rating": appeal.rating, "rework": False, "reason": "",
        }
        return LoadedSubject(
            id=appeal.id, territory_path=appeal.territory_path,
            timezone=ZoneInfo((own or {}).get("timezone") or "UTC"), context=context,
            organization_id=appeal.organization_id,
            data={"appeal_id": appeal.id,
                  "organization_ogrn": organization.ogrn if organization else None},
            events=events, row=appeal)

    def event_context(self, subject: LoadedSubject, event: SubjectEvent) -> dict[str, Any]:
        row: AppealEvent = event.row
        payload = row.payload or {}
        due = payload.get("due_at")
        due_text = ""
        if isinstance(due, str):
            try:
                due_text = datetime.fromisoformat(due).astimezone(subject.timezone).strftime(
                    "%d.%m.%Y")
            except ValueError:
                due_text = ""
        context: dict[str, Any] = {"event": event.name, "status": row.to_status,
                                   "reason": row.reason, "due_at": due_text}
        if "rating" in payload:
            context["rating"] = payload["rating"]
            context["rework"] = bool(payload.get("rework"))
        if event.name == "answered" and isinstance(payload.get("text"), str):
            context["answer"] = payload["text"]
        return context

    async def recipients(self, subject: LoadedSubject, event: SubjectEvent,
                         audiences: frozenset[str]) -> list[Recipient]:
        """Applicant first, then staff; whoever took the step is not told about it
        (except the applicant, who gets a receipt). Staff are named to nobody:
        templates get no person's name."""
        appeal: Appeal = subject.row
        staff: set[int] = set()
        if BODY in audiences and appeal.organization_id is not None:
            staff |= set(await RoleAssignment.filter(
                organization_id=appeal.organization_id, role__in=BODY_ROLES).values_list(
                "user_id", flat=True))
        if audiences & {BODY, EXECUTOR} and appeal.executor_id is not None:
            staff.add(appeal.executor_id)
        supervisor = (event.row.payload or {}).get("to_organization_id")
        if SUPERVISOR in audiences and isinstance(supervisor, int):
            staff |= set(await RoleAssignment.filter(
                organization_id=supervisor, role__in=BODY_ROLES).values_list(
                "user_id", flat=True))
        applicant = appeal.applicant_id if APPLICANT in audiences else None
        staff.discard(applicant)  # type: ignore[arg-type]
        users = {user.id: user for user in await User.filter(
            id__in=sorted(staff | ({applicant} if applicant else set())))}
        found = [Recipient(users[applicant], for_staff=False)] if applicant in users else []
        found += [Recipient(users[uid], for_staff=True) for uid in sorted(staff)
                  if uid in users and Principal(users[uid]).actor != event.actor]
        return found

    async def visible_ids(self, principal: Principal, territory_roles: tuple[Role, ...]
                          ) -> ValuesListQuery[Any]:
        """The delivery log follows its appeal's visibility, the complaint exclusion
        included."""
        return Appeal.filter(await visible_appeals(principal, territory_roles)).values_list(
            "id", flat=True)


APPEAL_SUBJECT = NotificationSubject(
    type=SUBJECT_TYPE, events=EVENTS, audiences=AUDIENCES, source=AppealSubjects(),
    sample_context=SAMPLE_CONTEXT, longest_context=LONGEST_CONTEXT)
