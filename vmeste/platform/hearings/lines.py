"""A direct line's life: created as a draft by its organisers, announced (questions are
collected), started (the broadcast, the studio marks questions answered), finished,
or cancelled before it goes on air.

Each step is the platform's step shape (:data:`vmeste.platform.hearings.steps.LINE_STEPS`):
the organiser's right and the state machine's permission are checked, then the line,
its event, the audit record and the outbox messages commit together. Announcing sets
``next_check_at`` to the moment questions stop being taken, for the line clock
(:mod:`vmeste.platform.hearings.line_watch`), and ``announced_at``: everyone sees the
line from then on, cancelled later or not (one cancelled as a draft stays a draft,
:func:`vmeste.platform.hearings.access.public_line`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.hearings import access
from vmeste.platform.hearings.lifecycle import LineAction
from vmeste.platform.hearings.line_models import DirectLine, LineStatus
from vmeste.platform.hearings.steps import LINE_STEPS as STEPS
from vmeste.platform.i18n import _, translate
from vmeste.platform.identity.principal import Principal
from vmeste.platform.reference.models import Category, Organization, Territory

TITLE_MAX = 500
NAME_MAX = 300
POSITION_MAX = 500
DESCRIPTION_MAX = 20_000
TOPICS_MAX = 20
TOPIC_MAX = 300
OBJECT_TYPE = "direct_line"


@dataclass(frozen=True)
class LineInput:
    title: str
    official_name: str
    organization_ogrn: str
    territory_code: str
    starts_at: datetime
    official_position: str = ""
    description: str = ""
    topics: list[str] = field(default_factory=list)
    #: Questions are taken until then; None: until the broadcast starts.
    questions_close_at: datetime | None = None
    #: The appeal category the unanswered questions are handed over in.
    category_code: str | None = None


def aware(moment: datetime | None) -> datetime | None:
    """A moment without a zone is taken as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def questions_close(line: DirectLine) -> datetime:
    """When the line stops taking questions: ``questions_close_at``, else the start."""
    return aware(line.questions_close_at or line.starts_at)  # type: ignore[return-value]


async def audit_step(conn: BaseDBAsyncClient, line: DirectLine, actor: str, action: str,
                 before: LineStatus | None, after: LineStatus,
                 extra: dict[str, object] | None = None) -> None:
    await record(actor=actor, action=f"direct_line.{action}", object_type=OBJECT_TYPE,
                 object_id=line.id, before=None if before is None else {"status": before},
                 after={"status": after, **(extra or {})}, scope_path=line.territory_path,
                 using=conn)


async def take_step(line: DirectLine, actor: str, action: LineAction, status: LineStatus,
                    *, reason: str = "", payload: dict[str, object] | None = None
                    ) -> DirectLine:
    """The step with its audit record, in one transaction with the line's event."""
    before = line.status
    async with in_transaction() as conn:
        await audit_step(conn, line, actor, action, before, status)
        await STEPS.move(conn, line, actor, action, status, reason=reason, payload=payload)
    return line


async def _references(data: LineInput, now: datetime
                      ) -> tuple[Organization, Territory, Category | None]:
    errors: list[FieldError] = []

    def fail(name: str, message: str, code: ErrorCode = ErrorCode.INVALID) -> None:
        errors.append(FieldError(name, message, code))

    for name, value, limit, required in (
            ("title", data.title, TITLE_MAX, _("A direct line needs a title")),
            ("officialName", data.official_name, NAME_MAX, _("Name the official who answers")),
            ("officialPosition", data.official_position, POSITION_MAX, None),
            ("description", data.description, DESCRIPTION_MAX, None)):
        if required and not value.strip():
            fail(name, required, ErrorCode.REQUIRED)
        elif len(value) > limit:
            fail(name, _("At most {limit} characters", limit=limit))
    if len(data.topics) > TOPICS_MAX:
        fail("topics", _("At most {limit} topics", limit=TOPICS_MAX))
    elif any(not t.strip() or len(t) > TOPIC_MAX for t in data.topics):
        fail("topics", _("A topic has 1 to {limit} characters", limit=TOPIC_MAX))
    starts, closes = aware(data.starts_at), aware(data.questions_close_at)
    if starts is not None and starts <= now:
        fail("startsAt", _("The start of the line has passed"))
    if closes is not None and starts is not None and closes > starts:
        fail("questionsCloseAt", _("Questions close at the start of the line or before"))
    elif closes is not None and closes <= now:
        fail("questionsCloseAt", _("The closing moment has passed"))
    organization = await Organization.get_or_none(ogrn=data.organization_ogrn)
    if organization is None:
        fail("organizationOgrn", _("Organization with OGRN {ogrn} not found",
                                   ogrn=data.organization_ogrn), ErrorCode.NOT_FOUND)
    territory = await Territory.get_or_none(code=data.territory_code)
    if territory is None:
        fail("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
    category = None
    if data.category_code:
        category = await Category.get_or_none(code=data.category_code)
        if category is None or not category.active:
            fail("categoryCode", _("The category is not found or closed"), ErrorCode.NOT_FOUND)
    if errors:
        raise DomainError(*errors)
    assert organization is not None and territory is not None
    return organization, territory, category


def _columns(data: LineInput, territory: Territory, organization: Organization,
             category: Category | None) -> dict[str, object]:
    return {"title": data.title.strip(), "description": data.description.strip(),
            "official_name": data.official_name.strip(),
            "official_position": data.official_position.strip(),
            "organization_id": organization.id, "territory_id": territory.id,
            "territory_path": territory.path, "topics": [t.strip() for t in data.topics],
            "starts_at": aware(data.starts_at),
            "questions_close_at": aware(data.questions_close_at),
            "category_id": category.id if category else None}


async def create_line(principal: Principal, data: LineInput, now: datetime) -> DirectLine:
    """A draft line; its organisers are those of the territory and the organising body."""
    require_authenticated(principal)
    organization, territory, category = await _references(data, now)
    access.require_organiser(principal, territory.path, organization.id)
    async with in_transaction() as conn:
        line = await DirectLine.create(**_columns(data, territory, organization, category),
                                       created_by=principal.actor, using_db=conn)
        await STEPS.record(conn, line, principal.actor, LineAction.CREATE, None,
                           LineStatus.DRAFT)
        await audit_step(conn, line, principal.actor, LineAction.CREATE, None, LineStatus.DRAFT)
    return line


def _organiser(principal: Principal, line: DirectLine) -> None:
    access.require_organiser(principal, line.territory_path, line.organization_id)


async def update_line(principal: Principal, line_id: int, data: LineInput, now: datetime
                      ) -> DirectLine:
    """Change what was announced (a draft, or while questions are collected); the
    organisers of the line both before and after the change."""
    line = await STEPS.open(line_id, LineAction.UPDATE, lambda r: _organiser(principal, r))
    organization, territory, category = await _references(data, now)
    access.require_organiser(principal, territory.path, organization.id)
    columns = _columns(data, territory, organization, category)
    if line.status == LineStatus.COLLECTING:
        columns["next_check_at"] = aware(data.questions_close_at or data.starts_at)
    starts, was = aware(data.starts_at), aware(line.starts_at)
    # A new start is a move the people who asked hear of (line_notify).
    moved = ({"starts_at": starts.isoformat(), "was_starts_at": was.isoformat()}
             if starts is not None and was is not None and starts != was else None)
    async with in_transaction() as conn:
        changed = await DirectLine.filter(id=line.id, revision=line.revision).using_db(
            conn).update(**columns, revision=line.revision + 1, updated_at=now)
        if changed != 1:
            raise DomainError.of(None, translate(STEPS.conflict), ErrorCode.CONFLICT)
        await STEPS.record(conn, line, principal.actor, LineAction.UPDATE, line.status,
                           line.status, payload=moved)
        await audit_step(conn, line, principal.actor, LineAction.UPDATE, line.status, line.status)
    return await DirectLine.get(id=line.id)


async def announce(principal: Principal, line_id: int, now: datetime) -> DirectLine:
    line = await STEPS.open(line_id, LineAction.ANNOUNCE, lambda r: _organiser(principal, r))
    if questions_close(line) <= now:
        raise DomainError.of("id", _("The moment questions close has passed; change it "
                                     "first"), ErrorCode.INVALID)
    line.next_check_at, line.announced_at = questions_close(line), now
    return await take_step(line, principal.actor, LineAction.ANNOUNCE, LineStatus.COLLECTING)


async def start(principal: Principal, line_id: int, now: datetime) -> DirectLine:
    """The broadcast: questions are no longer taken, the studio marks answers."""
    line = await STEPS.open(line_id, LineAction.START, lambda r: _organiser(principal, r))
    line.started_at, line.next_check_at = now, None
    return await take_step(line, principal.actor, LineAction.START, LineStatus.LIVE)


async def finish(principal: Principal, line_id: int, now: datetime) -> DirectLine:
    line = await STEPS.open(line_id, LineAction.FINISH, lambda r: _organiser(principal, r))
    line.finished_at = now
    return await take_step(line, principal.actor, LineAction.FINISH, LineStatus.FINISHED)


async def cancel(principal: Principal, line_id: int, reason: str = "") -> DirectLine:
    line = await STEPS.open(line_id, LineAction.CANCEL, lambda r: _organiser(principal, r))
    if len(reason) > DESCRIPTION_MAX:
        raise DomainError.of("reason", _("At most {limit} characters", limit=DESCRIPTION_MAX))
    line.next_check_at = None
    return await take_step(line, principal.actor, LineAction.CANCEL, LineStatus.CANCELLED,
                           reason=reason.strip())
