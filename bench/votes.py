"""Ballots cast through GraphQL over HTTP on PostgreSQL, against a minimal Starlette +
asyncpg endpoint that checks the same eligibility and writes the same rows
(bench/minimal_ballot.py), in the same run; then latency at a fixed rate, and a results
read for a vote with a million ballots.

1. Throughput: two interleaved rounds of ``--ballots`` ballots at ``--concurrency``
   from distinct voters (one ballot per person) to each server; ballots per second and
   the ratio (target, issue 12: >= 0.6).
2. Latency: ``--rate`` ballots per second for ``--seconds`` to each, sent open-loop
   (each on its own schedule, latency counted from the scheduled moment, so a stall is
   not hidden by a client waiting for it); p50, p99 and the worst.
3. Results: a vote of ``--million`` ballots written with COPY (ballots, and their
   counters the way casting keeps them); ``voteResults`` with every breakdown over
   HTTP, against a recount straight from the ballot table in SQL.

``--processes N`` serves each side with N uvicorn processes (one per core is how the
chart runs an API pod), for a rate one process cannot take.

    python bench/votes.py [--ballots 2000] [--concurrency 32] [--rate 200]
        [--seconds 15] [--million 1000000] [--processes 1]
        [--server postgres://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
from submission import _admin, free_port, wait_ready  # beside this script
from vote_data import MILLION_QUERY, prepare, seed_million

ROOT = Path(__file__).resolve().parent.parent
CAST = ("mutation($input: CastBallotInput!) { castBallot(input: $input) "
        "{ ballot { id receipt } userErrors { code } } }")
WARM_UP = 300


def bodies(vote: str, options: list[str], tokens: list[str], prefix: str
           ) -> list[tuple[dict, dict[str, str]]]:
    return [({"query": CAST, "variables": {"input": {
        "voteId": vote, "choices": [{"optionId": options[i % len(options)]}],
        "idempotencyKey": f"{prefix}-{i}"}}}, {"Authorization": f"Bearer {token}"})
        for i, token in enumerate(tokens)]


def failed(response: httpx.Response) -> bool:
    data = response.json()
    return (response.status_code != 200 or bool(data.get("errors"))
            or bool(data["data"]["castBallot"]["userErrors"]))


async def closed_loop(url: str, work: list[tuple[dict, dict[str, str]]], concurrency: int
                      ) -> tuple[float, int]:
    queue = list(reversed(work))
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        async def worker() -> None:
            nonlocal failures
            while queue:
                body, headers = queue.pop()
                response = await client.post(url, json=body, headers=headers)
                if failed(response):
                    if not failures:
                        print(f"first failure: {response.status_code} {response.text[:300]}")
                    failures += 1
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(work) / (time.perf_counter() - start), failures


async def open_loop(url: str, work: list[tuple[dict, dict[str, str]]], rate: float
                    ) -> tuple[list[float], int]:
    """Latencies (ms) from each request's scheduled moment to its answer."""
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        start = time.perf_counter()

        async def one(index: int, body: dict, headers: dict[str, str]) -> None:
            nonlocal failures
            due = start + index / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            response = await client.post(url, json=body, headers=headers)
            latencies.append(1000 * (time.perf_counter() - due))
            failures += failed(response)

        await asyncio.gather(*(one(i, body, headers) for i, (body, headers) in enumerate(work)))
    return sorted(latencies), failures


def quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


async def read_results(url: str, document: dict, count: int) -> list[float]:
    times = []
    async with httpx.AsyncClient(timeout=120) as client:
        for _ in range(count):
            start = time.perf_counter()
            response = await client.post(url, json=document)
            assert response.status_code == 200 and "errors" not in response.json(), \
                response.text[:500]
            times.append(1000 * (time.perf_counter() - start))
    return sorted(times)


async def recount(url: str, vote_id: int, count: int) -> list[float]:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    times = []
    try:
        for _ in range(count):
            start = time.perf_counter()
            await conn.fetch(
                "SELECT (c->>0)::int AS option, count(*) FROM vote_ballot, "
                "jsonb_array_elements(choices) AS c WHERE vote_id = $1 "
                "AND quarantine_id IS NULL GROUP BY 1", vote_id)
            times.append(1000 * (time.perf_counter() - start))
    finally:
        await conn.close()
    return sorted(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--million", type=int, default=1_000_000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--server", default=os.environ.get(
        "VMESTE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    name = f"vmeste_bench_{secrets.token_hex(3)}"
    admin = args.server.replace("postgres://", "postgresql://", 1)
    url = urlsplit(args.server)._replace(path=f"/{name}").geturl()
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    env = {**os.environ, "VMESTE_DATABASE_URL": url + "?minsize=4&maxsize=20",
           "VMESTE_DEV_MODE": "1", "VMESTE_DATA_DIR": f"/tmp/{name}",
           "VMESTE_EMBEDDED_WORKERS": "false", "VMESTE_RATE_LIMITS": "false",
           "VMESTE_LOG_LEVEL": "warning"}
    servers: dict[str, subprocess.Popen[bytes]] = {}
    try:
        subprocess.run([sys.executable, "-m", "vmeste", "migrate"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        paced = int(args.rate * args.seconds)
        per_side = WARM_UP + 2 * args.ballots + paced
        world = prepare(env, per_side)
        platform_port, baseline_port = free_port(), free_port()
        common = ["--log-level", "warning", "--no-access-log", "--workers",
                  str(args.processes)]
        servers["api"] = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "vmeste.app:app_from_environment",
             "--port", str(platform_port), *common], env=env)
        servers["baseline"] = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench.minimal_ballot:app", "--port",
             str(baseline_port), *common],
            env={**env, "BENCH_DATABASE_URL": url}, cwd=ROOT)
        wait_ready(f"http://127.0.0.1:{platform_port}/readyz", servers["api"])
        wait_ready(f"http://127.0.0.1:{baseline_port}/healthz", servers["baseline"])
        ours_url = f"http://127.0.0.1:{platform_port}/graphql"
        base_url = f"http://127.0.0.1:{baseline_port}/cast"
        sides = {side: (world[side]["vote"], world[side]["options"], world[side]["tokens"])
                 for side in ("platform", "baseline")}

        def slice_of(side: str, start: int, stop: int, prefix: str
                     ) -> list[tuple[dict, dict[str, str]]]:
            vote, options, tokens = sides[side]
            return bodies(vote, options, tokens[start:stop], prefix)

        asyncio.run(closed_loop(ours_url, slice_of("platform", 0, WARM_UP, "warm"),
                                args.concurrency))
        asyncio.run(closed_loop(base_url, slice_of("baseline", 0, WARM_UP, "warm"),
                                args.concurrency))
        rounds: dict[str, list[float]] = {"platform": [], "baseline": []}
        for number in range(2):
            start = WARM_UP + number * args.ballots
            for side, target in (("platform", ours_url), ("baseline", base_url)):
                rate, failures = asyncio.run(closed_loop(
                    target, slice_of(side, start, start + args.ballots, f"r{number}"),
                    args.concurrency))
                rounds[side].append(rate)
                print(f"round {number + 1} {side}: {rate:,.0f} ballots/s "
                      f"(failures {failures})")
        ours, base = max(rounds["platform"]), max(rounds["baseline"])
        print(f"castBallot throughput, best round, {args.processes} process(es) each: "
              f"platform {ours:,.0f}/s, "
              f"minimal {base:,.0f}/s, ratio {ours / base:.2f} (target >= 0.6)")
        start = WARM_UP + 2 * args.ballots
        for side, target in (("platform", ours_url), ("baseline", base_url)):
            latencies, failures = asyncio.run(open_loop(
                target, slice_of(side, start, start + paced, "paced"), args.rate))
            print(f"{side} at {args.rate:.0f} ballots/s for {args.seconds:.0f} s: "
                  f"p50 {quantile(latencies, 0.5):.1f} ms, p99 {quantile(latencies, 0.99):.1f} "
                  f"ms, max {latencies[-1]:.1f} ms (failures {failures})")
        vote_id, gid = asyncio.run(seed_million(url, args.million, world))
        document = {"query": MILLION_QUERY, "variables": {"id": gid}}
        ours_read = asyncio.run(read_results(ours_url, document, 50))
        sql = asyncio.run(recount(url, vote_id, 5))
        print(f"voteResults with 3 breakdowns, {args.million:,} ballots: p50 "
              f"{quantile(ours_read, 0.5):.1f} ms, p99 {quantile(ours_read, 0.99):.1f} ms; "
              f"a recount from the ballot table in SQL: p50 {quantile(sql, 0.5):.0f} ms")
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=30)
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
