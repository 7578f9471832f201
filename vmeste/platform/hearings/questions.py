"""Questions to a direct line: sent in advance, moderated like appeals, supported once
per person, marked answered on air.

A citizen sends a question while the line collects them and before
``questionsCloseAt`` (a check on the time of sending, see
:mod:`vmeste.platform.hearings.line_watch`). The text goes through the region's
moderation chain, the one appeals go through
(:func:`vmeste.platform.appeals.moderation.moderate`): an accepted text is published at
once, a rejected one is stored rejected with the chain's reason, and one sent for review
waits PENDING for a moderator of the territory, who publishes or rejects it (a reason is
required, and recorded with the moderator).

One vote per person: a :class:`~vmeste.platform.hearings.line_models.QuestionVote` row
under a unique index, and ``LineQuestion.votes`` moved in the same transaction, under the
question row lock (:mod:`vmeste.platform.row_locks`). Publishing a question makes its
author its first supporter.

Locks, in one order everywhere (:func:`line_transaction`): the line row first, then
questions by ascending id. A write on one question (a vote, its withdrawal, moderation,
the studio's mark) holds the line shared, so such writes run side by side, and locks
that one question; a merge, which writes many, holds the line exclusively, so it waits
for the writes under way and the next ones wait for it. A vote for a merged question
finds the question it went into while no merge can move it, and locks only that one.
So a vote and a merge never interleave, the count is always the number of rows, and no
two of these can deadlock; should the database still refuse one as a deadlock or a
serialisation failure, the caller gets a typed ``CONFLICT``, never a server error.

The moments of publication, rejection, merging and answering go into the line history
as events (``LINE_STEPS.record``, the line status unchanged): they feed the authors'
notifications (:mod:`vmeste.platform.hearings.line_notify`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from vmeste.platform.appeals.moderation import ModerationRequest, Verdict, moderate
from vmeste.platform.audit.services import record
from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.hearings import access
from vmeste.platform.hearings.lifecycle import LineAction
from vmeste.platform.hearings.line_models import (
    DirectLine,
    LineQuestion,
    LineStatus,
    QuestionStatus,
    QuestionVote,
)
from vmeste.platform.hearings.lines import questions_close
from vmeste.platform.hearings.steps import LINE_STEPS as STEPS
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.reference.models import Territory
from vmeste.platform.row_locks import for_update, locked_values

TEXT_MAX = 2_000
REASON_MAX = 2_000
OBJECT_TYPE = "line_question"
#: Questions others may support and that may absorb others.
OPEN_QUESTIONS = frozenset({QuestionStatus.PENDING, QuestionStatus.PUBLISHED})
#: SQLSTATE of a transaction the database rolled back: a serialisation failure, a
#: deadlock.
ROLLED_BACK = frozenset({"40001", "40P01"})


def _rolled_back(error: BaseException) -> bool:
    """Whether the database gave up the transaction (a driver error, or Tortoise's
    wrapping one) rather than refusing the statement."""
    seen: BaseException | None = error
    while seen is not None:
        if getattr(seen, "sqlstate", None) in ROLLED_BACK:
            return True
        seen = seen.__cause__ or (seen.args[0] if seen.args and isinstance(
            seen.args[0], BaseException) else None)
    return False


def allows(action: LineAction) -> Callable[[DirectLine], None]:
    """The state machine's check of ``action`` on a line, for :func:`line_transaction`."""
    return lambda line: STEPS.require(action, line)


@asynccontextmanager
async def line_transaction(line: DirectLine, check: Callable[[DirectLine], None], *,
                           exclusive: bool = False) -> AsyncIterator[BaseDBAsyncClient]:
    """A transaction writing the line's questions: the line row locked first (shared,
    or ``exclusive`` for a merge), its status read again under the lock into ``line``
    and ``check``-ed there (a step taken meanwhile wins). Questions are locked after it,
    by ascending id."""
    try:
        async with in_transaction() as conn:
            locked = await locked_values(conn, DirectLine, line.id, ("status",),
                                         exclusive=exclusive)
            if locked is None:
                raise DomainError.of("id", _("Direct line not found"), ErrorCode.NOT_FOUND)
            line.status = LineStatus(locked["status"])
            check(line)
            yield conn
    except Exception as error:
        if not _rolled_back(error):
            raise
        raise DomainError.of(None, _("The question was being changed at the same moment; "
                                     "try again"), ErrorCode.CONFLICT) from error


async def note(conn: BaseDBAsyncClient, line: DirectLine, actor: str, action: LineAction,
               reason: str = "", **payload: Any) -> None:
    """An event about questions in the line history, the line status unchanged."""
    await STEPS.record(conn, line, actor, action, line.status, line.status, reason=reason,
                       payload=payload)


async def audit(conn: BaseDBAsyncClient, question: LineQuestion, actor: str, action: str,
                before: dict[str, Any], after: dict[str, Any]) -> None:
    await record(actor=actor, action=f"line_question.{action}", object_type=OBJECT_TYPE,
                 object_id=question.id, before=before, after=after,
                 scope_path=question.territory_path, using=conn)


async def question_and_line(question_id: int) -> tuple[LineQuestion, DirectLine]:
    question = await LineQuestion.get_or_none(id=question_id)
    if question is None:
        raise DomainError.of("id", _("Question not found"), ErrorCode.NOT_FOUND)
    return question, await DirectLine.get(id=question.line_id)


async def _territory_of(principal: Principal, line: DirectLine) -> Territory:
    """The author registered address territory, else the line territory."""
    code = principal.user.address_oktmo if principal.user is not None else ""
    found = await Territory.get_or_none(code=code) if code else None
    return found or await Territory.get(id=line.territory_id)


async def ask(principal: Principal, line_id: int, text: str, topic: str, *,
              resolver: PolicyResolver, now: datetime) -> LineQuestion:
    require_authenticated(principal)
    assert principal.user is not None
    line = await DirectLine.get_or_none(id=line_id)
    if line is None or not access.public_line(line):
        raise DomainError.of("lineId", _("Direct line not found"), ErrorCode.NOT_FOUND)
    if line.status != LineStatus.COLLECTING or now >= questions_close(line):
        raise DomainError.of("lineId", _("The line no longer takes questions"),
                             ErrorCode.ILLEGAL_TRANSITION)
    text, topic = text.strip(), topic.strip()
    if not text:
        raise DomainError.of("text", _("Write the question"), ErrorCode.REQUIRED)
    if len(text) > TEXT_MAX:
        raise DomainError.of("text", _("At most {limit} characters", limit=TEXT_MAX))
    if topic and topic not in line.topics:
        raise DomainError.of("topic", _("Choose one of the announced topics"))
    territory = await _territory_of(principal, line)
    # The line region policy moderates its questions, as its moderators review them.
    line_code = await Territory.filter(id=line.territory_id).first().values_list(
        "code", flat=True)
    verdict = await moderate(resolver, ModerationRequest(
        text=text, applicant_id=None, category_id=None, territory_code=str(line_code),
        now=now))
    status = {Verdict.ACCEPT: QuestionStatus.PUBLISHED, Verdict.REJECT: QuestionStatus.REJECTED,
              Verdict.REVIEW: QuestionStatus.PENDING}[verdict.verdict]
    moderator = f"system:moderation/{verdict.strategy or 'chain'}"
    async with in_transaction() as conn:
        question = await LineQuestion.create(
            line_id=line.id, author_id=principal.user.id, text=text, topic=topic,
            territory_id=territory.id, territory_path=territory.path, status=status,
            moderation_code=verdict.code, moderation_reason=verdict.reason,
            moderated_by=moderator if status != QuestionStatus.PENDING else "",
            moderated_at=now if status != QuestionStatus.PENDING else None, using_db=conn)
        if status == QuestionStatus.PUBLISHED:
            await _first_supporter(conn, question)
            await note(conn, line, moderator, LineAction.PUBLISH_QUESTION,
                       question_id=question.id)
        elif status == QuestionStatus.REJECTED:
            await note(conn, line, moderator, LineAction.REJECT_QUESTION, verdict.reason,
                       question_id=question.id)
    return question


async def _first_supporter(conn: BaseDBAsyncClient, question: LineQuestion) -> None:
    await QuestionVote.create(question_id=question.id, user_id=question.author_id,
                              using_db=conn)
    await LineQuestion.filter(id=question.id).using_db(conn).update(votes=1)
    question.votes = 1


async def moderate_question(principal: Principal, question_id: int, *, publish: bool,
                            reason: str, now: datetime) -> LineQuestion:
    """A moderator of the territory publishes a pending question or rejects it (with a
    reason); a published one may be taken back (rejected) too."""
    question, line = await question_and_line(question_id)
    access.require_moderator(principal, line.territory_path)
    action = LineAction.PUBLISH_QUESTION if publish else LineAction.REJECT_QUESTION
    step_allowed = allows(action)
    step_allowed(line)
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise DomainError.of("reason", _("At most {limit} characters", limit=REASON_MAX))
    if not publish and not reason:
        raise DomainError.of("reason", _("Give the reason for the rejection"),
                             ErrorCode.REQUIRED)
    allowed = {QuestionStatus.PENDING} if publish else OPEN_QUESTIONS
    status = QuestionStatus.PUBLISHED if publish else QuestionStatus.REJECTED
    async with line_transaction(line, step_allowed) as conn:
        locked = await for_update(conn, LineQuestion.filter(id=question.id))
        assert locked is not None
        if locked.status not in allowed:
            raise DomainError.of("id", _("The question is {status}: it cannot be moderated "
                                         "so", status=locked.status), ErrorCode.CONFLICT)
        # Its merged questions and their carried votes live on in it: rejecting it would
        # drop them all from the line and from the hand-over.
        if not publish and await LineQuestion.filter(merged_into_id=locked.id).using_db(
                conn).exists():
            raise DomainError.of("id", _("Questions were merged into this one: it cannot "
                                         "be rejected"), ErrorCode.CONFLICT)
        before = locked.status
        await LineQuestion.filter(id=locked.id).using_db(conn).update(
            status=status, moderation_code="manual", moderation_reason=reason,
            moderated_by=principal.actor, moderated_at=now)
        if publish:
            await _first_supporter(conn, locked)
        await note(conn, line, principal.actor, action, reason, question_id=locked.id)
        await audit(conn, locked, principal.actor, "moderate", {"status": before},
                    {"status": status, "reason": reason})
    return await LineQuestion.get(id=question.id)


def _votable(line: DirectLine) -> None:
    if line.status not in (LineStatus.COLLECTING, LineStatus.LIVE):
        raise DomainError.of("id", _("Questions of this line are no longer supported"),
                             ErrorCode.ILLEGAL_TRANSITION)


async def _locked_target(conn: BaseDBAsyncClient, question: LineQuestion) -> LineQuestion:
    """The question locked, or the one it was merged into (a vote for a merged
    question goes to the question that absorbed it). Under the line lock no merge moves
    ``merged_into``, so the merged question itself is read, not locked."""
    current = await LineQuestion.filter(id=question.id).using_db(conn).first()
    assert current is not None
    target_id = (current.merged_into_id if current.status == QuestionStatus.MERGED
                 and current.merged_into_id is not None else current.id)
    locked = await for_update(conn, LineQuestion.filter(id=target_id))
    assert locked is not None
    if locked.status != QuestionStatus.PUBLISHED:
        raise DomainError.of("id", _("Only published questions are supported"),
                             ErrorCode.ILLEGAL_TRANSITION)
    return locked


async def support(principal: Principal, question_id: int) -> LineQuestion:
    """The caller supports the question, once: a second support changes nothing."""
    require_authenticated(principal)
    assert principal.user is not None
    question, line = await question_and_line(question_id)
    _votable(line)
    async with line_transaction(line, _votable) as conn:
        target = await _locked_target(conn, question)
        # Under the row lock no other vote for the question is being written.
        if not await QuestionVote.filter(question_id=target.id,
                                         user_id=principal.user.id).using_db(conn).exists():
            await QuestionVote.create(question_id=target.id, user_id=principal.user.id,
                                      using_db=conn)
            await LineQuestion.filter(id=target.id).using_db(conn).update(
                votes=F("votes") + 1)
    return await LineQuestion.get(id=target.id)


async def withdraw_support(principal: Principal, question_id: int) -> LineQuestion:
    """The caller takes back their vote; an author stays a supporter of their own."""
    require_authenticated(principal)
    assert principal.user is not None
    question, line = await question_and_line(question_id)
    _votable(line)
    async with line_transaction(line, _votable) as conn:
        target = await _locked_target(conn, question)
        # The question the vote is on: a merged one's votes are its target's.
        if principal.user.id in (question.author_id, target.author_id):
            raise DomainError.of("id", _("The author of a question always supports it"),
                                 ErrorCode.INVALID)
        removed = await QuestionVote.filter(question_id=target.id,
                                            user_id=principal.user.id).using_db(conn).delete()
        if removed:
            await LineQuestion.filter(id=target.id).using_db(conn).update(
                votes=F("votes") - removed)
    return await LineQuestion.get(id=target.id)


async def mark_answered(principal: Principal, question_id: int, now: datetime
                        ) -> LineQuestion:
    """The studio: the question was answered on air now (once; a second mark keeps the
    first moment)."""
    question, line = await question_and_line(question_id)
    access.require_staff(principal, line.territory_path, line.organization_id)
    on_air = allows(LineAction.ANSWER_QUESTION)
    on_air(line)
    async with line_transaction(line, on_air) as conn:
        locked = await for_update(conn, LineQuestion.filter(id=question.id))
        assert locked is not None
        if locked.status != QuestionStatus.PUBLISHED:
            raise DomainError.of("id", _("Only published questions are answered on air"),
                                 ErrorCode.ILLEGAL_TRANSITION)
        changed = await LineQuestion.filter(id=question.id, answered_at__isnull=True).using_db(
            conn).update(answered_at=now, answered_by=principal.actor)
        if changed:
            await note(conn, line, principal.actor, LineAction.ANSWER_QUESTION,
                       question_id=question.id)
            await audit(conn, question, principal.actor, "answer", {}, {"answered": True})
    return await LineQuestion.get(id=question.id)
