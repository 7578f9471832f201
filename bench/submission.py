"""Appeals submitted through GraphQL over HTTP on PostgreSQL, against a minimal
Starlette + asyncpg endpoint doing the same inserts, in the same run.

Both servers run as one uvicorn process each on this machine; the load generator
sends the same number of submissions with the same concurrency to each and prints
submissions per second and the ratio (target, issue 3: >= 0.5).

The platform's path does everything a real submission does: verifies the bearer token,
loads the user's roles, checks the idempotency key, validates references, runs
moderation and routing, writes the appeal and its events in one transaction. The
baseline inserts the same rows and nothing else.

    python bench/submission.py [--requests 3000] [--concurrency 32]
        [--server postgres://postgres@127.0.0.1:5432/postgres]
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

ROOT = Path(__file__).resolve().parent.parent
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


async def drive(url: str, bodies: list[dict], headers: dict[str, str], concurrency: int
                ) -> tuple[float, int]:
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                body = queue.get_nowait()
                response = await client.post(url, json=body, headers=headers)
                data = response.json()
                if response.status_code != 200 or data.get("errors") or (
                        "data" in data and data["data"]["submitAppeal"]["userErrors"]):
                    failures += 1
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(bodies) / (time.perf_counter() - start), failures


def platform_bodies(count: int, territories: list[str], prefix: str) -> list[dict]:
    return [{"query": QUERY, "variables": {"input": {
        "text": f"Яма на дороге у дома {i}, просим отремонтировать покрытие ({prefix}).",
        "categoryCode": "roads.potholes", "territoryCode": territories[i % len(territories)],
        "idempotencyKey": f"{prefix}-{i}"}}} for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--server", default=os.environ.get(
        "VMESTE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
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
    servers: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([sys.executable, "-m", "vmeste", "migrate"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        token, territories = prepare(env)
        platform_port, baseline_port = free_port(), free_port()
        servers.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory",
             "vmeste.app:app_from_environment", "--port", str(platform_port),
             "--log-level", "warning", "--no-access-log"], env=env))
        servers.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench.minimal_submission:app", "--port",
             str(baseline_port), "--log-level", "warning", "--no-access-log"],
            env={**env, "BENCH_DATABASE_URL": url}, cwd=ROOT))
        wait_ready(f"http://127.0.0.1:{platform_port}/readyz", servers[0])
        wait_ready(f"http://127.0.0.1:{baseline_port}/healthz", servers[1])
        headers = {"Authorization": f"Bearer {token}"}
        warm = platform_bodies(300, territories, "warm")
        asyncio.run(drive(f"http://127.0.0.1:{platform_port}/graphql", warm, headers,
                          args.concurrency))
        asyncio.run(drive(f"http://127.0.0.1:{baseline_port}/submit", warm, headers,
                          args.concurrency))
        bodies = platform_bodies(args.requests, territories, "run")
        ours, failed = asyncio.run(drive(f"http://127.0.0.1:{platform_port}/graphql", bodies,
                                         headers, args.concurrency))
        base, base_failed = asyncio.run(drive(f"http://127.0.0.1:{baseline_port}/submit",
                                              bodies, headers, args.concurrency))
        print(f"submissions: {args.requests}, concurrency {args.concurrency}")
        print(f"platform GraphQL: {ours:,.0f}/s (failures {failed})")
        print(f"minimal Starlette+asyncpg: {base:,.0f}/s (failures {base_failed})")
        print(f"ratio platform/minimal: {ours / base:.2f} (target >= 0.5)")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def prepare(env: dict[str, str]) -> tuple[str, list[str]]:
    """Demo reference data and rules, a citizen's token, and the settlements to use."""
    script = """
import asyncio, json
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

async def main():
    settings = load_settings()
    async with connect(settings):
        await load_demo_data()
        async with in_transaction() as conn:
            await upsert_rule_rows(await build_demo_rules(), principal=SYSTEM, publish=True,
                                   conn=conn)
        token = await issue_dev_token(settings, Role.CITIZEN, subject="bench-citizen")
        codes = await Territory.filter(kind="settlement", code__startswith="33").values_list(
            "code", flat=True)
        print(json.dumps([token, codes]))

asyncio.run(main())
"""
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True,
                         capture_output=True, text=True).stdout
    token, codes = json.loads(out.strip().splitlines()[-1])
    return token, codes


async def _admin(server: str, sql: str) -> None:
    conn = await asyncpg.connect(server.rsplit("/", 1)[0] + "/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
