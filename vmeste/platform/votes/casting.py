"""Casting a ballot online: the one function the API and the benchmark call.

A ballot is checked (:mod:`vmeste.platform.votes.admission`), then written with its
participation in one transaction (:mod:`vmeste.platform.votes.ballot_rows`). One
ballot per person comes from the participation's unique index, not from a read before
the write, so concurrent casts by one person cannot both pass. What the second gets:

* the same idempotency key (by the same person): the first ballot, whatever content
  the retry carries (a retry is the same request sent again, not a new choice);
* a vote with ``allowRevote``: its ballot replaces the first (not one held in
  quarantine, nor a paper ballot);
* otherwise ``ALREADY_VOTED``.

No event and no audit record is written per online ballot: a timed record of each
voter's act would join who voted to what (see :class:`VoteEvent`).
"""

from __future__ import annotations

from collections.abc import Sequence

from vmeste.platform.errors import DomainError, ErrorCode, Unauthenticated
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.participation import eligibility, linking
from vmeste.platform.runtime import Runtime
from vmeste.platform.settings import Settings
from vmeste.platform.votes.admission import (
    checked_content,
    require_open,
    rules_of,
)
from vmeste.platform.votes.ballot_rows import (
    Links,
    already_voted,
    insert_first,
    replace,
    replayed,
)
from vmeste.platform.votes.methods import Choice
from vmeste.platform.votes.models import Ballot, BallotChannel, Vote
from vmeste.platform.votes.services import VoteServices

#: Longest idempotency key taken (it is only hashed, never stored as sent).
IDEMPOTENCY_KEY_MAX = 255


def links_for(settings: Settings, vote: Vote, user: User, idempotency_key: str | None = None
              ) -> Links:
    """The keyed hashes an online ballot of ``user`` carries in ``vote``."""
    key = linking.ballot_key(settings.ballot_key, settings.secret_key)
    return Links(
        voter_key=linking.keyed(key, "voter", vote.id, user.id) if vote.allow_revote else None,
        replay_key=None if not idempotency_key else linking.keyed(
            key, "replay", vote.id, user.id, idempotency_key))


async def cast(runtime: Runtime, principal: Principal, vote_id: int,
               choices: Sequence[Choice], idempotency_key: str | None = None) -> Ballot:
    """The caller's ballot in vote ``vote_id``, or a :class:`DomainError` with the
    refusal's code: ``UNAUTHENTICATED``, ``NOT_FOUND``, ``VOTE_NOT_OPEN``,
    ``NOT_ELIGIBLE``, the method's codes (``TOO_MANY_CHOICES``, ``UNKNOWN_OPTION``, …),
    ``ALREADY_VOTED``."""
    user = principal.user
    if user is None:
        raise Unauthenticated()
    if idempotency_key is not None and len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise DomainError.of("idempotencyKey", _("An idempotency key is at most {limit} "
                             "characters", limit=IDEMPOTENCY_KEY_MAX), ErrorCode.INVALID)
    settings = runtime.settings
    vote, rows = await runtime.service(VoteServices).open_votes.get(principal, vote_id)
    links = links_for(settings, vote, user, idempotency_key)
    # A retry of a ballot already cast returns it (until closing drops the links).
    first = await replayed(links.replay_key)
    if first is not None:
        return first
    now = runtime.clock()
    require_open(vote, now)
    facts = await eligibility.check(principal, rules_of(vote), now, settings.age_bands)
    content = await checked_content(runtime.resolver, vote, facts, choices, rows)
    ballot = await insert_first(vote, facts, content, BallotChannel.ONLINE, now,
                                settings.tally_shards, links)
    if ballot is not None:
        return ballot
    first = await replayed(links.replay_key)  # a concurrent retry got there first
    if first is not None:
        return first
    if not vote.allow_revote:
        raise already_voted()
    return await replace(vote, facts, content, now, links)
