"""Sharded result counters: written in the ballot's transaction, read in constant time.

Every counted thing (a ballot's choice of an option, a poll answer, a participant)
adds to its key's total and to its key in each demographic group of the participant
(:data:`DIMENSIONS`), all in one shard chosen at random for the ballot. One statement
writes all of a ballot's increments (an upsert), in a fixed order of the keys, so two
ballots touching the same rows lock them in the same order and cannot deadlock.

A recount from the ballots (or responses) must always equal the sum of the shards;
:func:`totals` reads that sum for any subject, group and key.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.participation.demographics import cell
from vmeste.platform.participation.eligibility import Facts

#: Demographic dimensions every count is also kept in (besides the whole, ``""``).
DIMENSIONS = ("age_band", "gender", "territory", "cell")
#: The key counting participants (ballots, responses).
PARTICIPANTS = "*"
TABLE = "participation_tally"
_COLUMNS = ("subject_type", "subject_id", "key", "dimension", "group", "shard", "count",
            "amount")


@dataclass(frozen=True)
class Count:
    """One increment: ``count`` of ``key`` and ``amount`` summed with it."""

    key: str
    count: int = 1
    amount: int = 0


def groups_of(facts: Facts) -> dict[str, str]:
    """The groups a participant's counts go to, per dimension."""
    return {"age_band": facts.age_band, "gender": facts.gender,
            "territory": facts.territory_group, "cell": cell(facts.age_band, facts.gender)}


def pick_shard(shards: int) -> int:
    return random.randrange(shards)


def _rows(subject_type: str, subject_id: int, counts: Iterable[Count],
          groups: Mapping[str, str], shard: int, sign: int) -> list[tuple[object, ...]]:
    merged: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for each in counts:
        for dimension, group in (("", ""), *groups.items()):
            totals = merged[(each.key, dimension, group)]
            totals[0] += sign * each.count
            totals[1] += sign * each.amount
    return [(subject_type, subject_id, key, dimension, group, shard, count, amount)
            for (key, dimension, group), (count, amount) in sorted(merged.items())]


async def add(conn: BaseDBAsyncClient, subject_type: str, subject_id: int,
              counts: Sequence[Count], groups: Mapping[str, str], shard: int,
              sign: int = 1) -> None:
    """Add (``sign=1``) or take back (``sign=-1``: a replaced or quarantined ballot)
    ``counts`` in ``groups``, in one statement inside the caller's transaction."""
    rows = _rows(subject_type, subject_id, counts, groups, shard, sign)
    await write_rows(conn, rows)


#: Rows per statement: eight parameters a row keep a batch under PostgreSQL's limit of
#: 32,767 parameters (a quarantine of a whole region merges many groups' rows).
BATCH = 4_000


async def write_rows(conn: BaseDBAsyncClient, rows: Sequence[tuple[object, ...]]) -> None:
    """Upsert increments (rows of :data:`_COLUMNS`), adding to what the shards hold, in
    statements of at most :data:`BATCH` rows (one for a ballot)."""
    for start in range(0, len(rows), BATCH):
        await _upsert(conn, rows[start:start + BATCH])


async def _upsert(conn: BaseDBAsyncClient, rows: Sequence[tuple[object, ...]]) -> None:
    postgres = conn.capabilities.dialect == "postgres"
    width = len(_COLUMNS)
    if postgres:
        values = ", ".join(
            "(" + ", ".join(f"${i * width + j + 1}" for j in range(width)) + ")"
            for i in range(len(rows)))
    else:
        values = ", ".join(["(" + ", ".join("?" * width) + ")"] * len(rows))
    columns = ", ".join(f'"{c}"' for c in _COLUMNS)
    await conn.execute_query(
        f'INSERT INTO "{TABLE}" ({columns}) VALUES {values} '
        'ON CONFLICT ("subject_type", "subject_id", "key", "dimension", "group", "shard") '
        f'DO UPDATE SET "count" = "{TABLE}"."count" + excluded."count", '
        f'"amount" = "{TABLE}"."amount" + excluded."amount"',
        [value for row in rows for value in row])


def merge(batches: Iterable[tuple[Sequence[Count], Mapping[str, str]]], subject_type: str,
          subject_id: int, sign: int, shard: int = 0) -> list[tuple[object, ...]]:
    """Many ballots' increments as one batch of rows (a quarantine takes back a
    territory's ballots in one statement, not one per ballot)."""
    merged: dict[tuple[object, ...], list[int]] = defaultdict(lambda: [0, 0])
    for counts, groups in batches:
        for row in _rows(subject_type, subject_id, counts, groups, shard, sign):
            totals = merged[row[:6]]
            totals[0] += int(row[6])  # type: ignore[call-overload]
            totals[1] += int(row[7])  # type: ignore[call-overload]
    return [(*key, count, amount) for key, (count, amount) in sorted(merged.items())]


@dataclass(frozen=True)
class Total:
    count: int
    amount: int


async def totals(subject_type: str, subject_id: int, dimension: str = "",
                 conn: BaseDBAsyncClient | None = None
                 ) -> dict[tuple[str, str], Total]:
    """``(group, key) → Total`` for one dimension (``""``: the whole, group ``""``),
    summed over the shards: one indexed range read, whatever the number of ballots."""
    conn = conn or connections.get("default")
    mark = ("$1", "$2", "$3") if conn.capabilities.dialect == "postgres" else ("?", "?", "?")
    _, rows = await conn.execute_query(
        f'SELECT "group", "key", SUM("count") AS c, SUM("amount") AS a FROM "{TABLE}" '
        f'WHERE "subject_type" = {mark[0]} AND "subject_id" = {mark[1]} '
        f'AND "dimension" = {mark[2]} GROUP BY "group", "key"',
        [subject_type, subject_id, dimension])
    return {(str(r["group"]), str(r["key"])): Total(int(r["c"]), int(r["a"])) for r in rows}
