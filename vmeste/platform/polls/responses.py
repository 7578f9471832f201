"""Answering a poll: one response per person, anonymous as a secret ballot is.

Who answered (a participation, unique per poll and person) and what was answered (a
response with a random id, the participant's groups and no reference to them) are
written in one transaction with the free-text answers (waiting for moderation) and
the tallies, so the counters never disagree with the responses. The database's unique
index decides between concurrent submissions of one person: exactly one commits, the
others are ``ALREADY_ANSWERED``. The transaction locks the poll shared and checks again
that it takes responses (:mod:`vmeste.platform.polls.locks`), so a response that loses
the race with the closing step is ``POLL_NOT_OPEN`` and writes nothing.

A response keeps its respondent's groups, not their address: the territory is the
group's (the poll's territory's child holding the address, or the poll's own), never
the settlement.

A retried request carries its idempotency key and gets the first response back. The
response keeps only ``HMAC(key, poll, person, idempotency key)``
(:mod:`vmeste.platform.participation.linking`), which a database dump cannot turn
back into a person.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from vmeste.platform.errors import DomainError, ErrorCode, Unauthenticated
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.participation import eligibility, tallies
from vmeste.platform.participation.linking import keyed
from vmeste.platform.polls import locks
from vmeste.platform.polls.access import visible_polls
from vmeste.platform.polls.answers import AnswerInput, Answers, check_answers
from vmeste.platform.polls.counting import SUBJECT_TYPE, response_counts, stored
from vmeste.platform.polls.models import (
    Poll,
    PollParticipation,
    PollQuestion,
    PollResponse,
    PollStatus,
    PollTextAnswer,
)
from vmeste.platform.polls.models import QuestionKind as K
from vmeste.platform.reference.models import PATH_SEPARATOR, Territory

IDEMPOTENCY_KEY_MAX = 200


def taking_responses(poll: Poll, now: datetime) -> bool:
    """Open, and within its schedule where it has one (the watchdog closes a poll at
    ``closesAt`` on its next sweep; responses stop at that moment regardless)."""
    return (poll.status == PollStatus.OPEN
            and (poll.opens_at is None or poll.opens_at <= now)
            and (poll.closes_at is None or now < poll.closes_at))


@dataclass
class Responses:
    """Submission, bound to the installation's age bands, tally shards and link key."""

    bands: tuple[str, ...]
    shards: int
    link_key: bytes
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    async def submit(self, principal: Principal, poll_id: int, answers: Sequence[AnswerInput],
                     idempotency_key: str | None = None) -> PollResponse:
        user = principal.user
        if user is None:
            raise Unauthenticated()
        poll = await Poll.filter(visible_polls(principal), id=poll_id).first()
        if poll is None:
            raise DomainError.of("pollId", _("Poll not found"), ErrorCode.NOT_FOUND)
        replay = self._replay_key(poll.id, user.id, idempotency_key)
        if replay is not None:
            first = await PollResponse.get_or_none(replay_key=replay)
            if first is not None:
                return first
        now = self.clock()
        territory = await Territory.get(id=poll.territory_id)
        facts = await eligibility.check(principal, eligibility.Rules(
            territory_path=poll.territory_path, timezone=territory.timezone,
            min_age=poll.min_age, verified_only=poll.verified_only), now, self.bands)
        if not taking_responses(poll, now):
            raise _not_open()
        if await PollParticipation.exists(poll_id=poll.id, user_id=user.id):
            raise _already_answered()
        questions = {q.id: q for q in await PollQuestion.filter(poll_id=poll.id)}
        normal = check_answers(list(questions.values()), answers)
        try:
            return await self._write(poll, facts, questions, normal, replay, now)
        except IntegrityError:
            # A concurrent twin committed first: its own response, or a refusal.
            if replay is not None:
                first = await PollResponse.get_or_none(replay_key=replay)
                if first is not None:
                    return first
            raise _already_answered() from None

    def _replay_key(self, poll_id: int, user_id: int, key: str | None) -> str | None:
        if not key:
            return None
        if len(key) > IDEMPOTENCY_KEY_MAX:
            raise DomainError.of("idempotencyKey", _("At most {limit} characters",
                                                     limit=IDEMPOTENCY_KEY_MAX))
        return keyed(self.link_key, SUBJECT_TYPE, poll_id, user_id, key)

    async def _write(self, poll: Poll, facts: eligibility.Facts,
                     questions: dict[int, PollQuestion], normal: Answers,
                     replay: str | None, now: datetime) -> PollResponse:
        minute = now.replace(second=0, microsecond=0)
        shard = tallies.pick_shard(self.shards)
        answers = stored(questions, normal)
        async with in_transaction() as conn:
            current = await locks.locked(conn, poll.id, exclusive=False)
            if current is None or not taking_responses(current, now):
                raise _not_open()
            await PollParticipation.create(
                poll_id=poll.id, user_id=facts.user_id, territory_id=facts.territory_id,
                territory_path=facts.territory_path, territory_group=facts.territory_group,
                age_band=facts.age_band, gender=facts.gender, responded_on=facts.day,
                using_db=conn)
            response = await PollResponse.create(
                id=uuid.uuid4(), poll_id=poll.id, answers=answers,
                territory_path=group_path(poll, facts.territory_group),
                territory_group=facts.territory_group,
                age_band=facts.age_band, gender=facts.gender, shard=shard,
                submitted_minute=minute, replay_key=replay, using_db=conn)
            texts = [PollTextAnswer(id=uuid.uuid4(), poll_id=poll.id, question_id=qid,
                                    text=value, territory_group=facts.territory_group,
                                    submitted_minute=minute)
                     for qid, value in normal.items() if questions[qid].kind == K.TEXT]
            await PollTextAnswer.bulk_create(texts, using_db=conn)
            await tallies.add(conn, SUBJECT_TYPE, poll.id, response_counts(questions, answers),
                              tallies.groups_of(facts), shard)
        return response


def group_path(poll: Poll, group: str) -> str:
    """The path of a respondent's territory group (:func:`demographics.territory_group`):
    the poll's territory's child, or the poll's territory for one registered in it."""
    if group == poll.territory_path.rsplit(PATH_SEPARATOR, 1)[-1]:
        return poll.territory_path
    return f"{poll.territory_path}{PATH_SEPARATOR}{group}"


def _not_open() -> DomainError:
    return DomainError.of("pollId", _("The poll is not taking responses"),
                          ErrorCode.POLL_NOT_OPEN)


def _already_answered() -> DomainError:
    return DomainError.of("pollId", _("You have already answered this poll"),
                          ErrorCode.ALREADY_ANSWERED)
