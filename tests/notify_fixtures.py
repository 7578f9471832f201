"""Third-party plugins for the notification tests, loaded through real entry points:
a regional ``messenger`` channel with settings and a secret, and a small ``petitions``
component that notifies about its own subjects.

A petition here lives on a territory (its subject id is the territory's id) and its
steps are audit events (``object_type="petition"``): tables the platform already has,
so the component needs no migration of its own, and the fan-out cannot tell it from a
component with its own tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.queryset import ValuesListQuery

from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.components import Component
from vmeste.platform.hookspecs import ChannelSettings, ChannelSpec, hookimpl
from vmeste.platform.identity.models import Role, RoleAssignment, User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.notifications.channels import OutgoingMessage
from vmeste.platform.notifications.fanout import fan_out
from vmeste.platform.notifications.subjects import (
    EventSpec,
    LoadedSubject,
    NotificationSubject,
    Recipient,
    SubjectEvent,
)
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.reference.models import PATH_SEPARATOR, Territory, subtree

MESSENGER_TOKEN = "VMESTE_MESSENGER_TOKEN"
PETITION_EVENTS = "petition.events"
#: What the messenger's ``send`` was handed, in order.
SENT: list[OutgoingMessage] = []


def _validate(settings: Mapping[str, Any]) -> list[str]:
    chat = settings.get("chat", "")
    return [] if isinstance(chat, str) else ["chat — строка"]


async def _send(message: OutgoingMessage) -> None:
    SENT.append(message)


class Messenger:
    @hookimpl
    def vmeste_notification_channels(self) -> list[ChannelSpec]:
        return [ChannelSpec(
            name="messenger", description="Региональный мессенджер", send=_send,
            address=lambda user: f"{user.issuer}:{user.subject}", default_on=True,
            settings=ChannelSettings(defaults={"api": "https://messenger.example", "chat": ""},
                                     validate=_validate,
                                     secrets={"token": MESSENGER_TOKEN}))]


class Petitions:
    """The ``SubjectSource`` of petitions."""

    async def load(self, subject_id: int, event_ids: Sequence[int]) -> LoadedSubject | None:
        territory = await Territory.get_or_none(id=subject_id)
        if territory is None:
            return None
        rows = await AuditEvent.filter(object_type="petition", object_id=str(subject_id),
                                       id__in=list(event_ids)).order_by("id")
        events = [SubjectEvent(id=row.id, name=row.action, at=row.at, actor=row.actor,
                               data={"petition": subject_id}, row=row)
                  for row in rows if row.action in EVENTS]
        return LoadedSubject(id=subject_id, territory_path=territory.path,
                             timezone=ZoneInfo(territory.timezone), organization_id=None,
                             context={"territory": territory.name}, data={}, events=events,
                             row=territory)

    def event_context(self, subject: LoadedSubject, event: SubjectEvent) -> dict[str, Any]:
        return {"event": event.name, "opens": (event.row.after or {}).get("opens", "")}

    async def recipients(self, subject: LoadedSubject, event: SubjectEvent,
                         audiences: frozenset[str]) -> list[Recipient]:
        """Regional administrators on the petition's territory path."""
        codes = subject.territory_path.split(PATH_SEPARATOR)
        ids = await RoleAssignment.filter(role=Role.REGIONAL_ADMIN,
                                          territory__code__in=codes).values_list(
            "user_id", flat=True)
        return [Recipient(user, for_staff=True)
                for user in await User.filter(id__in=sorted(set(ids))).order_by("id")]

    async def visible_ids(self, principal: Principal, territory_roles: tuple[Role, ...]
                          ) -> ValuesListQuery[Any]:
        visible = Q(id=-1)
        for root in principal.territory_scopes(territory_roles):
            visible |= subtree(root)
        return Territory.filter(visible).values_list("id", flat=True)


EVENTS = {"exposition_opened": EventSpec(
    audiences=frozenset({"organizers"}), description="The exposition of the draft opened.",
    subject="Экспозиция открыта: {{ territory }}",
    body="Экспозиция проекта открыта{% if opens %} с {{ opens }}{% endif %}.")}


async def _handle(runtime: Any, payload: dict[str, Any], last_attempt: bool) -> int:
    return await fan_out(runtime, "petition", int(payload["petition_id"]),
                         [int(i) for i in payload["event_ids"]])


async def _scope(payload: dict[str, Any]) -> str:
    return ""


class PetitionsComponent:
    @hookimpl
    def vmeste_component(self) -> Component:
        return Component(
            name="petitions",
            topics=(Topic(PETITION_EVENTS, "tests.petition_fan_out", "notifications", _handle,
                          _scope),),
            notifications=(NotificationSubject(
                type="petition", events=EVENTS,
                audiences={"organizers": "Regional administrators of the territory."},
                source=Petitions(), sample_context={"territory": "Киров", "opens": "1 июня",
                                                   "event": "exposition_opened",
                                                   "for_staff": True}),))


messenger = Messenger()
petitions = PetitionsComponent()
