"""From a subject's events to notifications: who is told, on which channels, in what
words.

Runs in a worker for each message of a component's events topic (``appeal.events``
for appeals). The component's :class:`~vmeste.platform.notifications.subjects.SubjectSource`
says what the subject is, where, and who hears each event; everything is read first,
then the notifications and their delivery jobs are written in one transaction. Each
notification's ``dedupe_key`` (subject type × event × channel × recipient) is unique,
so a message delivered twice fans out once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tortoise.transactions import in_transaction

from vmeste.platform.hookspecs import ChannelSpec
from vmeste.platform.i18n import use_locale
from vmeste.platform.identity.models import User
from vmeste.platform.notifications import templates
from vmeste.platform.notifications.channels import POLICY_KIND
from vmeste.platform.notifications.models import (
    Notification,
    NotificationStatus,
    NotificationTemplate,
    WebhookSubscription,
)
from vmeste.platform.notifications.preferences import choices_of, decide
from vmeste.platform.notifications.subjects import EventSpec, LoadedSubject, SubjectEvent
from vmeste.platform.outbox.services import emit
from vmeste.platform.outbox.topics import Topic, scope_of
from vmeste.platform.reference.models import PATH_SEPARATOR

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime
    from vmeste.platform.steps import Steps

#: Topic of one notification's delivery job: payload ``{"notification_id": int}``.
NOTIFICATION_DELIVER = "notification.deliver"
WEBHOOK = "webhook"


async def active_channels(runtime: Runtime, territory_code: str) -> dict[str, ChannelSpec]:
    """Installed channels the territory's region policies (or, where none decides,
    the channels' ``default``) switch on."""
    active = {strategy.plugin for strategy in
              await runtime.resolver.resolve(territory_code, POLICY_KIND)}
    return {name: spec for name, spec in runtime.channels.items() if name in active}


async def fan_out(runtime: Runtime, subject_type: str, subject_id: int,
                  event_ids: list[int]) -> int:
    """Create the notifications of the subject's events (idempotently) and queue the
    delivery of those that leave the platform. Returns how many were created. The
    wording is in the installation's locale (``VMESTE_LOCALE``): its translation of
    the defaults, and the regional templates stored for it."""
    with use_locale(runtime.settings.locale) as locale:
        return await _fan_out(runtime, subject_type, subject_id, event_ids, locale)


async def _fan_out(runtime: Runtime, subject_type: str, subject_id: int,
                   event_ids: list[int], locale: str) -> int:
    declared = runtime.notifications.subjects.get(subject_type)
    if declared is None:
        raise LookupError(f"no component declares notification subject {subject_type!r}")
    source = declared.source
    subject = await source.load(subject_id, event_ids)
    if subject is None or not subject.events:
        return 0
    codes = subject.territory_path.split(PATH_SEPARATOR)
    channels = await active_channels(runtime, codes[-1])
    overrides = await _overrides(codes, {event.name for event in subject.events}, locale)
    hooks = (await WebhookSubscription.filter(organization_id=subject.organization_id,
                                              active=True)
             if WEBHOOK in channels and subject.organization_id else [])
    rows: dict[str, Notification] = {}
    for event in subject.events:
        name = event.name
        recipients = await source.recipients(subject, event, declared.events[name].audiences)
        choices = await choices_of(r.user.id for r in recipients)
        context = {**subject.context, **source.event_context(subject, event)}
        wording = _Wordings(name, declared.events[name], context, overrides, event.private)
        made = _Maker(subject_type, subject, event)
        for recipient in recipients:
            for channel_name, spec in channels.items():
                if spec.address is None:
                    continue
                wanted = decide(choices.get(recipient.user.id, {}), name, channel_name,
                                spec.default_on)
                if wanted is None:
                    continue
                address = spec.address(recipient.user) if wanted else ""
                rows.setdefault(*made(
                    f"{channel_name}:user:{recipient.user.id}", channel_name,
                    wording(channel_name, recipient.for_staff), _status(spec, wanted, address),
                    recipient=recipient.user, address=address))
        for hook in hooks:
            if hook.events and name not in hook.events:
                continue
            rows.setdefault(*made(f"{WEBHOOK}:{hook.id}", WEBHOOK, wording(WEBHOOK, True),
                                  NotificationStatus.PENDING, webhook=hook, address=hook.url))
    return await _store(list(rows.values()))


def history_topic(steps: Steps[Any], actor: str, subject_type: str) -> Topic:
    """A component's history topic (:attr:`Steps.topic`): its events fanned out as
    notifications of ``subject_type``, a failed job scoped to the subject's territory
    (the steps name the subject ``<subject>_id`` in the payload)."""
    key, model = f"{steps.subject}_id", steps.model

    async def handle(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
        return await fan_out(runtime, subject_type, int(payload[key]),
                             [int(i) for i in payload["event_ids"]])

    return Topic(steps.topic, actor, "notifications", handle, scope_of(model, key))


@dataclass
class _Wordings:
    """An event's wording, rendered once per channel and audience: it names no
    recipient, so every operator of a body gets the same text."""

    name: str
    spec: EventSpec
    context: dict[str, Any]
    overrides: dict[tuple[str, str], list[tuple[str, str, str]]]
    #: The event's values for the citizen's wording alone (``SubjectEvent.private``).
    private: Mapping[str, Any]
    done: dict[tuple[str, bool], templates.Rendered] = field(default_factory=dict)

    def __call__(self, channel_name: str, for_staff: bool) -> templates.Rendered:
        key = (channel_name, for_staff)
        if key not in self.done:
            self.done[key] = templates.render(
                self.spec, {**self.context, "for_staff": for_staff},
                self.overrides.get((self.name, channel_name), []),
                None if for_staff else self.private)
        return self.done[key]


@dataclass(frozen=True)
class _Maker:
    """Builds one event's notifications. The dedupe key starts
    ``{subject_type}-event:{event id}:`` (``appeal-event:…`` as before subjects were
    generic, so a redelivered old message still finds its notifications)."""

    subject_type: str
    subject: LoadedSubject
    event: SubjectEvent

    def __call__(self, target: str, channel: str, wording: templates.Rendered,
                 status: NotificationStatus, *, address: str, recipient: User | None = None,
                 webhook: WebhookSubscription | None = None) -> tuple[str, Notification]:
        key = f"{self.subject_type}-event:{self.event.id}:{target}"
        data: dict[str, Any] = {**self.subject.data, "event_id": self.event.id,
                                **self.event.data, "at": self.event.at.isoformat(),
                                "template": wording.source}
        if wording.error:
            data["template_error"] = wording.error
        now = datetime.now(UTC)
        return key, Notification(
            dedupe_key=key, event=self.event.name, channel=channel, recipient=recipient,
            webhook=webhook, address=address, subject_type=self.subject_type,
            subject_id=self.subject.id, territory_path=self.subject.territory_path,
            subject=wording.subject, body=wording.body, data=data, status=status,
            sent_at=now if status == NotificationStatus.SENT else None)


async def _store(rows: list[Notification]) -> int:
    keys = [row.dedupe_key for row in rows]
    async with in_transaction() as conn:
        existing = set(await Notification.filter(dedupe_key__in=keys).using_db(conn)
                       .values_list("dedupe_key", flat=True))
        fresh = [row for row in rows if row.dedupe_key not in existing]
        await Notification.bulk_create(fresh, ignore_conflicts=True, using_db=conn)
        stored = await Notification.filter(
            dedupe_key__in=[row.dedupe_key for row in fresh],
            status=NotificationStatus.PENDING).using_db(conn).values_list("id", flat=True)
        for notification_id in stored:
            await emit(conn, NOTIFICATION_DELIVER, {"notification_id": notification_id},
                       f"notification:{notification_id}")
    return len(fresh)


def _status(spec: ChannelSpec, wanted: bool, address: str) -> NotificationStatus:
    if not wanted:
        return NotificationStatus.SKIPPED
    if spec.send is None:
        return NotificationStatus.SENT  # the inbox: stored is delivered
    return NotificationStatus.PENDING if address else NotificationStatus.SKIPPED


async def _overrides(codes: list[str], names: set[str], locale: str
                     ) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """Stored wordings of ``locale`` on the subject's territory path, most specific
    first."""
    depth = {code: index for index, code in enumerate(codes)}
    rows = await NotificationTemplate.filter(
        territory__code__in=codes, event__in=sorted(names), locale=locale).values(
        "event", "channel", "subject", "body", "territory__code")
    rows.sort(key=lambda row: -depth[row["territory__code"]])
    found: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for row in rows:
        found.setdefault((row["event"], str(row["channel"])), []).append(
            (row["territory__code"], row["subject"], row["body"]))
    return found
