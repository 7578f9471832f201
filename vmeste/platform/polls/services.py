"""A poll's life: created as a draft with its questions, opened, closed (by hand or at
``closesAt``, :mod:`vmeste.platform.polls.watch`), its results published; and the
moderation of free-text answers.

Each step is the platform's step shape (:data:`vmeste.platform.polls.steps.POLL_STEPS`):
the organiser's right and the state machine's permission are checked, then the poll,
its event, the audit record and the outbox messages commit together. Responses are
:mod:`vmeste.platform.polls.responses`; a step's transaction locks the poll row first
(:mod:`vmeste.platform.polls.locks`), so closing waits for the responses under way,
counts them, and no response is taken after it.

What only a running poll needs goes at its steps. Closing clears the responses' replay
keys (they serve retries, which end with the poll; once gone not even the holder of
``VMESTE_BALLOT_KEY`` can join a response to its respondent). Publishing coarsens the
responses' and the free texts' minutes to the start of their UTC day, so the time of a
response cannot be matched to anything else a person did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.polls import access, locks
from vmeste.platform.polls.lifecycle import Action
from vmeste.platform.polls.models import (
    Poll,
    PollParticipation,
    PollQuestion,
    PollResponse,
    PollStatus,
    PollTextAnswer,
    TextStatus,
)
from vmeste.platform.polls.questions import QuestionInput, check_questions
from vmeste.platform.polls.responses import Responses
from vmeste.platform.polls.steps import POLL_STEPS as STEPS
from vmeste.platform.reference.models import Territory

TITLE_MAX = 500
DESCRIPTION_MAX = 20_000
REASON_MAX = 2_000
MAX_AGE = 150
OBJECT_TYPE = "poll"


@dataclass(frozen=True)
class PollInput:
    title: str
    territory_code: str
    questions: list[QuestionInput]
    description: str = ""
    min_age: int | None = None
    verified_only: bool = True
    #: None: the installation's ``VMESTE_MIN_GROUP_SIZE``.
    min_group_size: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None


def aware(moment: datetime | None) -> datetime | None:
    """A moment without a zone is taken as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


async def _audit(conn: BaseDBAsyncClient, poll: Poll, actor: str, action: str,
                 before: PollStatus | None, after: PollStatus) -> None:
    await record(actor=actor, action=f"poll.{action}", object_type=OBJECT_TYPE,
                 object_id=poll.id, before=None if before is None else {"status": before},
                 after={"status": after}, scope_path=poll.territory_path, using=conn)


async def take_step(poll: Poll, actor: str, action: Action, status: PollStatus,
                    within: Callable[[BaseDBAsyncClient], Awaitable[object]] | None = None
                    ) -> Poll:
    """The step with its audit record, in one transaction with the poll's event, under
    the poll's exclusive lock (``within`` writes the step's other rows)."""
    before = poll.status
    async with in_transaction() as conn:
        await locks.locked(conn, poll.id, exclusive=True)
        payload = {}
        if action in (Action.CLOSE, Action.PUBLISH):
            payload["total_responses"] = await PollParticipation.filter(
                poll_id=poll.id).using_db(conn).count()
        if within is not None:
            await within(conn)
        await _audit(conn, poll, actor, action, before, status)
        await STEPS.move(conn, poll, actor, action, status, payload=payload)
    return poll


async def close(poll: Poll, actor: str, now: datetime) -> Poll:
    """The organiser's and the watchdog's closing step; the replay keys go with it."""
    poll.closed_at = now
    poll.next_check_at = None

    async def forget_replays(conn: BaseDBAsyncClient) -> None:
        await PollResponse.filter(poll_id=poll.id, replay_key__isnull=False).using_db(
            conn).update(replay_key=None)

    return await take_step(poll, actor, Action.CLOSE, PollStatus.CLOSED, forget_replays)


async def coarsen_minutes(conn: BaseDBAsyncClient, poll_id: int) -> None:
    """Every response's and free text's minute becomes the start of its UTC day: one
    update per day the poll ran, of each table."""
    for model in (PollResponse, PollTextAnswer):
        minutes = await model.filter(poll_id=poll_id).using_db(conn).order_by(
            "submitted_minute").distinct().values_list("submitted_minute", flat=True)
        days = {datetime.combine(m.astimezone(UTC).date(), time(), UTC) for m in minutes}
        for day in sorted(days):
            await model.filter(poll_id=poll_id, submitted_minute__gte=day,
                               submitted_minute__lt=day + timedelta(days=1)).using_db(
                conn).update(submitted_minute=day)


@dataclass
class PollServices:
    """The poll lifecycle and responses, bound to the installation's settings."""

    #: The installation's smallest published group (``VMESTE_MIN_GROUP_SIZE``): a poll's
    #: default, and the least it may set.
    min_group_size: int
    bands: tuple[str, ...]
    responses: Responses
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    async def create(self, principal: Principal, data: PollInput) -> Poll:
        require_authenticated(principal)
        territory = await Territory.get_or_none(code=data.territory_code)
        if territory is None:
            raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
        access.require_organiser(principal, territory.path)
        columns, errors = check_questions(data.questions)
        errors = self._problems(data) + errors
        if errors:
            raise DomainError(*errors)
        async with in_transaction() as conn:
            poll = await Poll.create(
                title=data.title.strip(), description=data.description.strip(),
                territory=territory, territory_path=territory.path, min_age=data.min_age,
                verified_only=data.verified_only,
                min_group_size=data.min_group_size or self.min_group_size,
                opens_at=aware(data.opens_at), closes_at=aware(data.closes_at),
                created_by=principal.actor, using_db=conn)
            await PollQuestion.bulk_create(
                [PollQuestion(poll_id=poll.id, position=position, **column)
                 for position, column in enumerate(columns)], using_db=conn)
            await STEPS.record(conn, poll, principal.actor, Action.CREATE, None,
                               PollStatus.DRAFT)
            await _audit(conn, poll, principal.actor, Action.CREATE, None, PollStatus.DRAFT)
        return poll

    def _problems(self, data: PollInput) -> list[FieldError]:
        errors = []

        def fail(name: str, message: str, code: ErrorCode = ErrorCode.INVALID) -> None:
            errors.append(FieldError(name, message, code))

        if not data.title.strip():
            fail("title", _("A poll needs a title"), ErrorCode.REQUIRED)
        elif len(data.title) > TITLE_MAX:
            fail("title", _("At most {limit} characters", limit=TITLE_MAX))
        if len(data.description) > DESCRIPTION_MAX:
            fail("description", _("At most {limit} characters", limit=DESCRIPTION_MAX))
        if data.min_age is not None and not 0 <= data.min_age <= MAX_AGE:
            fail("minAge", _("An age from 0 to {limit}", limit=MAX_AGE))
        if data.min_group_size is not None and data.min_group_size < self.min_group_size:
            fail("minGroupSize", _("The installation publishes no group smaller than "
                                   "{limit}", limit=self.min_group_size))
        opens, closes = aware(data.opens_at), aware(data.closes_at)
        if closes is not None and closes <= self.clock():
            fail("closesAt", _("The closing moment has passed"))
        elif opens is not None and closes is not None and closes <= opens:
            fail("closesAt", _("A poll closes after it opens"))
        return errors

    async def open(self, principal: Principal, poll_id: int) -> Poll:
        poll = await STEPS.open(poll_id, Action.OPEN, lambda p: self._organiser(principal, p))
        now = self.clock()
        if poll.closes_at is not None and poll.closes_at <= now:
            raise DomainError.of("id", _("The poll's closing moment has passed; create it anew "
                                         "with a later one"), ErrorCode.INVALID)
        poll.opened_at = now
        poll.next_check_at = poll.closes_at
        return await take_step(poll, principal.actor, Action.OPEN, PollStatus.OPEN)

    async def close(self, principal: Principal, poll_id: int) -> Poll:
        poll = await STEPS.open(poll_id, Action.CLOSE, lambda p: self._organiser(principal, p))
        return await close(poll, principal.actor, self.clock())

    async def publish(self, principal: Principal, poll_id: int) -> Poll:
        poll = await STEPS.open(poll_id, Action.PUBLISH,
                                lambda p: self._organiser(principal, p))
        poll.published_at = self.clock()
        return await take_step(poll, principal.actor, Action.PUBLISH,
                               PollStatus.RESULTS_PUBLISHED,
                               lambda conn: coarsen_minutes(conn, poll.id))

    @staticmethod
    def _organiser(principal: Principal, poll: Poll) -> None:
        access.require_organiser(principal, poll.territory_path)

    async def moderate_text(self, principal: Principal, text_id: UUID, *, approve: bool,
                            reason: str = "") -> PollTextAnswer:
        """Approve a free-text answer for publication, or reject it with a reason; a
        decision can be changed (a text found to name someone is taken back), and each
        is recorded with its moderator."""
        require_authenticated(principal)
        text = await PollTextAnswer.get_or_none(id=text_id)
        poll = await Poll.get_or_none(id=text.poll_id) if text is not None else None
        if text is None or poll is None:
            raise DomainError.of("id", _("Answer not found"), ErrorCode.NOT_FOUND)
        access.require_moderator(principal, poll)
        reason = reason.strip()
        if len(reason) > REASON_MAX:
            raise DomainError.of("reason", _("At most {limit} characters", limit=REASON_MAX))
        if not approve and not reason:
            raise DomainError.of("reason", _("Give the reason for the rejection"),
                                 ErrorCode.REQUIRED)
        status = TextStatus.APPROVED if approve else TextStatus.REJECTED
        before = text.status
        now = self.clock()
        async with in_transaction() as conn:
            changed = await PollTextAnswer.filter(id=text.id, status=before).using_db(conn).update(
                status=status, moderated_by=principal.actor, reason=reason, moderated_at=now)
            if changed != 1:
                raise DomainError.of(None, _("The answer was just moderated; reload it"),
                                     ErrorCode.CONFLICT)
            await record(actor=principal.actor, action="poll.moderate_text",
                         object_type="poll_text_answer", object_id=str(text.id),
                         before={"status": before}, after={"status": status, "reason": reason},
                         scope_path=poll.territory_path, using=conn)
        text.status, text.moderated_by, text.reason, text.moderated_at = (
            status, principal.actor, reason, now)
        return text
