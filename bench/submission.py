"""Appeals submitted through GraphQL over HTTP on PostgreSQL, against a minimal
Starlette + asyncpg endpoint doing the same inserts, in the same run.

Both servers run as one uvicorn process each on this machine; the load generator
sends the same number of submissions with the same concurrency to each and prints
submissions per second and the ratio (target, issue 3: >= 0.5).

The platform's path does everything a real submission does: verifies the bearer token,
loads the user's roles, checks the idempotency key, validates references, runs
moderation and routing, writes the appeal and its events in one transaction. The
baseline inserts the same rows and nothing else.

With ``--broker`` (``amqp://…`` or ``redis://…``), ``vmeste worker`` and ``vmeste
scheduler`` run beside the API as in production, and the run also reports the CPU time
an appeal costs each process (its process tree, from /proc) and the bench database's
PostgreSQL backends, from the first submission until the outbox is drained: the figures
docs/operations.md sizes a deployment with.

    python bench/submission.py [--requests 3000] [--concurrency 32]
        [--server postgres://postgres@127.0.0.1:5432/postgres]
        [--broker amqp://guest:guest@127.0.0.1:5672/]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
from reads_load import database_ticks, spent, tree_ticks  # beside this script

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 300
DRAIN_SECONDS = 600
#: Submissions per citizen: under the default hourly quota of 20.
QUOTA_SHARE = 10
QUERY = ("mutation($input: SubmitAppealInput!) { submitAppeal(input: $input) "
         "{ appeal { id status } userErrors { code } } }")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early: {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not become ready")


async def drive(url: str, bodies: list[tuple[dict, dict[str, str]]], concurrency: int
                ) -> tuple[float, int]:
    """Each (body, headers) posted once; submissions per second and the failures."""
    queue: asyncio.Queue[tuple[dict, dict[str, str]]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                body, headers = queue.get_nowait()
                response = await client.post(url, json=body, headers=headers)
                data = response.json()
                if response.status_code != 200 or data.get("errors") or (
                        "data" in data and data["data"]["submitAppeal"]["userErrors"]):
                    if not failures:
                        print(f"first failure: {response.status_code} {response.text[:300]}")
                    failures += 1
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(bodies) / (time.perf_counter() - start), failures


def platform_bodies(count: int, territories: list[str], tokens: list[str], prefix: str
                    ) -> list[tuple[dict, dict[str, str]]]:
    """Submissions by many citizens in turn, as a national load is: one citizen alone
    would meet the hourly submission quota and the mutation budget."""
    return [({"query": QUERY, "variables": {"input": {
        "text": f"Яма на дороге у дома {i}, просим отремонтировать покрытие ({prefix}).",
        "categoryCode": "roads.potholes", "territoryCode": territories[i % len(territories)],
        "idempotencyKey": f"{prefix}-{i}"}}},
        {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}) for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--server", default=os.environ.get(
        "VMESTE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--broker", help="amqp://… or redis://…: run `vmeste worker` and "
                        "`vmeste scheduler` too, and report CPU per appeal")
    args = parser.parse_args()
    name = f"vmeste_bench_{secrets.token_hex(3)}"
    admin = args.server.replace("postgres://", "postgresql://", 1)
    url = urlsplit(args.server)._replace(path=f"/{name}").geturl()
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    work = Path(f"/tmp/{name}")
    env = {**os.environ, "VMESTE_DATABASE_URL": url + "?minsize=4&maxsize=20",
           "VMESTE_DEV_MODE": "1", "VMESTE_DATA_DIR": str(work),
           # As in production: the API pod writes the outbox; workers run elsewhere.
           "VMESTE_EMBEDDED_WORKERS": "false"}
    if args.broker:
        env.update(VMESTE_BROKER_URL=args.broker, VMESTE_QUEUE_PREFIX=name)
    servers: dict[str, subprocess.Popen[bytes]] = {}
    try:
        subprocess.run([sys.executable, "-m", "vmeste", "migrate"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        # Within the default quota (20 an hour per citizen), warm-up and run together.
        tokens, territories = prepare(env, (WARM_UP + args.requests) // QUOTA_SHARE + 1)
        platform_port, baseline_port = free_port(), free_port()
        servers["api"] = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory",
             "vmeste.app:app_from_environment", "--port", str(platform_port),
             "--log-level", "warning", "--no-access-log"], env=env)
        servers["baseline"] = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench.minimal_submission:app", "--port",
             str(baseline_port), "--log-level", "warning", "--no-access-log"],
            env={**env, "BENCH_DATABASE_URL": url}, cwd=ROOT)
        wait_ready(f"http://127.0.0.1:{platform_port}/readyz", servers["api"])
        wait_ready(f"http://127.0.0.1:{baseline_port}/healthz", servers["baseline"])
        if args.broker:
            for command in ("worker", "scheduler"):
                port = free_port()
                servers[command] = subprocess.Popen(
                    [sys.executable, "-m", "vmeste", command],
                    env={**env, "VMESTE_HEALTH_PORT": str(port)}, stdout=subprocess.DEVNULL)
                wait_ready(f"http://127.0.0.1:{port}/readyz", servers[command])
        platform, baseline = (f"http://127.0.0.1:{platform_port}/graphql",
                              f"http://127.0.0.1:{baseline_port}/submit")
        warm = platform_bodies(WARM_UP, territories, tokens, "warm")
        asyncio.run(drive(platform, warm, args.concurrency))
        asyncio.run(drive(baseline, warm, args.concurrency))
        if args.broker:
            asyncio.run(drained(url))
        bodies = platform_bodies(args.requests, territories, tokens[::-1], "run")
        processes = {key: servers[key] for key in ("api", "worker", "scheduler")
                     if key in servers}
        rows_before = asyncio.run(outbox_rows(url))
        before = {key: tree_ticks(p.pid) for key, p in processes.items()}
        db_before = database_ticks(name)
        ours, failed = asyncio.run(drive(platform, bodies, args.concurrency))
        if args.broker:
            asyncio.run(drained(url))
        after = {key: tree_ticks(p.pid) for key, p in processes.items()}
        db_after = database_ticks(name)
        rows = asyncio.run(outbox_rows(url)) - rows_before
        base, base_failed = asyncio.run(drive(baseline, bodies, args.concurrency))
        print(f"submissions: {args.requests}, concurrency {args.concurrency}")
        print(f"platform GraphQL: {ours:,.0f}/s (failures {failed})")
        print(f"minimal Starlette+asyncpg: {base:,.0f}/s (failures {base_failed})")
        print(f"ratio platform/minimal: {ours / base:.2f} (target >= 0.5)")
        costs = {key: spent(before[key], after[key]) for key in processes}
        costs["postgres"] = spent(db_before, db_after)
        print(f"outbox messages per appeal: {rows / args.requests:.2f}")
        until = ", until the outbox is drained" if args.broker else " (no worker)"
        print(f"CPU per appeal{until}: " + ", ".join(
            f"{key} {1000 * value / args.requests:.2f} ms" for key, value in costs.items()
            if value is not None))
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=30)
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def outbox_rows(url: str) -> int:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox_message"))
    finally:
        await conn.close()


async def drained(url: str) -> None:
    """Until every outbox row's job has finished (relayed, worked, stamped done)."""
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        deadline = time.monotonic() + DRAIN_SECONDS
        while await conn.fetchval("SELECT count(*) FROM outbox_message WHERE done_at IS NULL"):
            if time.monotonic() > deadline:
                raise SystemExit("the outbox did not drain")
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


def prepare(env: dict[str, str], citizens: int) -> tuple[list[str], list[str]]:
    """Demo reference data and rules, the citizens' tokens, and the settlements to use."""
    script = """
import asyncio, json, sys
from vmeste.platform.db import connect
from vmeste.platform.settings import load_settings
from vmeste.platform.reference.demo import load_demo_data
from vmeste.platform.appeals.demo import build_demo_rules
from vmeste.platform.appeals.rules_import import upsert_rule_rows
from vmeste.platform.identity.dev_tokens import issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.reference.models import Territory
from tortoise.transactions import in_transaction

async def main(citizens):
    settings = load_settings()
    async with connect(settings):
        await load_demo_data()
        async with in_transaction() as conn:
            await upsert_rule_rows(await build_demo_rules(), principal=SYSTEM, publish=True,
                                   conn=conn)
        await issue_dev_token(settings, Role.CITIZEN, subject="bench-baseline")
        tokens = [await issue_dev_token(settings, Role.CITIZEN, subject=f"bench-citizen-{i}")
                  for i in range(citizens)]
        codes = await Territory.filter(kind="settlement", code__startswith="33").values_list(
            "code", flat=True)
        print(json.dumps([tokens, codes]))

asyncio.run(main(int(sys.argv[1])))
"""
    out = subprocess.run([sys.executable, "-c", script, str(citizens)], env=env, check=True,
                         capture_output=True, text=True).stdout
    tokens, codes = json.loads(out.strip().splitlines()[-1])
    return tokens, codes


async def _admin(server: str, sql: str) -> None:
    conn = await asyncpg.connect(server.rsplit("/", 1)[0] + "/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
