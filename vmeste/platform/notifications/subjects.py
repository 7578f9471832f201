"""What a component tells notifications about its subjects.

A notification is about a subject — ``(subject_type, subject_id)``, such as an appeal
or a poll — and one of the subject's notification events. A component declares, per
subject type, a :class:`NotificationSubject` in its ``Component.notifications``: the
events it emits with the audiences that hear each, the default wording, and a
:class:`SubjectSource` the fan-out asks for everything subject-specific. Channels,
templates, preferences, webhooks and the delivery log are the platform's and serve
every subject alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from tortoise.queryset import ValuesListQuery

if TYPE_CHECKING:
    from vmeste.platform.components import Component
    from vmeste.platform.identity.models import Role, User
    from vmeste.platform.identity.principal import Principal

#: Preferences may name one event or all of them.
ALL_EVENTS = "*"


@dataclass(frozen=True)
class EventSpec:
    """One notification event: who hears it, what it means, its default wording."""

    #: Audience names of the subject type (keys of ``NotificationSubject.audiences``).
    audiences: frozenset[str]
    #: English, for the documentation and the API.
    description: str
    #: Jinja2 wording used where no region has its own template: English message ids,
    #: translated into the locale the fan-out renders in (``VMESTE_LOCALE``), so each
    #: must be in the catalogs (a component's ``notify_templates.json`` is extracted).
    subject: str
    body: str


@dataclass(frozen=True)
class Recipient:
    user: User
    #: Staff get the staff wording (``for_staff`` in templates); citizens the other.
    for_staff: bool


@dataclass(frozen=True)
class SubjectEvent:
    """One event of a subject worth telling someone about."""

    #: The component's own event id: with the subject type it makes the dedupe keys.
    id: int
    #: The notification event's name (a key of ``NotificationSubject.events``).
    name: str
    at: datetime
    #: Who took the step; they are not told about it (the applicant's receipt aside).
    actor: str = ""
    #: Identifiers and statuses for webhooks (no personal data).
    data: Mapping[str, Any] = field(default_factory=dict)
    #: The component's own event object, handed back to its source.
    row: Any = None
    #: Template values for the citizen's own wording only (``for_staff`` false), in its
    #: body only: never in staff's or a webhook's wording, nor in a subject line, which
    #: the delivery log shows (a claim code, say).
    private: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class LoadedSubject:
    """A subject and its events, read once per fan-out."""

    id: int
    #: Territory path: channel policies, template lookup and the delivery log's scope.
    territory_path: str
    timezone: ZoneInfo
    #: Template values shared by all its events.
    context: dict[str, Any]
    #: The body (organization) whose webhooks hear its events; None: no webhooks.
    organization_id: int | None
    #: Identifiers for webhooks, shared by all its events (no personal data).
    data: dict[str, Any]
    events: list[SubjectEvent]
    #: The component's own row.
    row: Any = None


class SubjectSource(Protocol):
    """What a component answers about one subject type; the fan-out calls it."""

    async def load(self, subject_id: int, event_ids: Sequence[int]) -> LoadedSubject | None:
        """The subject and those of ``event_ids`` (its events) that are notification
        events, oldest first; None when the subject is gone."""

    def event_context(self, subject: LoadedSubject, event: SubjectEvent) -> dict[str, Any]:
        """Template values of one event, layered over ``subject.context``."""

    async def recipients(self, subject: LoadedSubject, event: SubjectEvent,
                         audiences: frozenset[str]) -> list[Recipient]:
        """The users of ``audiences`` to tell about ``event``, each once."""

    async def visible_ids(self, principal: Principal, territory_roles: tuple[Role, ...]
                          ) -> ValuesListQuery[Any]:
        """Ids of the subjects whose delivery log the caller may read, holding one of
        ``territory_roles`` on a territory or a staff role in a body (a flat
        ``values_list("id", flat=True)`` query, used as a subquery)."""


@dataclass(frozen=True)
class NotificationSubject:
    """One subject type a component declares (see :mod:`vmeste.platform.components`)."""

    #: ``appeal``, ``poll``, … (stored on every notification; at most 32 characters).
    type: str
    #: Event name → spec. Names are unique across every component.
    events: Mapping[str, EventSpec]
    #: Audience name → English description.
    audiences: Mapping[str, str]
    source: SubjectSource
    #: Template values with an example of each: the save-time check renders a region's
    #: template with them, and the documentation lists them.
    sample_context: Mapping[str, Any]
    #: The longest values a notification can carry (over the sample): a template that
    #: fits its limits with these cannot exceed them later.
    longest_context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotificationCatalog:
    """Every subject type and event the installed components declare."""

    subjects: Mapping[str, NotificationSubject]
    #: Event name → the subject type declaring it.
    owners: Mapping[str, NotificationSubject]

    def event(self, name: str) -> EventSpec | None:
        owner = self.owners.get(name)
        return owner.events[name] if owner else None


def catalog_of(components: Mapping[str, Component]) -> NotificationCatalog:
    """The catalog; a subject type or an event name claimed twice stops the process."""
    subjects: dict[str, NotificationSubject] = {}
    owners: dict[str, NotificationSubject] = {}
    for component in components.values():
        for subject in component.notifications:
            if subject.type in subjects:
                raise RuntimeError(f"notification subject {subject.type!r} is declared twice")
            subjects[subject.type] = subject
            for name in subject.events:
                if name in owners or name == ALL_EVENTS:
                    raise RuntimeError(
                        f"notification event {name!r} of {subject.type!r} is already "
                        f"declared by {owners[name].type!r}" if name in owners
                        else f"{ALL_EVENTS!r} cannot name a notification event")
                owners[name] = subject
    return NotificationCatalog(subjects=subjects, owners=owners)
