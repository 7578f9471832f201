"""A hearing's life: created as a draft on a procedure template, edited, announced (the
notice fixes every stage's dates on the production calendar), then stepped through its
stages by the organiser or by the scheduler (:mod:`vmeste.platform.hearings.watch`),
to the official publication of the conclusion; or cancelled.

Every step is the platform's step shape (:data:`vmeste.platform.hearings.steps.HEARING_STEPS`):
the hearing, its event, the audit record and the outbox messages (its notifications)
commit together. Signing the protocol and publishing accept ``within``: a coroutine
run first in the step's transaction, so that the documents (generated and frozen by
:mod:`vmeste.platform.hearings.publication`) commit or roll back with the step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.authz import require_authenticated
from vmeste.platform.deadlines.store import CalendarStore
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.hearings import access, schedule
from vmeste.platform.hearings.drafts import publish_pending_versions
from vmeste.platform.hearings.lifecycle import Action
from vmeste.platform.hearings.models import DocumentKind, Hearing, HearingKind, Stage
from vmeste.platform.hearings.models import HearingStatus as S
from vmeste.platform.hearings.publication import freeze_in
from vmeste.platform.hearings.schedule import zone_of
from vmeste.platform.hearings.steps import HEARING_STEPS as STEPS
from vmeste.platform.hearings.templates import choose
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal, path_within
from vmeste.platform.reference.models import Organization, Territory
from vmeste.platform.steps import Within

OBJECT_TYPE = "hearing"
TEXT_MAX, LONG_MAX, NOTICE_MAX, REASON_MAX = 500, 50_000, 50_000, 2_000
#: The stage the next status starts, for the scheduler's next moment.
STAGE_OF = {S.NOTICE: Stage.NOTICE, S.EXPOSITION: Stage.EXPOSITION, S.MEETING: Stage.MEETING,
            S.PROTOCOL: Stage.PROTOCOL}


@dataclass(frozen=True)
class HearingInput:
    title: str
    territory_code: str
    kind: HearingKind
    document_type: str
    #: The organising body, by id or by ОГРН.
    organiser_id: int | None = None
    organiser_ogrn: str | None = None
    #: None: the template of the document type and kind that applies on the territory.
    template_code: str | None = None
    description: str = ""
    exposition_place: str = ""
    exposition_hours: str = ""
    meeting_place: str = ""
    meeting_at: datetime | None = None


@dataclass(frozen=True)
class HearingChanges:
    """What an update of a draft changes; None keeps a field."""

    title: str | None = None
    description: str | None = None
    exposition_place: str | None = None
    exposition_hours: str | None = None
    meeting_place: str | None = None
    meeting_at: datetime | None = None


@dataclass(frozen=True)
class Announcement:
    notice_text: str
    #: Where the notice is officially published (cited by the protocol).
    published_where: str
    #: The notice stage's first day; None: today in the territory's time zone.
    notice_on: date | None = None
    #: Stage name → its length in the stage's unit; unnamed stages take the default.
    stage_days: Mapping[str, int] = field(default_factory=dict)


_LIMITS = {"title": TEXT_MAX, "description": LONG_MAX, "exposition_place": TEXT_MAX,
           "exposition_hours": TEXT_MAX, "meeting_place": TEXT_MAX}
_NAMES = {"title": "title", "description": "description", "exposition_place": "expositionPlace",
          "exposition_hours": "expositionHours", "meeting_place": "meetingPlace"}


def _text_problems(values: Mapping[str, Any]) -> list[FieldError]:
    errors = []
    for name, limit in _LIMITS.items():
        value = values.get(name)
        if value is not None and len(value) > limit:
            errors.append(FieldError(_NAMES[name], _("At most {limit} characters", limit=limit),
                                     ErrorCode.INVALID))
    if "title" in values and values["title"] is not None and not values["title"].strip():
        errors.append(FieldError("title", _("A hearing needs a title"), ErrorCode.REQUIRED))
    return errors


def aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first moment of ``day`` in the territory's time zone."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def next_check(status: S, dates: Mapping[str, Any], zone: ZoneInfo) -> datetime | None:
    """When the scheduler next moves a hearing in ``status``: at the start of the next
    stage's first day, for the stages it moves on (the notice, the exposition and the
    meeting)."""
    stages = [p.stage for p in schedule.periods_of(dates)]
    current = STAGE_OF.get(status)
    if current is None or current is Stage.PROTOCOL or current not in stages:
        return None
    day = schedule.starts_on(dates, stages[stages.index(current) + 1])
    return midnight(day, zone) if day else None


async def take_step(hearing: Hearing, actor: str, action: Action, status: S, *,
                    reason: str = "", payload: dict[str, Any] | None = None,
                    within: Within | None = None) -> Hearing:
    """The step with its audit record, in one transaction with the hearing's event
    (``within`` writes the step's other rows first, and rolls back with a lost race)."""
    before = hearing.status
    hearing.next_check_at = next_check(status, hearing.schedule, await zone_of(hearing))
    async with in_transaction() as conn:
        if within is not None:
            await within(conn)
        await record(actor=actor, action=f"hearing.{action}", object_type=OBJECT_TYPE,
                     object_id=hearing.id, before={"status": before},
                     after={"status": status, **(payload or {})},
                     scope_path=hearing.territory_path, using=conn)
        await STEPS.move(conn, hearing, actor, action, status, reason=reason,
                         payload={"stage": str(status), **(payload or {})})
    return hearing


def _then(first: Within, more: Within | None) -> Within:
    """The step's own writes, then a caller's, in the step's transaction."""

    async def both(conn: BaseDBAsyncClient) -> None:
        await first(conn)
        if more is not None:
            await more(conn)

    return both


async def open_exposition(hearing: Hearing, actor: str, now: datetime) -> Hearing:
    """The draft's versions prepared before are published with the exposition."""

    async def publish_versions(conn: BaseDBAsyncClient) -> None:
        await publish_pending_versions(conn, hearing.id, now)

    return await take_step(hearing, actor, Action.OPEN_EXPOSITION, S.EXPOSITION,
                           within=publish_versions)


async def hold_meeting(hearing: Hearing, actor: str) -> Hearing:
    """A public hearing's meeting; a discussion has none."""
    if hearing.kind is not HearingKind.PUBLIC_HEARING:
        raise DomainError.of(None, _("A public discussion has no meeting"),
                             ErrorCode.ILLEGAL_TRANSITION)
    return await take_step(hearing, actor, Action.HOLD_MEETING, S.MEETING)


async def close_proposals(hearing: Hearing, actor: str) -> Hearing:
    return await take_step(hearing, actor, Action.CLOSE_PROPOSALS, S.PROTOCOL)


async def sign_protocol(hearing: Hearing, actor: str, now: datetime, *,
                        within: Within | None = None) -> Hearing:
    """The protocol is signed: its newest version is frozen, as placed in the official
    source the notice named, in the step's transaction (NOT_FOUND before one is
    generated); ``within`` adds the caller's writes."""

    async def freeze(conn: BaseDBAsyncClient) -> None:
        await freeze_in(conn, hearing, DocumentKind.PROTOCOL, actor, now,
                        hearing.notice_published_where)

    return await take_step(hearing, actor, Action.SIGN_PROTOCOL, S.CONCLUSION,
                           within=_then(freeze, within))


async def publish(hearing: Hearing, actor: str, now: datetime, where: str, *,
                  within: Within | None = None) -> Hearing:
    """The conclusion's official publication, recording when and where; ``within``
    freezes the documents in the same transaction."""
    where = where.strip()
    if not where:
        raise DomainError.of("where", _("Say where the conclusion is published"),
                             ErrorCode.REQUIRED)
    if len(where) > TEXT_MAX:
        raise DomainError.of("where", _("At most {limit} characters", limit=TEXT_MAX))
    hearing.published_at, hearing.published_where = now, where

    async def freeze(conn: BaseDBAsyncClient) -> None:
        await freeze_in(conn, hearing, DocumentKind.CONCLUSION, actor, now, where)

    return await take_step(hearing, actor, Action.PUBLISH, S.PUBLISHED,
                           within=_then(freeze, within), payload={"published_where": where})


@dataclass
class HearingServices:
    """The hearing lifecycle, bound to this process's calendars and clock."""

    calendars: CalendarStore
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    async def create(self, principal: Principal, data: HearingInput) -> Hearing:
        require_authenticated(principal)
        territory = await Territory.get_or_none(code=data.territory_code)
        if territory is None:
            raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
        organiser = await (Organization.get_or_none(id=data.organiser_id)
                           if data.organiser_id is not None
                           else Organization.get_or_none(ogrn=data.organiser_ogrn or ""))
        if organiser is None:
            raise DomainError.of("organiser", _("Organization not found"), ErrorCode.NOT_FOUND)
        access.require_organiser(principal, territory.path, organiser.id)
        body_path = await Territory.filter(id=organiser.territory_id).values_list(
            "path", flat=True)
        errors = _text_problems({f.name: getattr(data, f.name) for f in fields(data)
                                 if f.name in _LIMITS})
        if not path_within(territory.path, body_path[0]):
            errors.append(FieldError("organiser", _("The organising body serves another "
                                                    "territory"), ErrorCode.INVALID))
        if errors:
            raise DomainError(*errors)
        template = await choose(territory.path, code=data.template_code,
                                document_type=data.document_type, kind=data.kind)
        async with in_transaction() as conn:
            hearing = await Hearing.create(
                title=data.title.strip(), description=data.description.strip(),
                kind=template.kind, document_type=template.document_type, template=template,
                territory=territory, territory_path=territory.path, organiser=organiser,
                exposition_place=data.exposition_place.strip(),
                exposition_hours=data.exposition_hours.strip(),
                meeting_place=data.meeting_place.strip(), meeting_at=aware(data.meeting_at),
                created_by=principal.actor, using_db=conn)
            await record(actor=principal.actor, action="hearing.create",
                         object_type=OBJECT_TYPE, object_id=hearing.id, before=None,
                         after={"status": S.DRAFT, "template": template.id},
                         scope_path=hearing.territory_path, using=conn)
            await STEPS.record(conn, hearing, principal.actor, Action.CREATE, None, S.DRAFT)
        return hearing

    async def _open(self, principal: Principal, hearing_id: int, action: Action) -> Hearing:
        return await STEPS.open(hearing_id, action, lambda h: access.require_organiser(
            principal, h.territory_path, h.organiser_id))

    async def update(self, principal: Principal, hearing_id: int, data: HearingChanges
                     ) -> Hearing:
        hearing = await self._open(principal, hearing_id, Action.UPDATE)
        changes = {f.name: getattr(data, f.name) for f in fields(data)
                   if getattr(data, f.name) is not None}
        errors = _text_problems(changes)
        if errors:
            raise DomainError(*errors)
        changes = {k: v.strip() if isinstance(v, str) else aware(v) for k, v in changes.items()}
        for name, value in changes.items():
            setattr(hearing, name, value)

        async def write(conn: BaseDBAsyncClient) -> None:
            if changes:
                await Hearing.filter(id=hearing.id).using_db(conn).update(**changes)

        return await take_step(hearing, principal.actor, Action.UPDATE, S.DRAFT, within=write,
                               payload={"fields": sorted(changes)})

    async def announce(self, principal: Principal, hearing_id: int, data: Announcement
                       ) -> Hearing:
        """The notice: published where it says, and every stage's dates fixed from its
        day on the territory's production calendar."""
        hearing = await self._open(principal, hearing_id, Action.ANNOUNCE)
        zone = await zone_of(hearing)
        now = self.clock()
        today = now.astimezone(zone).date()
        errors = []
        text, where = data.notice_text.strip(), data.published_where.strip()
        if not text:
            errors.append(FieldError("noticeText", _("Give the text of the notice"),
                                     ErrorCode.REQUIRED))
        elif len(text) > NOTICE_MAX:
            errors.append(FieldError("noticeText", _("At most {limit} characters",
                                                     limit=NOTICE_MAX), ErrorCode.INVALID))
        if not where:
            errors.append(FieldError("publishedWhere", _("Say where the notice is published"),
                                     ErrorCode.REQUIRED))
        elif len(where) > TEXT_MAX:
            errors.append(FieldError("publishedWhere", _("At most {limit} characters",
                                                         limit=TEXT_MAX), ErrorCode.INVALID))
        notice_on = data.notice_on or today
        if notice_on < today:
            errors.append(FieldError("noticeOn", _("The notice day has passed"),
                                     ErrorCode.INVALID))
        if errors:
            raise DomainError(*errors)
        template = await hearing.template
        production = await self.calendars.for_path(hearing.territory_path)
        periods = schedule.compute(template, notice_on, production, data.stage_days)
        hearing.schedule = schedule.as_json(periods)
        hearing.notice_text, hearing.notice_published_where = text, where
        hearing.notice_published_at = now

        async def write(conn: BaseDBAsyncClient) -> None:
            await Hearing.filter(id=hearing.id).using_db(conn).update(notice_text=text)

        return await take_step(hearing, principal.actor, Action.ANNOUNCE, S.NOTICE,
                               within=write, payload={"notice_on": notice_on.isoformat()})

    async def open_exposition(self, principal: Principal, hearing_id: int) -> Hearing:
        hearing = await self._open(principal, hearing_id, Action.OPEN_EXPOSITION)
        return await open_exposition(hearing, principal.actor, self.clock())

    async def hold_meeting(self, principal: Principal, hearing_id: int) -> Hearing:
        hearing = await self._open(principal, hearing_id, Action.HOLD_MEETING)
        return await hold_meeting(hearing, principal.actor)

    async def close_proposals(self, principal: Principal, hearing_id: int) -> Hearing:
        hearing = await self._open(principal, hearing_id, Action.CLOSE_PROPOSALS)
        return await close_proposals(hearing, principal.actor)

    async def sign_protocol(self, principal: Principal, hearing_id: int, *,
                            within: Within | None = None) -> Hearing:
        hearing = await self._open(principal, hearing_id, Action.SIGN_PROTOCOL)
        return await sign_protocol(hearing, principal.actor, self.clock(), within=within)

    async def publish(self, principal: Principal, hearing_id: int, where: str, *,
                      within: Within | None = None) -> Hearing:
        hearing = await self._open(principal, hearing_id, Action.PUBLISH)
        return await publish(hearing, principal.actor, self.clock(), where, within=within)

    async def cancel(self, principal: Principal, hearing_id: int, reason: str) -> Hearing:
        hearing = await self._open(principal, hearing_id, Action.CANCEL)
        reason = reason.strip()
        if not reason:
            raise DomainError.of("reason", _("Give the reason for the cancellation"),
                                 ErrorCode.REQUIRED)
        if len(reason) > REASON_MAX:
            raise DomainError.of("reason", _("At most {limit} characters", limit=REASON_MAX))
        hearing.cancel_reason = reason
        return await take_step(hearing, principal.actor, Action.CANCEL, S.CANCELLED,
                               reason=reason)
