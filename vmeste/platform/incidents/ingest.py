"""Posts into ``social_post``: normalised, deduplicated by (network, page, post id), in
batches (networks number posts per page: post 1 of one wall is not post 1 of another).

Posts come from the connectors (:class:`~vmeste.platform.publics.connectors.Post`) and
from JSONL files (one object a line: ``network``, ``post_id``, ``page_id``, ``text``,
``created_at`` in ISO-8601 with its zone, optionally ``author_id``, ``parent_id``,
``url``, ``latitude``, ``longitude``). A bad line is reported with its number, the field
and a typed reason, and the good lines are stored: a feed dump with one broken record
must not cost the other hundred thousand, nor lose that one silently.

A feed repeats itself (a page read again, a repost seen from two searches), so storing
is idempotent: a post already stored, or repeated within the batch, is counted as a
duplicate and written once. On PostgreSQL a batch is COPied into a temporary table
dropped at commit, then moved with one ``INSERT … SELECT … ON CONFLICT DO NOTHING``
(bulk ORM inserts cost 3–4× COPY, ANCHORS.md); on SQLite it is one ``executemany`` of
``INSERT OR IGNORE``. Each batch commits with an ``incidents.process`` job, so what was
stored is always turned into incidents, and a batch lost midway is stored again by the
caller's retry without doubling anything.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import uuid4

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.i18n import N_, translate
from vmeste.platform.outbox.services import emit
from vmeste.platform.publics.connectors import Post

#: The outbox topic whose job turns NEW posts into incidents (:mod:`.processing`).
PROCESS_TOPIC = "incidents.process"
#: Rows a batch holds: large enough that COPY's per-statement cost vanishes, small
#: enough that a batch's transaction stays short.
BATCH_SIZE = 10_000
TABLE = "social_post"
STAGING = "social_post_staging"
COLUMNS = ("network", "post_ref", "page_ref", "parent_ref", "author_ref", "text", "url",
           "latitude", "longitude", "posted_at")
#: Each text column's length, as the model declares it.
LIMITS = {"network": 32, "post_ref": 200, "page_ref": 200, "parent_ref": 200,
          "author_ref": 200, "url": 500}


@dataclass(frozen=True, slots=True)
class IncomingPost:
    """One post as stored: the network's ids as strings, the moment in UTC."""

    network: str
    post_ref: str
    page_ref: str
    parent_ref: str
    author_ref: str
    text: str
    url: str
    latitude: float | None
    longitude: float | None
    posted_at: datetime

    @property
    def key(self) -> tuple[str, str, str]:
        return self.network, self.page_ref, self.post_ref

    def row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in COLUMNS)


class BadReason(StrEnum):
    NOT_JSON = "not_json"
    NOT_OBJECT = "not_object"
    MISSING = "missing"
    NOT_TEXT = "not_text"
    TOO_LONG = "too_long"
    NOT_A_MOMENT = "not_a_moment"
    NO_ZONE = "no_zone"
    NOT_A_NUMBER = "not_a_number"
    OUT_OF_RANGE = "out_of_range"


REASONS: dict[BadReason, str] = {
    BadReason.NOT_JSON: N_("the line is not JSON"),
    BadReason.NOT_OBJECT: N_("the line is not a JSON object"),
    BadReason.MISSING: N_("the field is missing or empty"),
    BadReason.NOT_TEXT: N_("the field is not a string"),
    BadReason.TOO_LONG: N_("the field is longer than the column holds"),
    BadReason.NOT_A_MOMENT: N_("the field is not an ISO-8601 date and time"),
    BadReason.NO_ZONE: N_("the date and time has no time zone"),
    BadReason.NOT_A_NUMBER: N_("the field is not a number"),
    BadReason.OUT_OF_RANGE: N_("the coordinate is out of range"),
}


@dataclass(frozen=True)
class BadLine:
    """A line not stored: its number (from 1), the field at fault ("" for the whole
    line) and why."""

    line: int
    field: str
    reason: BadReason

    @property
    def message(self) -> str:
        return translate(REASONS[self.reason])


class Invalid(ValueError):
    def __init__(self, field: str, reason: BadReason) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class StoreResult:
    inserted: int = 0
    duplicates: int = 0

    def __add__(self, other: StoreResult) -> StoreResult:
        return StoreResult(self.inserted + other.inserted, self.duplicates + other.duplicates)


def _clean(value: str) -> str:
    """PostgreSQL's text holds no NUL character, and one would fail the whole COPY."""
    return value.replace("\x00", "") if "\x00" in value else value


def _text(data: dict[str, Any], name: str, source: str | None = None, *,
          required: bool = False) -> str:
    value = data.get(source or name, "")
    if value is None:
        value = ""
    if isinstance(value, int) and not isinstance(value, bool) and name != "text":
        value = str(value)  # networks' ids are numbers in their own JSON
    if not isinstance(value, str):
        raise Invalid(source or name, BadReason.NOT_TEXT)
    value = _clean(value)
    if required and not value.strip():
        raise Invalid(source or name, BadReason.MISSING)
    if len(value) > LIMITS.get(name, math.inf):
        raise Invalid(source or name, BadReason.TOO_LONG)
    return value


def _moment(value: Any, name: str = "created_at") -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif not isinstance(value, str) or not value:
        raise Invalid(name, BadReason.MISSING if value in (None, "") else BadReason.NOT_A_MOMENT)
    else:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(name, BadReason.NOT_A_MOMENT) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise Invalid(name, BadReason.NO_ZONE)
    return moment.astimezone(UTC)


def _coordinate(data: dict[str, Any], name: str, bound: float) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid(name, BadReason.NOT_A_NUMBER)
    if not -bound <= value <= bound:
        raise Invalid(name, BadReason.OUT_OF_RANGE)
    return float(value)


def from_mapping(data: dict[str, Any]) -> IncomingPost:
    """A JSONL object as stored; :class:`Invalid` names the first field at fault."""
    return IncomingPost(
        network=_text(data, "network", required=True),
        post_ref=_text(data, "post_ref", "post_id", required=True),
        page_ref=_text(data, "page_ref", "page_id", required=True),
        parent_ref=_text(data, "parent_ref", "parent_id"),
        author_ref=_text(data, "author_ref", "author_id"),
        text=_text(data, "text"),
        url=_text(data, "url"),
        latitude=_coordinate(data, "latitude", 90.0),
        longitude=_coordinate(data, "longitude", 180.0),
        posted_at=_moment(data.get("created_at")))


def from_post(post: Post) -> IncomingPost:
    """A connector's post as stored (connectors give no coordinates)."""
    return IncomingPost(
        network=post.network, post_ref=post.post_id, page_ref=post.page_id,
        parent_ref=post.parent_id, author_ref=post.author_id, text=_clean(post.text),
        url=post.url, latitude=None, longitude=None, posted_at=_moment(post.created_at))


def parse_lines(lines: Iterable[str | bytes]) -> Iterator[IncomingPost | BadLine]:
    """Each non-blank line as a post or as the reason it is not one."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except (ValueError, RecursionError):
            yield BadLine(number, "", BadReason.NOT_JSON)
            continue
        if not isinstance(data, dict):
            yield BadLine(number, "", BadReason.NOT_OBJECT)
            continue
        try:
            yield from_mapping(data)
        except Invalid as invalid:
            yield BadLine(number, invalid.field, invalid.reason)


def distinct(posts: Iterable[IncomingPost]) -> tuple[list[IncomingPost], int]:
    """The posts without repeats of a (network, page, post id) already seen (the first one
    stays), and how many repeats there were."""
    seen: dict[tuple[str, str, str], IncomingPost] = {}
    total = 0
    for post in posts:
        total += 1
        seen.setdefault(post.key, post)
    return list(seen.values()), total - len(seen)


async def _insert_postgres(conn: BaseDBAsyncClient, rows: list[tuple[Any, ...]],
                           now: datetime) -> int:
    """COPY into a temporary table that lives as long as the transaction (no session
    state is left on the pooled connection), then one set-based insert."""
    names = ", ".join(COLUMNS)
    async with conn.acquire_connection() as raw:
        await raw.execute(
            f"CREATE TEMPORARY TABLE {STAGING} (network varchar(32), post_ref varchar(200), "
            "page_ref varchar(200), parent_ref varchar(200), author_ref varchar(200), "
            "text text, url varchar(500), latitude double precision, longitude double "
            "precision, posted_at timestamptz) ON COMMIT DROP")
        await raw.copy_records_to_table(STAGING, records=rows, columns=COLUMNS)
        status = await raw.execute(
            f"INSERT INTO {TABLE} ({names}, ingested_at, state, topic) "
            f"SELECT {names}, $1, 'new', '' FROM {STAGING} "
            "ON CONFLICT (network, page_ref, post_ref) DO NOTHING", now)
        await raw.execute(f"DROP TABLE {STAGING}")
    return int(status.rsplit(" ", 1)[1])


async def _insert_sqlite(conn: BaseDBAsyncClient, rows: list[tuple[Any, ...]],
                         now: datetime) -> int:
    marks = ", ".join("?" for _ in range(len(COLUMNS) + 3))
    async with conn.acquire_connection() as raw:
        before = raw.total_changes
        await raw.executemany(
            f"INSERT OR IGNORE INTO {TABLE} ({', '.join(COLUMNS)}, ingested_at, state, "
            f"topic) VALUES ({marks})", [(*row, now, "new", "") for row in rows])
        return int(raw.total_changes - before)


async def store_batch(conn: BaseDBAsyncClient, posts: Sequence[IncomingPost],
                      now: datetime, *, process: bool = True) -> StoreResult:
    """One batch in ``conn``'s transaction; with ``process``, the processing job is
    queued in it when anything new was stored."""
    unique, repeated = distinct(posts)
    rows = [post.row() for post in unique]
    if not rows:
        return StoreResult(0, repeated)
    insert = _insert_postgres if conn.capabilities.dialect == "postgres" else _insert_sqlite
    inserted = await insert(conn, rows, now.astimezone(UTC))
    if inserted and process:
        await emit(conn, PROCESS_TOPIC, {}, f"{PROCESS_TOPIC}:{uuid4().hex}")
    return StoreResult(inserted, repeated + len(rows) - inserted)


async def store_posts(posts: Iterable[IncomingPost | Post], now: datetime, *,
                      batch_size: int = BATCH_SIZE, process: bool = True) -> StoreResult:
    """Store the posts, a transaction a batch; inserted and duplicate counts."""
    result = StoreResult()
    batch: list[IncomingPost] = []
    for post in posts:
        batch.append(from_post(post) if isinstance(post, Post) else post)
        if len(batch) >= batch_size:
            result += await _commit(batch, now, process)
            batch = []
    if batch:
        result += await _commit(batch, now, process)
    return result


async def _commit(batch: list[IncomingPost], now: datetime, process: bool) -> StoreResult:
    async with in_transaction() as conn:
        return await store_batch(conn, batch, now, process=process)
