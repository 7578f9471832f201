"""Posts stored per second through ``store_posts`` on PostgreSQL, against a bare asyncpg
COPY of the same rows into an identical fresh table, measured in the same run.

Generates ``--posts`` posts (default 200,000) over a few hundred pages, of which
``--repeats`` (5%) repeat an earlier post, as a feed read twice does. The platform's
path is ``store_posts`` as a connector's caller runs it: batches of 10,000, each
deduplicated, COPied into a temporary table and moved with ``INSERT … ON CONFLICT DO
NOTHING``, with its processing job queued in the same transaction. The baseline is
the least any system must do: drop the repeats in Python, then one
``copy_records_to_table`` of the distinct rows into a table made ``LIKE social_post
INCLUDING ALL`` (the same columns, indexes and unique key). Each round empties both
tables and runs both, alternating which goes first, so drift hits both alike; the
medians and the ratio platform/baseline are printed, per second of wall time and per
second of CPU (this process's and the database backends', read from /proc: the
machine may be shared, and the second figure is what free cores would do). A last run
feeds the stored posts again (every one a duplicate), the cost of re-reading a page.

Target (issue 14): >= 50,000 posts/s through ``store_posts``.

    python bench/incidents.py [--posts 200000] [--repeats 0.05] [--rounds 3]
        [--server postgres://postgres@127.0.0.1:5432/postgres] [--keep-db]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import asyncpg
from reads import admin_sql  # beside this script, which is on sys.path

from vmeste.platform.incidents.ingest import COLUMNS, IncomingPost, store_posts

WORDS = ("яма дорога улица двор снег уборка мусор контейнер вывоз автобус остановка "
         "маршрут отопление батарея подъезд лифт крыша сосулька школа поликлиника "
         "запись врач парк скамейка фонарь освещение тротуар ремонт жалоба когда "
         "опять снова неделю месяц администрация управляющая компания").split()
BASE = datetime(2026, 12, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)


def generate(count: int, repeats: float, seed: int = 14) -> list[IncomingPost]:
    """``count`` posts, a ``repeats`` share of them copies of an earlier one."""
    rng = random.Random(seed)
    posts: list[IncomingPost] = []
    for n in range(count):
        if posts and rng.random() < repeats:
            posts.append(posts[rng.randrange(len(posts))])
            continue
        page = rng.randrange(400)
        comment = rng.random() < 0.3
        posts.append(IncomingPost(
            network="vk" if page % 5 else "ok", post_ref=f"{page}_{n}", page_ref=str(-page),
            parent_ref=f"{page}_{rng.randrange(n)}" if comment and n else "",
            author_ref=str(rng.randrange(10**9)),
            text=" ".join(rng.choices(WORDS, k=rng.randrange(8, 30))).capitalize(),
            url=f"https://vk.com/wall-{page}_{n}", latitude=None, longitude=None,
            posted_at=BASE + timedelta(seconds=n)))
    return posts


async def baseline(conn: asyncpg.Connection, posts: list[IncomingPost]) -> int:
    """The repeats dropped, then one COPY of the distinct rows."""
    distinct = {post.key: post for post in posts}
    records = [(*post.row(), NOW, "new", "") for post in distinct.values()]
    await conn.copy_records_to_table("social_post_baseline", records=records,
                                     columns=[*COLUMNS, "ingested_at", "state", "topic"])
    return len(records)


def cpu_of(pids: list[int]) -> float:
    """CPU seconds of these processes so far (the database's backends run here too)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def backends(conn: asyncpg.Connection) -> list[int]:
    return [row["pid"] for row in await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")]


async def empty(conn: asyncpg.Connection) -> None:
    await conn.execute("TRUNCATE social_post, social_post_baseline; "
                       "DELETE FROM outbox_message")


async def run(args: argparse.Namespace, url: str) -> None:
    from vmeste.platform.db import connect, migrate
    from vmeste.platform.settings import load_settings

    posts = generate(args.posts, args.repeats)
    distinct = len({post.key for post in posts})
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings({"VMESTE_DATABASE_URL": url, "VMESTE_DATA_DIR": data_dir})
        await migrate(settings)
        raw = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            await raw.execute("CREATE TABLE social_post_baseline "
                              "(LIKE social_post INCLUDING ALL)")
            print(f"{len(posts):,} posts, {distinct:,} distinct, {args.rounds} rounds")
            rates: dict[str, list[float]] = {"store_posts": [], "bare COPY": []}
            per_cpu: dict[str, list[float]] = {name: [] for name in rates}
            async with connect(settings):
                for number in range(args.rounds):
                    await empty(raw)
                    order = ["store_posts", "bare COPY"][::1 if number % 2 == 0 else -1]
                    for name in order:
                        pids = await backends(raw)
                        started, cpu = time.perf_counter(), time.process_time() + cpu_of(pids)
                        if name == "store_posts":
                            stored = await store_posts(posts, NOW)
                            assert stored.inserted == distinct, stored
                        else:
                            assert await baseline(raw, posts) == distinct
                        rates[name].append(len(posts) / (time.perf_counter() - started))
                        used = time.process_time() + cpu_of(await backends(raw)) - cpu
                        per_cpu[name].append(len(posts) / used)
                    print(f"round {number + 1}: " + "   ".join(
                        f"{name} {rates[name][-1]:>9,.0f}/s ({per_cpu[name][-1]:>9,.0f}/CPU-s)"
                        for name in rates))
                started = time.perf_counter()
                again = await store_posts(posts, NOW)
                refeed = len(posts) / (time.perf_counter() - started)
                assert again.inserted == 0 and again.duplicates == len(posts), again
        finally:
            await raw.close()
    platform, bare = (statistics.median(rates[n]) for n in ("store_posts", "bare COPY"))
    platform_cpu, bare_cpu = (statistics.median(per_cpu[n]) for n in per_cpu)
    print(f"median: store_posts {platform:,.0f} posts/s, bare COPY {bare:,.0f} posts/s, "
          f"ratio {platform / bare:.2f}")
    print(f"per CPU second (this process and the database's backends): store_posts "
          f"{platform_cpu:,.0f}, bare COPY {bare_cpu:,.0f}, ratio {platform_cpu / bare_cpu:.2f}")
    print(f"the same posts fed again (all duplicates): {refeed:,.0f} posts/s")
    print("target: >= 50,000 posts/s through store_posts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--repeats", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server", default=os.environ.get(
        "VMESTE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    name = f"vmeste_bench_incidents_{secrets.token_hex(3)}"
    url = urlsplit(args.server)._replace(path=f"/{name}").geturl()
    asyncio.run(admin_sql(args.server, f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(run(args, url))
    finally:
        if args.keep_db:
            print(f"kept database {url}")
        else:
            asyncio.run(admin_sql(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
