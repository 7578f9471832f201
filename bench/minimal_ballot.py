"""The baseline for bench/votes.py: a ballot cast by hand-written SQL behind a bare
Starlette endpoint, checking the same eligibility and writing the same rows.

What it does per ballot, as the platform does: read the voter (from the token's
subject, with no signature check), the registered address's territory, the vote with
its territory's time zone and its options; check that the vote is open, that the voter
is a verified natural person old enough on the day and resident in the vote's
territory, that the choice is one known option; look up a retry by its keyed hash;
then, in one transaction, insert the participation, the ballot (random id, receipt,
nonce, groups, minute) and upsert the ballot's sharded counters. No GraphQL, no token
verification, no roles, no policy lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BANDS = [("14-17", 14, 17), ("18-24", 18, 24), ("25-34", 25, 34), ("35-44", 35, 44),
         ("45-59", 45, 59), ("60+", 60, 200)]
KEY = b"bench-ballot-key"
SHARDS = 8
USER = """SELECT id, kind, birth_date, verified, gender, address_oktmo FROM vmeste_user
WHERE issuer = $1 AND subject = $2"""
HOME = "SELECT id, path FROM territory WHERE code = $1"
VOTE = """SELECT v.id, v.status, v.opens_at, v.closes_at, v.min_age, v.verified_only,
  v.territory_path, v.is_template, t.timezone FROM vote v JOIN territory t ON t.id = v.territory_id
WHERE v.id = $1"""
OPTIONS = "SELECT id, cost, territory_path FROM vote_option WHERE vote_id = $1"
REPLAY = "SELECT id, receipt FROM vote_ballot WHERE replay_key = $1"
PARTICIPATION = """INSERT INTO vote_participation (id, vote_id, user_id, channel, recorded_by,
  territory_id, territory_path, territory_group, age_band, gender, voted_on, revotes)
VALUES ($1, $2, $3, 'online', '', $4, $5, $6, $7, $8, $9, 0)"""
BALLOT = """INSERT INTO vote_ballot (id, vote_id, choices, receipt, nonce, channel,
  territory_path, territory_group, age_band, gender, cast_minute, shard, voter_key,
  replay_key) VALUES ($1, $2, $3, $4, $5, 'online', $6, $7, $8, $9, $10, $11, NULL, $12)"""
TALLY = """INSERT INTO participation_tally (subject_type, subject_id, key, dimension, "group",
  shard, count, amount) SELECT 'vote', $1, k, d, g, $2, 1, a
  FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[]) AS r(k, d, g, a)
ON CONFLICT (subject_type, subject_id, key, dimension, "group", shard)
DO UPDATE SET count = participation_tally.count + excluded.count,
  amount = participation_tally.amount + excluded.amount"""


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    url = os.environ["BENCH_DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    app.state.pool = await asyncpg.create_pool(url, min_size=4, max_size=20)
    yield
    await app.state.pool.close()


def _claims(request: Request) -> dict[str, str]:
    token = request.headers["authorization"].split()[1]
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _error(code: str) -> Response:
    return JSONResponse({"data": {"castBallot": {"ballot": None, "userErrors": [
        {"field": None, "code": code, "message": code}]}}})


def _band(age: int) -> str:
    return next((label for label, low, high in BANDS if low <= age <= high), "unknown")


async def cast(request: Request) -> Response:
    body = json.loads(await request.body())
    data = body["variables"]["input"]
    claims = _claims(request)
    vote_id = int(base64.b64decode(data["voteId"]).decode().split(":")[1])
    option_id = int(base64.b64decode(data["choices"][0]["optionId"]).decode().split(":")[1])
    replay = hmac.new(KEY, f"replay:{vote_id}:{claims['sub']}:{data['idempotencyKey']}"
                      .encode(), hashlib.sha256).hexdigest()
    async with request.app.state.pool.acquire() as conn:
        user = await conn.fetchrow(USER, claims["iss"], claims["sub"])
        vote = await conn.fetchrow(VOTE, vote_id)
        options = {row["id"]: row for row in await conn.fetch(OPTIONS, vote_id)}
        now = datetime.now(UTC)
        if (vote is None or vote["status"] != "open" or vote["is_template"]
                or (vote["closes_at"] and now >= vote["closes_at"])):
            return _error("VOTE_NOT_OPEN")
        day = now.astimezone(ZoneInfo(vote["timezone"])).date()
        birth = user["birth_date"]
        age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
        home = await conn.fetchrow(HOME, user["address_oktmo"])
        path = vote["territory_path"]
        if (user["kind"] != "person" or not user["verified"] or age < (vote["min_age"] or 0)
                or home is None or not home["path"].startswith(path + "/")):
            return _error("NOT_ELIGIBLE")
        if option_id not in options:
            return _error("UNKNOWN_OPTION")
        first = await conn.fetchrow(REPLAY, replay)
        if first is not None:
            return JSONResponse({"data": {"castBallot": {"ballot": dict(first),
                                                         "userErrors": []}}})
        group = home["path"][len(path) + 1:].split("/")[0]
        band, gender = _band(age), user["gender"] or "unknown"
        nonce = secrets.token_hex(16)
        content = [[option_id, 1]]
        receipt = hashlib.sha256(json.dumps([vote_id, content, nonce], separators=(",", ":"))
                                 .encode()).hexdigest()
        ballot_id, shard = uuid.uuid4(), random.randrange(SHARDS)
        groups = [("", ""), ("age_band", band), ("cell", f"{band}|{gender}"),
                  ("gender", gender), ("territory", group)]
        keys = [(key, d, g, amount) for key, amount in (("*", 0), (str(option_id), 1))
                for d, g in groups]
        keys.sort()
        async with conn.transaction():
            await conn.execute(PARTICIPATION, uuid.uuid4(), vote_id, user["id"], home["id"],
                               home["path"], group, band, gender, day)
            await conn.execute(BALLOT, ballot_id, vote_id, json.dumps(content), receipt, nonce,
                               home["path"], group, band, gender,
                               now.replace(second=0, microsecond=0), shard, replay)
            await conn.execute(TALLY, vote_id, shard, [k[0] for k in keys],
                               [k[1] for k in keys], [k[2] for k in keys],
                               [k[3] for k in keys])
    return JSONResponse({"data": {"castBallot": {"ballot": {"id": str(ballot_id),
                                                            "receipt": receipt},
                                                 "userErrors": []}}})


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/cast", cast, methods=["POST"]), Route("/healthz", healthz)],
                lifespan=lifespan)
