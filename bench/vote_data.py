"""The data bench/votes.py runs on: the demo's reference data, one open vote per
side (the platform's and the baseline's, so neither's voters meet the other's
one-ballot rule), their voters' tokens, and a published vote filled with a million
ballots by COPY, with the counters casting would have kept."""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

GROUPS = ("33701000", "33707000", "33713000", "33603000")
BANDS = ("14-17", "18-24", "25-34", "35-44", "45-59", "60+")
SHARDS = 8
MILLION_QUERY = """query($id: ID!) { voteResults(voteId: $id) {
  totalBallots options { id votes } winners { id }
  a: breakdown(by: AGE_BAND, limit: 10) { group participants suppressed options { id votes } }
  g: breakdown(by: GENDER, limit: 5) { group participants suppressed options { id votes } }
  t: breakdown(by: TERRITORY, limit: 10) { group participants suppressed options { id votes } }
} }"""

PREPARE = """
import asyncio, json, sys
from datetime import date
from strawberry import relay
from vmeste.platform.db import connect
from vmeste.platform.settings import load_settings
from vmeste.platform.reference.demo import load_demo_data
from vmeste.platform.identity.dev_tokens import DevProfile, issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.runtime import build_runtime
from vmeste.platform.votes.drafts import OptionInput, VoteInput
from vmeste.platform.votes.models import VoteOption
from vmeste.platform.votes.services import VoteServices

async def vote(services, title, publish=False):
    made = await services.create(SYSTEM, VoteInput(
        title=title, territory_code="33000000", method="single", min_age=14,
        options=tuple(OptionInput(title=f"Объект {n}") for n in range(1, 6))))
    await services.open(SYSTEM, made.pk)
    if publish:
        await services.close(SYSTEM, made.pk)
        await services.publish(SYSTEM, made.pk)
    options = await VoteOption.filter(vote_id=made.pk).order_by("position").values_list(
        "id", flat=True)
    return made.pk, relay.to_base64("Vote", made.pk), [relay.to_base64("VoteOption", o)
                                                       for o in options]

async def main(count):
    settings = load_settings()
    async with connect(settings):
        await load_demo_data()
        services = build_runtime(settings).service(VoteServices)
        world = {}
        for side in ("platform", "baseline"):
            _, gid, options = await vote(services, f"bench {side}")
            tokens = [await issue_dev_token(settings, Role.CITIZEN, subject=f"{side}-{i}",
                                            profile=DevProfile(
                                                birthdate=date(1950 + i % 55, 1 + i % 12, 1),
                                                gender=("male", "female")[i % 2],
                                                address_oktmo="33701000"))
                      for i in range(count)]
            world[side] = {"vote": gid, "options": options, "tokens": tokens}
        world["million"] = (await vote(services, "bench million", publish=True))[:2]
        print(json.dumps(world))

asyncio.run(main(int(sys.argv[1])))
"""


def prepare(env: dict[str, str], per_side: int) -> dict:
    out = subprocess.run([sys.executable, "-c", PREPARE, str(per_side)], env=env, check=True,
                         capture_output=True, text=True).stdout
    world: dict = json.loads(out.strip().splitlines()[-1])
    return world


async def seed_million(url: str, count: int, world: dict) -> tuple[int, str]:
    """``count`` ballots in the published vote, their counters summed per shard as
    casting adds them (one row per key, dimension, group and shard)."""
    vote_id, gid = world["million"]
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        options = [r["id"] for r in await conn.fetch(
            "SELECT id FROM vote_option WHERE vote_id = $1 ORDER BY position", vote_id)]
        path = await conn.fetchval("SELECT territory_path FROM vote WHERE id = $1", vote_id)
        rng = random.Random(1)
        minute = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1)
        records = []
        for n in range(count):
            option = options[min(int(rng.expovariate(0.6)), len(options) - 1)]
            group = GROUPS[min(int(rng.expovariate(1.2)), len(GROUPS) - 1)]
            nonce = secrets.token_hex(16)
            content = json.dumps([[option, 1]])
            receipt = hashlib.sha256(f"{vote_id}{content}{nonce}".encode()).hexdigest()
            records.append((uuid.uuid4(), vote_id, content, receipt, nonce, "online",
                            f"{path}/{group}", group, rng.choice(BANDS),
                            ("male", "female")[n % 2],
                            minute + timedelta(minutes=n // 5000), rng.randrange(SHARDS)))
        await conn.copy_records_to_table(
            "vote_ballot", records=records, columns=[
                "id", "vote_id", "choices", "receipt", "nonce", "channel", "territory_path",
                "territory_group", "age_band", "gender", "cast_minute", "shard"])
        await conn.execute(COUNTERS, vote_id)
        await conn.execute("ANALYZE vote_ballot; ANALYZE participation_tally")
    finally:
        await conn.close()
    return vote_id, gid


#: What casting adds per ballot (the participant and the chosen option, in the whole
#: and in each group of every dimension), summed over the copied ballots.
COUNTERS = """
INSERT INTO participation_tally (subject_type, subject_id, key, dimension, "group", shard,
  count, amount)
SELECT 'vote', $1, k.key, d.dimension, d.grp, b.shard, count(*), sum(k.amount)
FROM vote_ballot b
CROSS JOIN LATERAL (VALUES ('*', 0), ((b.choices->0->>0), (b.choices->0->>1)::bigint))
  AS k(key, amount)
CROSS JOIN LATERAL (VALUES ('', ''), ('age_band', b.age_band), ('gender', b.gender),
  ('territory', b.territory_group), ('cell', b.age_band || '|' || b.gender)) AS d(dimension, grp)
WHERE b.vote_id = $1
GROUP BY k.key, d.dimension, d.grp, b.shard
"""
