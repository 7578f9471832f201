"""Which poll steps the organisers hear about, and in what words.

A notification event is the poll event's action with a ``poll_`` prefix (names are
unique across components). Organisers are the regional administrators whose
territory holds the poll and the poll's author (a federal configurator's poll tells
its author, not every federal configurator). Whoever took the step is not told; the
watchdog's closing tells everyone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.queryset import ValuesListQuery

from vmeste.platform.identity.models import Role, RoleAssignment, User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.notifications.subjects import (
    EventSpec,
    LoadedSubject,
    NotificationSubject,
    Recipient,
    SubjectEvent,
)
from vmeste.platform.polls.access import within_scopes
from vmeste.platform.polls.models import Poll, PollEvent
from vmeste.platform.reference.models import PATH_SEPARATOR, Territory

SUBJECT_TYPE = "poll"
ORGANISERS = "organisers"
AUDIENCES = {ORGANISERS: "The poll's author and the regional administrators whose territory "
                         "holds the poll."}

_EVENTS: dict[str, tuple[frozenset[str], str]] = {
    "poll_opened": (frozenset({ORGANISERS}), "The poll opened for responses."),
    "poll_closed": (frozenset({ORGANISERS}),
                    "The poll closed, by hand or at its closing moment."),
    "poll_results_published": (frozenset({ORGANISERS}), "The poll's results were published."),
}
_BY_ACTION = {"open": "poll_opened", "close": "poll_closed",
              "publish": "poll_results_published"}

_WORDING: dict[str, dict[str, str]] = json.loads(
    resources.files("vmeste.platform.polls").joinpath("notify_templates.json")
    .read_text(encoding="utf-8"))

EVENTS = {name: EventSpec(audiences=audiences, description=description,
                          subject=_WORDING[name]["subject"], body=_WORDING[name]["body"])
          for name, (audiences, description) in _EVENTS.items()}

SAMPLE_CONTEXT: dict[str, Any] = {
    "event": "poll_closed", "poll_id": 42, "title": "Благоустройство набережной",
    "territory": "город Киров", "status": "closed", "closes_at": "01.06.2026",
    "total_responses": 1250, "for_staff": True}
LONGEST_CONTEXT: dict[str, Any] = {**SAMPLE_CONTEXT, "title": "Опрос " * 100}


class PollSubjects:
    """The :class:`~vmeste.platform.notifications.subjects.SubjectSource` of polls."""

    async def load(self, subject_id: int, event_ids: Sequence[int]) -> LoadedSubject | None:
        poll = await Poll.get_or_none(id=subject_id)
        if poll is None:
            return None
        events = [SubjectEvent(id=event.id, name=name, at=event.at, actor=event.actor,
                               data={"action": event.action, "status": event.to_status},
                               row=event)
                  for event in await PollEvent.filter(
                      poll_id=subject_id, id__in=sorted(set(event_ids))).order_by("id")
                  if (name := _BY_ACTION.get(event.action))]
        territory = await Territory.get(id=poll.territory_id)
        zone = ZoneInfo(territory.timezone or "UTC")
        context = {"poll_id": poll.id, "title": poll.title, "territory": territory.name,
                   "closes_at": poll.closes_at.astimezone(zone).strftime("%d.%m.%Y")
                   if poll.closes_at else ""}
        return LoadedSubject(id=poll.id, territory_path=poll.territory_path, timezone=zone,
                             context=context, organization_id=None,
                             data={"poll_id": poll.id}, events=events, row=poll)

    def event_context(self, subject: LoadedSubject, event: SubjectEvent) -> dict[str, Any]:
        row: PollEvent = event.row
        return {"event": event.name, "status": row.to_status,
                "total_responses": (row.payload or {}).get("total_responses", 0)}

    async def recipients(self, subject: LoadedSubject, event: SubjectEvent,
                         audiences: frozenset[str]) -> list[Recipient]:
        if ORGANISERS not in audiences:
            return []
        poll: Poll = subject.row
        codes = poll.territory_path.split(PATH_SEPARATOR)
        regional = set(await RoleAssignment.filter(
            role=Role.REGIONAL_ADMIN, territory__code__in=codes).values_list(
            "user_id", flat=True))
        federal = set(await RoleAssignment.filter(role=Role.FEDERAL_CONFIGURATOR).values_list(
            "user_id", flat=True))
        users = await User.filter(id__in=sorted(regional | federal)).order_by("id")
        return [Recipient(user, for_staff=True) for user in users
                if (user.id in regional or Principal(user).actor == poll.created_by)
                and Principal(user).actor != event.actor]

    async def visible_ids(self, principal: Principal, territory_roles: tuple[Role, ...]
                          ) -> ValuesListQuery[Any]:
        """The delivery log of the polls on the caller's territory."""
        return Poll.filter(within_scopes(principal, territory_roles)).values_list(
            "id", flat=True)


POLL_SUBJECT = NotificationSubject(
    type=SUBJECT_TYPE, events=EVENTS, audiences=AUDIENCES, source=PollSubjects(),
    sample_context=SAMPLE_CONTEXT, longest_context=LONGEST_CONTEXT)
