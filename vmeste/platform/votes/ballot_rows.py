"""Writing ballots: a person's participation and their ballot with its counts in one
transaction, and the replacement of a ballot (a revote) in another.

The unique index on the participation (vote, person) is what makes a ballot one per
person: a second cast, from however many connections at once, fails on it, and the
caller turns that into ``ALREADY_VOTED``, a retry's first ballot, or a revote. Each
transaction first holds the vote open (:func:`vmeste.platform.votes.locks.hold_open`),
so a ballot either commits before closing seals the board, and is on it, or finds the
vote closed and writes nothing (``VOTE_NOT_OPEN``). The ballot names no one; its only
links to the person are the keyed hashes in :class:`Links`, present only where
revoting or a retry needs them.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.participation import tallies
from vmeste.platform.participation.eligibility import Facts
from vmeste.platform.participation.tallies import Count
from vmeste.platform.reference.models import PATH_SEPARATOR
from vmeste.platform.row_locks import for_update
from vmeste.platform.votes import counting, receipts
from vmeste.platform.votes.counting import SUBJECT_TYPE
from vmeste.platform.votes.locks import hold_open
from vmeste.platform.votes.models import Ballot, BallotChannel, Vote, VoteParticipation

#: The participation's revote counter saturates at its column's limit (a smallint).
MAX_REVOTES = 32_767
#: Recorded for every paper ballot: who recorded one for the vote, never for whom or what.
PAPER_BALLOT_ACTION = "vote.paper_ballot"

DAY = timedelta(days=1)

Content = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Links:
    """The keyed hashes a ballot may carry (see :mod:`vmeste.platform.votes.receipts`):
    ``voter_key`` where the vote allows revoting, ``replay_key`` where the voter sent
    an idempotency key."""

    voter_key: str | None = None
    replay_key: str | None = None


def minute_of(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def already_voted(message: str | None = None, field: str | None = None) -> DomainError:
    return DomainError.of(field, message or _("You have already voted in this vote"),
                          ErrorCode.ALREADY_VOTED)


def group_path(vote: Vote, territory_group: str) -> str:
    """The path of a voter's territory group: the vote's territory's child that holds
    them, or the vote's territory itself for a voter registered in it directly. A
    ballot keeps no finer place: a settlement beside an age band, a gender and a
    minute would point at its voter."""
    if vote.territory_path.rsplit(PATH_SEPARATOR, 1)[-1] == territory_group:
        return vote.territory_path
    return f"{vote.territory_path}{PATH_SEPARATOR}{territory_group}"


async def _put_ballot(conn: BaseDBAsyncClient, vote: Vote, facts: Facts, content: Content,
                      channel: BallotChannel, now: datetime, shard: int, links: Links
                      ) -> Ballot:
    nonce = secrets.token_hex(16)
    return await Ballot.create(
        id=uuid.uuid4(), vote_id=vote.id, choices=[list(line) for line in content],
        receipt=receipts.receipt_of(vote.id, content, nonce), nonce=nonce, channel=channel,
        territory_path=group_path(vote, facts.territory_group),
        territory_group=facts.territory_group,
        age_band=facts.age_band, gender=facts.gender, cast_minute=minute_of(now),
        shard=shard, voter_key=links.voter_key, replay_key=links.replay_key, using_db=conn)


async def insert_first(vote: Vote, facts: Facts, content: Content, channel: BallotChannel,
                       now: datetime, shards: int, links: Links, recorded_by: str = ""
                       ) -> Ballot | None:
    """The person's participation, their ballot and its counts; None (nothing written)
    when they already have a participation in this vote, ``VOTE_NOT_OPEN`` when the
    vote closed meanwhile. A paper ballot is audited in
    the same transaction, as its operator's act (``recorded_by``) on the vote."""
    shard = tallies.pick_shard(shards)
    try:
        async with in_transaction() as conn:
            await hold_open(conn, vote, now)
            await VoteParticipation.create(
                vote_id=vote.id, user_id=facts.user_id, channel=channel,
                recorded_by=recorded_by, territory_id=facts.territory_id,
                territory_path=facts.territory_path, territory_group=facts.territory_group,
                age_band=facts.age_band, gender=facts.gender, voted_on=facts.day,
                using_db=conn)
            ballot = await _put_ballot(conn, vote, facts, content, channel, now, shard, links)
            await tallies.add(conn, SUBJECT_TYPE, vote.id, counting.ballot_counts(content),
                              tallies.groups_of(facts), shard)
            if channel is BallotChannel.PAPER:
                await record(actor=recorded_by, action=PAPER_BALLOT_ACTION, object_type="vote",
                             object_id=vote.id, before=None, after={"channel": channel.value},
                             scope_path=vote.territory_path, using=conn)
    except IntegrityError:
        return None
    return ballot


async def replayed(replay_key: str | None, conn: BaseDBAsyncClient | None = None
                   ) -> Ballot | None:
    """The ballot a retry with the same idempotency key already cast, if any."""
    if replay_key is None:
        return None
    query = Ballot.filter(replay_key=replay_key)
    return await (query.using_db(conn) if conn is not None else query).first()


async def replace(vote: Vote, facts: Facts, content: Content, now: datetime, links: Links
                  ) -> Ballot:
    """A revote: the person's online ballot (found by ``links.voter_key``) deleted with
    its counts taken back, the new one written with its counts, in one transaction.

    The participation row is locked first, so two revotes of one person take turns:
    the second finds the first's ballot and replaces it (or, for the same idempotency
    key, returns it). The old ballot is deleted only if no quarantine holds it, checked
    by the delete itself, so a quarantine taking it meanwhile is never undone twice."""
    async with in_transaction() as conn:
        await hold_open(conn, vote, now)
        participation = await for_update(conn, VoteParticipation.filter(
            vote_id=vote.id, user_id=facts.user_id))
        again = await replayed(links.replay_key, conn)
        if again is not None:
            return again
        if participation is not None and participation.channel is BallotChannel.PAPER:
            raise already_voted(_("A paper ballot was recorded for you in this vote; it "
                                  "cannot be replaced online"))
        old = None if links.voter_key is None else await for_update(
            conn, Ballot.filter(voter_key=links.voter_key))
        if participation is None or old is None:
            raise already_voted()
        if old.quarantine_id is not None or not await Ballot.filter(
                id=old.id, quarantine_id=None).using_db(conn).delete():
            raise already_voted(_("Your ballot is held in quarantine and cannot be "
                                  "replaced"))
        ballot = await _put_ballot(conn, vote, facts, content, BallotChannel.ONLINE, now,
                                   old.shard, links)
        # One upsert for both, in the shard the old one used: rows in one key order, as
        # every ballot's, so concurrent writers cannot deadlock.
        taken_back = [Count(c.key, -c.count, -c.amount)
                      for c in counting.ballot_counts(old.choices)]
        rows = tallies.merge(
            [(taken_back, counting.ballot_groups(old.age_band, old.gender,
                                                 old.territory_group)),
             (counting.ballot_counts(content), tallies.groups_of(facts))],
            SUBJECT_TYPE, vote.id, sign=1, shard=old.shard)
        await tallies.write_rows(conn, [row for row in rows if row[6] or row[7]])
        await _update_participation(conn, participation, facts)
    return ballot


async def _update_participation(conn: BaseDBAsyncClient, participation: VoteParticipation,
                                facts: Facts) -> None:
    """The facts of the latest ballot (they are its groups now) and one more revote."""
    participation.revotes = min(participation.revotes + 1, MAX_REVOTES)
    participation.territory_id = facts.territory_id
    participation.territory_path = facts.territory_path
    participation.territory_group = facts.territory_group
    participation.age_band, participation.gender = facts.age_band, facts.gender
    participation.voted_on = facts.day
    await participation.save(using_db=conn, update_fields=[
        "revotes", "territory_id", "territory_path", "territory_group", "age_band", "gender",
        "voted_on"])


async def coarsen_to_days(conn: BaseDBAsyncClient, vote_id: int) -> None:
    """Every ballot's minute moved back to the start of its UTC day, at publication:
    the integrity watch and quarantines needed minutes, and nothing does after the
    results are fixed, while a minute beside a ballot's groups narrows who cast it.
    One update per day the ballots span."""
    query = Ballot.filter(vote_id=vote_id).using_db(conn)
    first = await query.order_by("cast_minute").first().values_list("cast_minute", flat=True)
    last = await query.order_by("-cast_minute").first().values_list("cast_minute", flat=True)
    if first is None or last is None:
        return
    day = first.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    while day <= last:
        following = day + DAY
        await Ballot.filter(vote_id=vote_id, cast_minute__gt=day,
                            cast_minute__lt=following).using_db(conn).update(cast_minute=day)
        day = following

