"""Voters and votes for the votes and polls tests, on the shared small world
(``tests/worlds.py``): region A (Kirov, 33000000) with its municipality 33701000.

``voter`` mints a dev token for a citizen with a chosen profile (the facts eligibility
reads); ``draft_vote`` and ``record_ballot`` write rows directly, for tests of one
part (results, integrity) that must not depend on another part's service.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from tests.worlds import MUNICIPALITY_A, REGION_A
from vmeste.platform.identity.dev_tokens import DevProfile, issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.participation import tallies
from vmeste.platform.reference.models import Territory
from vmeste.platform.settings import Settings
from vmeste.platform.votes.ballot_rows import group_path
from vmeste.platform.votes.counting import SUBJECT_TYPE, ballot_counts, ballot_groups
from vmeste.platform.votes.models import Ballot, BallotChannel, Vote, VoteOption, VoteStatus
from vmeste.platform.votes.receipts import receipt_of

ADULT = date(1990, 1, 1)


async def voter(settings: Settings, sub: str, *, oktmo: str = MUNICIPALITY_A,
                birthdate: date = ADULT, gender: str = "male", verified: bool = True) -> str:
    """A citizen's bearer token whose profile holds these facts."""
    profile = DevProfile(birthdate=birthdate, gender=gender,  # type: ignore[arg-type]
                         address_oktmo=oktmo, verified=verified)
    return await issue_dev_token(settings, Role.CITIZEN, subject=sub, profile=profile)


async def draft_vote(*, territory: str = REGION_A, options: int = 3,
                     status: VoteStatus = VoteStatus.OPEN, **fields: Any) -> Vote:
    """A vote with ``options`` options written straight to the tables."""
    where = await Territory.get(code=territory)
    fields.setdefault("title", "Благоустройство")
    fields.setdefault("method", "single")
    vote = await Vote.create(territory_id=where.id, territory_path=where.path, status=status,
                             created_by="system", **fields)
    for position in range(options):
        await VoteOption.create(vote=vote, position=position, title=f"Объект {position + 1}",
                                cost=fields.get("budget") and 100 * (position + 1))
    return vote


async def record_ballot(vote: Vote, choices: list[tuple[int, int]], *,
                        territory_group: str = MUNICIPALITY_A, age_band: str = "25-34",
                        gender: str = "male", minute: datetime | None = None) -> Ballot:
    """A ballot and its tallies, as casting writes them (without a participation)."""
    nonce = secrets.token_hex(16)
    content = sorted(choices)
    async with in_transaction() as conn:
        ballot = await Ballot.create(
            id=uuid.uuid4(), vote=vote, choices=[list(c) for c in content],
            receipt=receipt_of(vote.id, content, nonce), nonce=nonce,
            channel=BallotChannel.ONLINE,
            territory_path=group_path(vote, territory_group),
            territory_group=territory_group, age_band=age_band, gender=gender,
            cast_minute=(minute or datetime.now(UTC)).replace(second=0, microsecond=0),
            shard=0, using_db=conn)
        await tallies.add(conn, SUBJECT_TYPE, vote.id, ballot_counts(content),
                          ballot_groups(age_band, gender, territory_group), shard=0)
    return ballot
