"""From appeal events to notifications: who is told, on which channels, in what words.

Runs in a worker for each ``appeal.events`` message. Everything is read first, then
the notifications and their delivery jobs are written in one transaction. Each
notification's ``dedupe_key`` (event × channel × recipient) is unique, so a message
delivered twice fans out once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from vmeste.platform.appeals.models import Appeal, AppealEvent
from vmeste.platform.hookspecs import ChannelSpec
from vmeste.platform.identity.models import Role, RoleAssignment, User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.notifications import templates
from vmeste.platform.notifications.channels import POLICY_KIND
from vmeste.platform.notifications.events import EVENTS, Audience, event_name
from vmeste.platform.notifications.models import (
    Notification,
    NotificationChannel,
    NotificationStatus,
    NotificationTemplate,
    WebhookSubscription,
)
from vmeste.platform.notifications.preferences import choices_of, decide
from vmeste.platform.outbox.services import emit
from vmeste.platform.reference.models import PATH_SEPARATOR, Category, Organization, Territory

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

#: Topic of one notification's delivery job: payload ``{"notification_id": int}``.
NOTIFICATION_DELIVER = "notification.deliver"
#: The region-policy kind that picks the channels active in a territory.
#: Roles of a body's staff who hear about its appeals (the executor hears on top).
BODY_ROLES = (Role.OPERATOR, Role.ORG_ADMIN)


@dataclass(frozen=True)
class Recipient:
    user: User
    for_staff: bool


@dataclass
class _Appeal:
    """What fan-out knows about the appeal, read once for all its events."""

    row: Appeal
    path_codes: list[str]
    context: dict[str, Any]
    timezone: ZoneInfo
    organization_ogrn: str | None


async def fan_out(runtime: Runtime, appeal_id: int, event_ids: list[int]) -> int:
    """Create the notifications of the appeal's events (idempotently) and queue the
    delivery of those that leave the platform. Returns how many were created."""
    appeal = await Appeal.get_or_none(id=appeal_id)
    if appeal is None:
        return 0
    events = [(event, name) for event in await AppealEvent.filter(
        appeal_id=appeal_id, id__in=sorted(set(event_ids))).order_by("id")
        if (name := event_name(event.action, event.to_status, event.payload)) is not None]
    if not events:
        return 0
    known = await _describe(appeal)
    active = {strategy.plugin for strategy in
              await runtime.resolver.resolve(known.path_codes[-1], POLICY_KIND)}
    channels = {name: spec for name, spec in runtime.channels.items() if name in active}
    overrides = await _overrides(known.path_codes, {name for _, name in events})
    hooks = (await WebhookSubscription.filter(organization_id=appeal.organization_id,
                                              active=True)
             if NotificationChannel.WEBHOOK.value in channels and appeal.organization_id
             else [])
    rows: dict[str, Notification] = {}
    for event, name in events:
        recipients = await _recipients(appeal, event, EVENTS[name])
        choices = await choices_of(r.user.id for r in recipients)
        context = {**known.context, **_event_context(event, name, known.timezone)}
        wording = _Wordings(name, context, overrides)
        for recipient in recipients:
            for channel_name, spec in channels.items():
                if spec.address is None:
                    continue
                wanted = decide(choices.get(recipient.user.id, {}), name, channel_name,
                                spec.default_on)
                if wanted is None:
                    continue
                address = spec.address(recipient.user) if wanted else ""
                key = f"appeal-event:{event.id}:{channel_name}:user:{recipient.user.id}"
                rows.setdefault(key, _notification(
                    key, name, channel_name, known, event,
                    wording(channel_name, recipient.for_staff),
                    _status(spec, wanted, address), recipient=recipient.user,
                    address=address))
        for hook in hooks:
            if hook.events and name not in hook.events:
                continue
            key = f"appeal-event:{event.id}:webhook:{hook.id}"
            rows.setdefault(key, _notification(
                key, name, NotificationChannel.WEBHOOK.value, known, event,
                wording(NotificationChannel.WEBHOOK.value, True),
                NotificationStatus.PENDING, webhook=hook, address=hook.url))
    return await _store(list(rows.values()))


@dataclass
class _Wordings:
    """An event's wording, rendered once per channel and audience: it names no
    recipient, so every operator of a body gets the same text."""

    name: str
    context: dict[str, Any]
    overrides: dict[tuple[str, str], list[tuple[str, str, str]]]
    done: dict[tuple[str, bool], templates.Rendered] = field(default_factory=dict)

    def __call__(self, channel_name: str, for_staff: bool) -> templates.Rendered:
        key = (channel_name, for_staff)
        if key not in self.done:
            self.done[key] = templates.render(
                self.name, {**self.context, "for_staff": for_staff},
                self.overrides.get((self.name, channel_name), []))
        return self.done[key]


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


def _notification(key: str, name: str, channel: str, known: _Appeal, event: AppealEvent,
                  wording: templates.Rendered, status: NotificationStatus, *,
                  address: str, recipient: User | None = None,
                  webhook: WebhookSubscription | None = None) -> Notification:
    data: dict[str, Any] = {
        "appeal_id": known.row.id, "event_id": event.id, "action": event.action,
        "status": event.to_status, "organization_ogrn": known.organization_ogrn,
        "at": event.at.isoformat(), "template": wording.source}
    if wording.error:
        data["template_error"] = wording.error
    now = datetime.now(UTC)
    return Notification(
        dedupe_key=key, event=name, channel=channel, recipient=recipient, webhook=webhook,
        address=address, appeal_id=known.row.id, territory_path=known.row.territory_path,
        subject=wording.subject, body=wording.body, data=data, status=status,
        sent_at=now if status == NotificationStatus.SENT else None)


async def _describe(appeal: Appeal) -> _Appeal:
    codes = appeal.territory_path.split(PATH_SEPARATOR)
    territories = {row["code"]: row for row in await Territory.filter(code__in=codes).values(
        "code", "name", "timezone")}
    own = territories.get(codes[-1], {"name": "", "timezone": "UTC"})
    category = await Category.filter(id=appeal.category_id).values_list("name", flat=True)
    organization = None
    if appeal.organization_id is not None:
        organization = await Organization.get_or_none(id=appeal.organization_id)
    context = {
        "appeal_id": appeal.id, "category": category[0] if category else "",
        "territory": own["name"], "organization": organization.name if organization else "",
        "legal_track": appeal.legal_track.value, "answer": appeal.answer or "",
        "rating": appeal.rating, "rework": False, "reason": "",
    }
    return _Appeal(row=appeal, path_codes=codes, context=context,
                   timezone=ZoneInfo(own["timezone"] or "UTC"),
                   organization_ogrn=organization.ogrn if organization else None)


def _event_context(event: AppealEvent, name: str, zone: ZoneInfo) -> dict[str, Any]:
    payload = event.payload or {}
    due = payload.get("due_at")
    due_text = ""
    if isinstance(due, str):
        try:
            due_text = datetime.fromisoformat(due).astimezone(zone).strftime("%d.%m.%Y")
        except ValueError:
            due_text = ""
    context: dict[str, Any] = {"event": name, "status": event.to_status,
                               "reason": event.reason, "due_at": due_text}
    if "rating" in payload:
        context["rating"] = payload["rating"]
        context["rework"] = bool(payload.get("rework"))
    if name == "answered" and isinstance(payload.get("text"), str):
        context["answer"] = payload["text"]
    return context


async def _recipients(appeal: Appeal, event: AppealEvent, audiences: frozenset[Audience]
                      ) -> list[Recipient]:
    """Applicant first, then staff; whoever took the step is not told about it (except
    the applicant, who gets a receipt). Staff are named to nobody: templates get no
    person's name."""
    staff: set[int] = set()
    if Audience.BODY in audiences and appeal.organization_id is not None:
        staff |= set(await RoleAssignment.filter(
            organization_id=appeal.organization_id, role__in=BODY_ROLES).values_list(
            "user_id", flat=True))
    if audiences & {Audience.BODY, Audience.EXECUTOR} and appeal.executor_id is not None:
        staff.add(appeal.executor_id)
    supervisor = (event.payload or {}).get("to_organization_id")
    if Audience.SUPERVISOR in audiences and isinstance(supervisor, int):
        staff |= set(await RoleAssignment.filter(
            organization_id=supervisor, role__in=BODY_ROLES).values_list("user_id", flat=True))
    applicant = appeal.applicant_id if Audience.APPLICANT in audiences else None
    staff.discard(applicant)  # type: ignore[arg-type]
    users = {user.id: user for user in await User.filter(
        id__in=sorted(staff | ({applicant} if applicant else set())))}
    found = [Recipient(users[applicant], for_staff=False)] if applicant in users else []
    found += [Recipient(users[uid], for_staff=True) for uid in sorted(staff)
              if uid in users and Principal(users[uid]).actor != event.actor]
    return found


async def _overrides(codes: list[str], names: set[str]
                     ) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """Stored wordings on the appeal's territory path, most specific first."""
    depth = {code: index for index, code in enumerate(codes)}
    rows = await NotificationTemplate.filter(
        territory__code__in=codes, event__in=sorted(names), locale=templates.LOCALE).values(
        "event", "channel", "subject", "body", "territory__code")
    rows.sort(key=lambda row: -depth[row["territory__code"]])
    found: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for row in rows:
        found.setdefault((row["event"], str(row["channel"])), []).append(
            (row["territory__code"], row["subject"], row["body"]))
    return found
