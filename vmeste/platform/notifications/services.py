"""What people do with notifications: read their inbox, choose channels, word
templates for their region, subscribe their body's systems, read the delivery log.

Each operation checks the caller's right first and raises typed errors, so the
GraphQL API and any later CLI enforce the same rules.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from vmeste.platform import authz
from vmeste.platform.audit.services import record, snapshot
from vmeste.platform.errors import DomainError, ErrorCode, FieldError, Forbidden
from vmeste.platform.hookspecs import ChannelSpec
from vmeste.platform.i18n import DEFAULT, _
from vmeste.platform.identity.models import Role, User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.notifications.addresses import UnsafeAddress, resolve
from vmeste.platform.notifications.models import (
    Notification,
    NotificationPreference,
    NotificationTemplate,
    WebhookSubscription,
)
from vmeste.platform.notifications.subjects import ALL_EVENTS, NotificationCatalog
from vmeste.platform.notifications.templates import (
    BODY_MAX,
    SUBJECT_MAX,
    template_problems,
)
from vmeste.platform.reference.models import Organization, Territory

INBOX = "inbox"
#: Roles of a body's staff, who read the delivery log of their body's subjects.
STAFF = (Role.OPERATOR, Role.EXECUTOR, Role.ORG_ADMIN)
Channels = Mapping[str, ChannelSpec]
#: Who reads a region's delivery log and edits its wording, besides the body's staff.
LOG_READERS = (Role.REGIONAL_ADMIN, Role.FEDERAL_CONFIGURATOR, Role.AUDITOR)
TEMPLATE_FIELDS = ("territory_id", "event", "channel", "locale", "subject", "body")
WEBHOOK_FIELDS = ("organization_id", "url", "events", "active")


def _user(principal: Principal) -> User:
    authz.require_authenticated(principal)
    if principal.user is None:
        raise Forbidden(_("Only users have notifications"))
    return principal.user


def _check_event(catalog: NotificationCatalog, name: str, *, allow_all: bool = False) -> None:
    if name not in catalog.owners and not (allow_all and name == ALL_EVENTS):
        raise DomainError.of("event", _("Unknown event «{name}»", name=name), ErrorCode.INVALID)


def personal(spec: ChannelSpec) -> bool:
    """Whether people choose the channel for themselves (webhooks belong to bodies)."""
    return spec.address is not None


def check_channel(channels: Channels, name: str) -> ChannelSpec:
    spec = channels.get(name)
    if spec is None:
        raise DomainError.of("channel", _("The channel «{name}» is not installed", name=name),
                             ErrorCode.NOT_FOUND)
    return spec


# --- the inbox and preferences ---------------------------------------------------------


def inbox_of(principal: Principal) -> Q:
    user = _user(principal)
    return Q(recipient_id=user.id, channel=INBOX)


async def mark_read(principal: Principal, ids: list[int]) -> int:
    """Marks the caller's own unread inbox notifications; others' ids change nothing."""
    query = inbox_of(principal)
    return await Notification.filter(query, id__in=ids, read_at__isnull=True).update(
        read_at=datetime.now(UTC))


@dataclass(frozen=True)
class Preference:
    event: str
    channel: str
    enabled: bool
    #: False: the platform's default, never chosen by the user.
    chosen: bool


async def preferences(principal: Principal, channels: Channels) -> list[Preference]:
    """The caller's choices, plus the defaults of the installed personal channels they
    never chose for all events."""
    user = _user(principal)
    rows = await NotificationPreference.filter(user_id=user.id).order_by("event", "channel")
    found = [Preference(row.event, row.channel, row.enabled, True) for row in rows]
    chosen_for_all = {row.channel for row in rows if row.event == ALL_EVENTS}
    found += [Preference(ALL_EVENTS, name, spec.default_on, False)
              for name, spec in sorted(channels.items())
              if personal(spec) and name not in chosen_for_all]
    return found


async def set_preference(principal: Principal, catalog: NotificationCatalog,
                         channels: Channels, event: str, channel: str, enabled: bool
                         ) -> Preference:
    user = _user(principal)
    _check_event(catalog, event, allow_all=True)
    if not personal(check_channel(channels, channel)):
        raise DomainError.of("channel", _("Users do not configure this channel"))
    # Insert-or-nothing, then update: two clicks at once both succeed (a read, then a
    # create, would let the second fail on the unique key).
    await NotificationPreference.bulk_create(
        [NotificationPreference(user_id=user.id, event=event, channel=channel,
                                enabled=enabled)], ignore_conflicts=True)
    await NotificationPreference.filter(user_id=user.id, event=event, channel=channel).exclude(
        enabled=enabled).update(enabled=enabled, updated_at=datetime.now(UTC))
    return Preference(event, channel, enabled, True)


# --- the delivery log ------------------------------------------------------------------


async def visible_deliveries(principal: Principal, catalog: NotificationCatalog) -> Q:
    """The delivery log follows its subject's visibility (for appeals, the complaint
    exclusion included), with federal configurators among the territory readers."""
    authz.require_authenticated(principal)
    if not principal.organization_ids(STAFF) and not principal.territory_scopes(LOG_READERS):
        raise Forbidden()
    visible = Q(id=-1)
    for subject_type, subject in sorted(catalog.subjects.items()):
        ids = await subject.source.visible_ids(principal, LOG_READERS)
        visible |= Q(subject_type=subject_type, subject_id__in=Subquery(ids))
    return visible


# --- templates -----------------------------------------------------------------------


def template_scopes(principal: Principal) -> list[str]:
    return authz.require_any_territory_role(principal, authz.ADMINS)


@dataclass
class TemplateInput:
    territory_code: str
    event: str
    channel: str
    subject: str
    body: str
    #: The locale the wording is written in: the fan-out uses the templates of the
    #: locale it renders in (the installation's ``VMESTE_LOCALE``).
    locale: str = DEFAULT


async def set_template(principal: Principal, catalog: NotificationCatalog, channels: Channels,
                       data: TemplateInput) -> NotificationTemplate:
    territory = await _territory_for_admin(principal, data.territory_code)
    _check_event(catalog, data.event)
    check_channel(channels, data.channel)
    owner = catalog.owners[data.event]
    errors = [FieldError(name, _("At most {limit} characters", limit=limit), ErrorCode.INVALID)
              for name, value, limit in (("subject", data.subject, SUBJECT_MAX),
                                         ("body", data.body, BODY_MAX))
              if len(value) > limit]
    if not data.body.strip():
        errors.append(FieldError("body", _("The template text cannot be empty"),
                                 ErrorCode.REQUIRED))
    if errors:
        raise DomainError(*errors)
    problems = template_problems(data.subject, data.body,
                                 owner.longest_context or owner.sample_context)
    if problems:
        raise DomainError.of("body", "; ".join(problems), ErrorCode.INVALID)
    row = await NotificationTemplate.get_or_none(territory_id=territory.id, event=data.event,
                                                 channel=data.channel, locale=data.locale)
    before = snapshot(row, TEMPLATE_FIELDS) if row else None
    async with in_transaction() as conn:
        if row is None:
            row = await NotificationTemplate.create(
                territory_id=territory.id, event=data.event, channel=data.channel,
                locale=data.locale, subject=data.subject, body=data.body, author=principal.actor,
                using_db=conn)
        else:
            row.subject, row.body, row.author = data.subject, data.body, principal.actor
            await row.save(using_db=conn)
        await record(actor=principal.actor, action="notification_template.set",
                     object_type="notification_template", object_id=row.id, before=before,
                     after=snapshot(row, TEMPLATE_FIELDS), scope_path=territory.path,
                     using=conn)
    return row


async def delete_template(principal: Principal, template_id: int) -> int:
    template_scopes(principal)
    row = await NotificationTemplate.get_or_none(id=template_id).prefetch_related("territory")
    if row is None:
        raise DomainError.of("id", _("Template not found"), ErrorCode.NOT_FOUND)
    authz.require_territory(principal, row.territory.path, authz.ADMINS)
    async with in_transaction() as conn:
        await row.delete(using_db=conn)
        await record(actor=principal.actor, action="notification_template.delete",
                     object_type="notification_template", object_id=template_id,
                     before=snapshot(row, TEMPLATE_FIELDS), after=None,
                     scope_path=row.territory.path, using=conn)
    return template_id


async def _territory_for_admin(principal: Principal, code: str) -> Territory:
    template_scopes(principal)  # the caller first: an unknown code tells strangers nothing
    territory = await Territory.get_or_none(code=code)
    if territory is None:
        raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
    authz.require_territory(principal, territory.path, authz.ADMINS)
    return territory


# --- webhooks --------------------------------------------------------------------------


def webhook_organizations(principal: Principal) -> set[int]:
    authz.require_authenticated(principal)
    found = principal.organization_ids((Role.ORG_ADMIN,))
    if not found:
        raise Forbidden(_("Webhooks are set up by an organization's administrator"))
    return found


@dataclass
class WebhookInput:
    organization_ogrn: str
    url: str
    events: list[str]


async def create_webhook(principal: Principal, catalog: NotificationCatalog, data: WebhookInput,
                         *, allow_private: bool) -> tuple[WebhookSubscription, str]:
    """The subscription and its secret, which is shown this once. The URL must lead to
    a public address unless ``allow_private`` (``VMESTE_WEBHOOK_ALLOW_PRIVATE``)."""
    allowed = webhook_organizations(principal)
    organization = await Organization.get_or_none(
        ogrn=data.organization_ogrn).select_related("territory")
    if organization is None or organization.id not in allowed:
        raise Forbidden(_("Webhooks are set up by this organization's administrator"))
    errors = []
    try:
        await resolve(data.url.strip(), allow_private=allow_private)
    except UnsafeAddress as refused:
        errors.append(FieldError("url", str(refused), ErrorCode.INVALID))
    unknown = sorted(set(data.events) - set(catalog.owners))
    if unknown:
        errors.append(FieldError("events", _("Unknown events: {events}",
                                             events=", ".join(unknown)),
                                 ErrorCode.INVALID))
    if errors:
        raise DomainError(*errors)
    secret = secrets.token_hex(32)
    async with in_transaction() as conn:
        row = await WebhookSubscription.create(
            organization_id=organization.id, url=data.url.strip(), secret=secret,
            events=sorted(set(data.events)), author=principal.actor, using_db=conn)
        await record(actor=principal.actor, action="webhook.create",
                     object_type="webhook_subscription", object_id=row.id, before=None,
                     after=snapshot(row, WEBHOOK_FIELDS),
                     scope_path=organization.territory.path, using=conn)
    return row, secret


async def delete_webhook(principal: Principal, webhook_id: int) -> int:
    allowed = webhook_organizations(principal)
    row = await WebhookSubscription.get_or_none(id=webhook_id).select_related(
        "organization__territory")
    if row is None or row.organization_id not in allowed:
        raise DomainError.of("id", _("Subscription not found"), ErrorCode.NOT_FOUND)
    async with in_transaction() as conn:
        await row.delete(using_db=conn)
        await record(actor=principal.actor, action="webhook.delete",
                     object_type="webhook_subscription", object_id=webhook_id,
                     before=snapshot(row, WEBHOOK_FIELDS), after=None,
                     scope_path=row.organization.territory.path, using=conn)
    return webhook_id

