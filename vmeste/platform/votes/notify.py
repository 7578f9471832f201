"""Which vote steps the organisers hear about, and in what words.

A vote's organisers are the regional administrators of the territories on its path
(the vote's own and those above it, not federal configurators: a national list would
be told about every municipal vote). They hear of the opening, the closing and the
publication of results, and of the integrity watch: an alert, a quarantine, a release.
Voters are not told: the platform keeps no list of who may vote, and who voted is
not to be used for anything else. The votes component declares :data:`VOTE_SUBJECT`;
the platform's fan-out does the rest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
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
from vmeste.platform.reference.models import PATH_SEPARATOR, Territory, subtree
from vmeste.platform.votes.counting import SUBJECT_TYPE
from vmeste.platform.votes.lifecycle import Action
from vmeste.platform.votes.models import Vote, VoteEvent

ORGANISERS = "organisers"
AUDIENCES = {ORGANISERS: "Regional administrators of the vote's territory and of the "
                         "territories above it."}
_O = frozenset({ORGANISERS})

#: Vote action → notification event, with what it means.
_EVENTS: dict[Action, tuple[str, str]] = {
    Action.OPEN: ("vote_opened", "The vote opened: ballots are accepted."),
    Action.CLOSE: ("vote_closed", "The vote closed (by hand or at closesAt); the bulletin "
                                  "board is sealed."),
    Action.PUBLISH: ("vote_results_published", "The results were published."),
    Action.ALERT: ("vote_integrity_alert", "A territory's ballots in one minute stood far "
                                           "above its baseline."),
    Action.QUARANTINE: ("vote_quarantined", "A territory's ballots of a window were held "
                                            "out of the results."),
    Action.RELEASE: ("vote_quarantine_released", "Quarantined ballots count again."),
}
_BY_ACTION = {str(action): name for action, (name, _) in _EVENTS.items()}

_WORDING: dict[str, dict[str, str]] = json.loads(
    resources.files("vmeste.platform.votes").joinpath("notify_templates.json")
    .read_text(encoding="utf-8"))

EVENTS: dict[str, EventSpec] = {
    name: EventSpec(audiences=_O, description=description,
                    subject=_WORDING[name]["subject"], body=_WORDING[name]["body"])
    for name, description in _EVENTS.values()}

#: Values a template can use, with an example of each.
SAMPLE_CONTEXT: dict[str, Any] = {
    "event": "vote_integrity_alert", "vote_id": 42, "title": "Courtyard improvement 2026",
    "territory": "Kirov region", "status": "open", "closes_at": "30.06.2026 20:00",
    "board_size": 1250, "board_root": "9f2c" * 16, "total_ballots": 1250,
    "area": "Kirov", "minute": "12.06.2026 14:05", "ballots": 200, "baseline": 5.0,
    "threshold": 13.0, "starts_at": "12.06.2026 14:00", "ends_at": "12.06.2026 14:10",
    "reason": "A burst of ballots from one network", "for_staff": True,
}
LONGEST_CONTEXT: dict[str, Any] = {
    **SAMPLE_CONTEXT, "title": "T" * 500, "territory": "T" * 255, "area": "A" * 255,
    "reason": "R" * 2_000}


def event_name(action: str) -> str | None:
    """The notification event of a vote event; None for a step nobody is told of."""
    return _BY_ACTION.get(action)


@dataclass(frozen=True)
class _Told:
    """A vote event with its template values, worked out when the subject is loaded."""

    event: VoteEvent
    context: dict[str, Any]


class VoteSubjects:
    """The :class:`~vmeste.platform.notifications.subjects.SubjectSource` of votes."""

    async def load(self, subject_id: int, event_ids: Sequence[int]) -> LoadedSubject | None:
        vote = await Vote.get_or_none(id=subject_id)
        if vote is None:
            return None
        rows = [(event, name) for event in await VoteEvent.filter(
                    vote_id=subject_id, id__in=sorted(set(event_ids))).order_by("id")
                if (name := event_name(event.action))]
        codes = {str(e.payload["territory_code"]) for e, _ in rows
                 if (e.payload or {}).get("territory_code")}
        own = await Territory.get_or_none(id=vote.territory_id)
        names = dict(await Territory.filter(code__in=sorted(codes)).values_list("code", "name"))
        zone = ZoneInfo(own.timezone if own and own.timezone else "UTC")
        context = {"vote_id": vote.id, "title": vote.title,
                   "territory": own.name if own else "",
                   "closes_at": _local(vote.closes_at, zone)}
        events = [SubjectEvent(id=event.id, name=name, at=event.at, actor=event.actor,
                               data={"action": event.action, "status": event.to_status},
                               row=_Told(event, _event_context(event, name, names, zone)))
                  for event, name in rows]
        return LoadedSubject(id=vote.id, territory_path=vote.territory_path, timezone=zone,
                             context=context, organization_id=None,
                             data={"vote_id": vote.id}, events=events, row=vote)

    def event_context(self, subject: LoadedSubject, event: SubjectEvent) -> dict[str, Any]:
        told: _Told = event.row
        return told.context

    async def recipients(self, subject: LoadedSubject, event: SubjectEvent,
                         audiences: frozenset[str]) -> list[Recipient]:
        """The organisers, each once; whoever took the step is not told about it."""
        if ORGANISERS not in audiences:
            return []
        codes = subject.territory_path.split(PATH_SEPARATOR)
        ids = await RoleAssignment.filter(role=Role.REGIONAL_ADMIN,
                                          territory__code__in=codes).values_list(
            "user_id", flat=True)
        users = await User.filter(id__in=sorted(set(ids))).order_by("id")
        return [Recipient(user, for_staff=True) for user in users
                if Principal(user).actor != event.actor]

    async def visible_ids(self, principal: Principal, territory_roles: tuple[Role, ...]
                          ) -> ValuesListQuery[Any]:
        """The delivery log of votes in the caller's territories."""
        roots = principal.territory_scopes(territory_roles)
        visible = (Q(*(subtree(root, "territory_path") for root in roots), join_type=Q.OR)
                   if roots else Q(id=-1))
        return Vote.filter(visible).values_list("id", flat=True)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d.%m.%Y %H:%M") if moment else ""


def _moment(payload: Mapping[str, Any], key: str, zone: ZoneInfo) -> str:
    value = payload.get(key)
    if not isinstance(value, str):
        return ""
    try:
        return _local(datetime.fromisoformat(value), zone)
    except ValueError:
        return ""


def _event_context(event: VoteEvent, name: str, names: Mapping[str, str], zone: ZoneInfo
                   ) -> dict[str, Any]:
    payload = event.payload or {}
    code = str(payload.get("territory_code") or "")
    return {
        "event": name, "status": event.to_status, "reason": event.reason,
        "area": names.get(code, code), "minute": _moment(payload, "minute", zone),
        "starts_at": _moment(payload, "starts_at", zone),
        "ends_at": _moment(payload, "ends_at", zone),
        "ballots": payload.get("ballots", 0),
        "baseline": round(float(payload.get("baseline", 0)), 1),
        "threshold": round(float(payload.get("threshold", 0)), 1),
        "board_size": payload.get("board_size", 0),
        "board_root": payload.get("board_root", ""),
        "total_ballots": payload.get("total_ballots", 0),
    }


VOTE_SUBJECT = NotificationSubject(
    type=SUBJECT_TYPE, events=EVENTS, audiences=AUDIENCES, source=VoteSubjects(),
    sample_context=SAMPLE_CONTEXT, longest_context=LONGEST_CONTEXT)
