"""Which hearing steps the public hears about, and in what words.

Every stage step (the notice, the exposition, the meeting, the end of proposals, the
signed protocol, the publication, a cancellation) tells the hearing's subscribers and
its registered participants, each once; whoever took the step is not told. A
notification event is the step's name with a ``hearing_`` prefix.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from importlib import resources
from typing import Any

from tortoise.queryset import ValuesListQuery

from vmeste.platform.hearings.access import within_scopes
from vmeste.platform.hearings.hearings import zone_of
from vmeste.platform.hearings.models import (
    Hearing,
    HearingEvent,
    HearingParticipant,
    HearingSubscription,
    Stage,
)
from vmeste.platform.identity.models import Role, User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.notifications.subjects import (
    EventSpec,
    LoadedSubject,
    NotificationSubject,
    Recipient,
    SubjectEvent,
)
from vmeste.platform.reference.models import Territory

SUBJECT_TYPE = "hearing"
SUBSCRIBERS, PARTICIPANTS = "subscribers", "participants"
AUDIENCES = {SUBSCRIBERS: "People who subscribed to the hearing.",
             PARTICIPANTS: "The hearing's registered participants with an account."}
_EVERYONE = frozenset({SUBSCRIBERS, PARTICIPANTS})

_EVENTS: dict[str, str] = {
    "hearing_announced": "The notice was published and the stages' dates fixed.",
    "hearing_exposition_opened": "The draft was published and proposals are taken.",
    "hearing_meeting_held": "The meeting of a public hearing's participants began.",
    "hearing_proposals_closed": "Proposals ended; the protocol is being prepared.",
    "hearing_protocol_signed": "The protocol was signed.",
    "hearing_published": "The conclusion was officially published.",
    "hearing_cancelled": "The hearing was cancelled.",
}
_BY_ACTION = {"announce": "hearing_announced", "open_exposition": "hearing_exposition_opened",
              "hold_meeting": "hearing_meeting_held",
              "close_proposals": "hearing_proposals_closed",
              "sign_protocol": "hearing_protocol_signed", "publish": "hearing_published",
              "cancel": "hearing_cancelled"}

_WORDING: dict[str, dict[str, str]] = json.loads(
    resources.files("vmeste.platform.hearings").joinpath("notify_templates.json")
    .read_text(encoding="utf-8"))

EVENTS = {name: EventSpec(audiences=_EVERYONE, description=description,
                          subject=_WORDING[name]["subject"], body=_WORDING[name]["body"])
          for name, description in _EVENTS.items()}

SAMPLE_CONTEXT: dict[str, Any] = {
    "event": "hearing_exposition_opened", "hearing_id": 7, "territory": "город Киров",
    "title": "Проект планировки квартала Лепсе", "status": "exposition",
    "published_where": "Вестник города Кирова № 12", "exposition_starts": "10.03.2026",
    "proposals_end": "24.03.2026", "meeting_place": "ул. Воровского, 39", "reason": "",
    "for_staff": False}
LONGEST_CONTEXT: dict[str, Any] = {**SAMPLE_CONTEXT, "title": "Проект " * 80,
                                   "published_where": "Вестник " * 60,
                                   "meeting_place": "Зал " * 120, "reason": "Причина " * 250}


def _day(dates: dict[str, Any], stage: Stage, key: str) -> str:
    found = dates.get(stage)
    return date.fromisoformat(found[key]).strftime("%d.%m.%Y") if found else ""


class HearingSubjects:
    """The :class:`~vmeste.platform.notifications.subjects.SubjectSource` of hearings."""

    async def load(self, subject_id: int, event_ids: Sequence[int]) -> LoadedSubject | None:
        hearing = await Hearing.get_or_none(id=subject_id)
        if hearing is None:
            return None
        events = [SubjectEvent(id=event.id, name=name, at=event.at, actor=event.actor,
                               data={"action": event.action, "status": event.to_status},
                               row=event)
                  for event in await HearingEvent.filter(
                      hearing_id=subject_id, id__in=sorted(set(event_ids))).order_by("id")
                  if (name := _BY_ACTION.get(event.action))]
        territory = await Territory.get(id=hearing.territory_id)
        dates = hearing.schedule or {}
        context = {"hearing_id": hearing.id, "title": hearing.title,
                   "territory": territory.name,
                   "published_where": hearing.published_where
                   or hearing.notice_published_where,
                   "exposition_starts": _day(dates, Stage.EXPOSITION, "starts_on"),
                   "proposals_end": _day(dates, Stage.EXPOSITION, "ends_on"),
                   "meeting_place": hearing.meeting_place, "reason": hearing.cancel_reason}
        return LoadedSubject(id=hearing.id, territory_path=hearing.territory_path,
                             timezone=await zone_of(hearing), context=context,
                             organization_id=hearing.organiser_id,
                             data={"hearing_id": hearing.id}, events=events, row=hearing)

    def event_context(self, subject: LoadedSubject, event: SubjectEvent) -> dict[str, Any]:
        row: HearingEvent = event.row
        return {"event": event.name, "status": row.to_status}

    async def recipients(self, subject: LoadedSubject, event: SubjectEvent,
                         audiences: frozenset[str]) -> list[Recipient]:
        ids: set[int] = set()
        if SUBSCRIBERS in audiences:
            ids |= set(await HearingSubscription.filter(hearing_id=subject.id).values_list(
                "user_id", flat=True))
        if PARTICIPANTS in audiences:
            ids |= set(await HearingParticipant.filter(
                hearing_id=subject.id, user_id__isnull=False).values_list("user_id", flat=True))
        users = await User.filter(id__in=sorted(ids)).order_by("id")
        return [Recipient(user, for_staff=False) for user in users
                if Principal(user).actor != event.actor]

    async def visible_ids(self, principal: Principal, territory_roles: tuple[Role, ...]
                          ) -> ValuesListQuery[Any]:
        """The delivery log of the hearings on the caller's territory."""
        return Hearing.filter(within_scopes(principal, territory_roles)).values_list(
            "id", flat=True)


HEARING_SUBJECT = NotificationSubject(
    type=SUBJECT_TYPE, events=EVENTS, audiences=AUDIENCES, source=HearingSubjects(),
    sample_context=SAMPLE_CONTEXT, longest_context=LONGEST_CONTEXT)
