"""GraphQL reads on PostgreSQL against P0, a hand-written endpoint over the same rows,
and PostGraphile 5 as a peer: issue 10's acceptance measurement.

Three workloads, all POSTed as JSON with an operator's bearer token:

- W: a page of 100 appeals with their organization, category and territory;
- S: one appeal by its global id, with its organization;
- P: a page of 100 proposals of a hearing the operator's body organises, with the
  sections they are anchored to (bench/reads_data.py writes 300 of them).

The operator works for the body the demo's tour appeal goes to; that body gets ~2,000
appeals (the demo's, copied by SQL), a tenth of them with a subordinate body and a
twentieth complaints about the body itself, which it must not see. P0 (bench/
reads_baseline.py) answers the same documents with one SQL statement, no GraphQL and
no token check; before the load the bench asserts both answer the same. PostGraphile
(installed with npm into ~/.cache/vmeste-bench when node exists) knows no visibility
rules, so it gets the body as a condition.

Each server runs with the same uvicorn (or node cluster) workers. In every round each
workload is run against each server with wrk (bench/reads_peers/post.lua) in turn, so
drift hits all alike; the report gives medians over rounds: req/s, p50 and p99
latency, the server's CPU time a request (its process tree, from /proc), the bench
database's backends' CPU a request, and req/s as a share of P0's (targets: W 0.6,
S 0.7; P is held to W's). PostGraphile runs W and S only. Any non-2xx answer, socket
error or answer of the wrong size fails the run.

    python bench/reads.py [--rounds 3] [--duration 10]
        [--connections 16] [--workers 1] [--no-postgraphile] [--keep-db]
        [--json PATH] [--server postgres://postgres@127.0.0.1:5432/postgres]

Needs wrk (``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
from reads_baseline import SUBTREE, VISIBLE  # beside this script, which is on sys.path
from reads_load import Run, report, summarize, write_json, wrk

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "reads_peers"
PGL_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vmeste-bench" \
    / "postgraphile"
WORKLOADS = ("W", "S", "P")
#: What PostGraphile is measured on (it has no visibility rules for proposals either).
PEER_WORKLOADS = ("W", "S")
APPEALS = 2000
WARM_UP_SECONDS = 2.0
QUERIES = {
    "W": "query W { appeals(first: 100) { edges { node { id status channel text createdAt "
         "organization { name } category { code name } territory { code name } } } } }",
    "S": "query S($id: ID!) { appeal(id: $id) { id status organization { name } } }",
    "P": "query P($h: ID!) { hearingProposals(hearingId: $h, first: 100) { edges { node { id "
         "number text quote channel status participantClass createdAt "
         "section { number heading } } } } }",
}
PGL_QUERIES = {
    "W": "query W { allAppeals(first: 100, condition: {organizationId: %d}, orderBy: ROW_ID_ASC)"
         " { nodes { id status channel text createdAt organizationByOrganizationId { name } "
         "categoryByCategoryId { code name } territoryByTerritoryId { code name } } } }",
    "S": "query S($id: Int!) { appealByRowId(rowId: $id) { id status "
         "organizationByOrganizationId { name } } }",
}


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    bodies: dict[str, Path]
    #: Bytes on the wire of one checked answer, per workload.
    expected: dict[str, int] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uvicorn(target: str, port: int, workers: int, env: dict[str, str],
            factory: bool = False) -> subprocess.Popen[bytes]:
    """A server whose log goes to ``<its data folder>/<port>.log`` (read it when a
    server fails to start), not into the bench's report."""
    log = open(Path(env["VMESTE_DATA_DIR"]) / f"{port}.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", target, *(["--factory"] if factory else []),
         "--port", str(port), "--workers", str(workers), "--log-level", "warning",
         "--no-access-log"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(client: httpx.Client, server: Server, probe: str | None) -> bool:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            if probe is not None:
                response = client.get(server.url.replace("/graphql", probe))
            else:
                response = client.post(server.url, json={"query": "{ __typename }"})
            if response.status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return False


def install_postgraphile() -> Path | None:
    """The npm packages in the cache (installed on first use); None, said why, if not."""
    if not (shutil.which("node") and shutil.which("npm")):
        print("PostGraphile: no node or npm here; measuring without it")
        return None
    if not (PGL_DIR / "node_modules" / "postgraphile" / "package.json").exists():
        PGL_DIR.mkdir(parents=True, exist_ok=True)
        if not (PGL_DIR / "package.json").exists():
            (PGL_DIR / "package.json").write_text('{"private": true}\n')
        print(f"PostGraphile: installing postgraphile@5 and pg into {PGL_DIR}")
        try:
            done = subprocess.run(["npm", "install", "--no-audit", "--no-fund",
                                   "--loglevel=error", "postgraphile@5", "pg"], cwd=PGL_DIR,
                                  capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            print("PostGraphile: npm install took over 10 minutes; measuring without it")
            return None
        if done.returncode != 0:
            print(f"PostGraphile: npm install failed; measuring without it\n{done.stderr[-2000:]}")
            return None
    return PGL_DIR


async def grow(url: str, body: int) -> tuple[int, int]:
    """Copies of the routed demo appeals for ``body`` (every column but the id as it
    was), some with a subordinate body and some complaints about ``body``. Returns how
    many the operator sees and the id of S's appeal."""
    conn = await asyncpg.connect(url)
    try:
        return await _grow(conn, body)
    finally:
        await conn.close()


async def _grow(conn: asyncpg.Connection, body: int) -> tuple[int, int]:
    subordinate = await conn.fetchval(
        "SELECT id FROM organization WHERE parent_id = $1 ORDER BY id LIMIT 1", body)
    columns = [row["column_name"] for row in await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = 'appeal' AND column_name <> 'id' "
        "ORDER BY ordinal_position")]
    sources = await conn.fetchval("SELECT count(*) FROM appeal WHERE organization_id IS NOT NULL")
    overrides = {
        "organization_id": "CASE WHEN n % 10 = 5 OR n % 20 = 0 THEN coalesce($2::int, $1::int) "
                           "ELSE $1::int END",
        "complained_organization_id": "CASE WHEN n % 20 = 0 THEN $1::int END",
        # A key is unique per applicant; the body's executors are not the copies'.
        "idempotency_key": "NULL", "executor_id": "NULL",
    }
    values = ", ".join(overrides.get(column, f"a.{column}") for column in columns)
    await conn.execute(
        f"INSERT INTO appeal ({', '.join(columns)}) SELECT {values} FROM (SELECT appeal.*, "
        "row_number() OVER (ORDER BY g, appeal.id) AS n FROM appeal, generate_series(1, $3) g "
        "WHERE organization_id IS NOT NULL) a ORDER BY n",
        body, subordinate, -(-APPEALS // sources))
    await conn.execute("ANALYZE")
    bodies = [row["id"] for row in await conn.fetch(SUBTREE, body)]
    visible = await conn.fetchval(f"SELECT count(*) FROM appeal a WHERE {VISIBLE}", bodies, [body])
    single = await conn.fetchval("SELECT max(id) FROM appeal WHERE organization_id = $1 AND "
                                 "complained_organization_id IS NULL", body)
    return visible, single


def wire_size(response: httpx.Response) -> int:
    status = f"{response.http_version} {response.status_code} {response.reason_phrase}\r\n"
    headers = sum(len(name) + len(value) + 4 for name, value in response.headers.raw)
    return len(status) + headers + 2 + len(response.content)


def fetch(client: httpx.Client, server: Server, workload: str, token: str) -> dict[str, Any]:
    response = client.post(server.url, content=server.bodies[workload].read_bytes(),
                           headers=headers(token))
    document: dict[str, Any] = response.json()
    if response.status_code != 200 or "errors" in document:
        raise SystemExit(f"{server.name} {workload}: HTTP {response.status_code} "
                         f"{response.text[:2000]}")
    server.expected[workload] = wire_size(response)
    return document


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
            "Accept": "application/json", "Accept-Encoding": "identity"}


def check(client: httpx.Client, base: Server, ours: Server, token: str) -> None:
    """P0 must answer what Vmeste answers, or it is not the same work."""
    answers = {}
    for workload in WORKLOADS:
        answers[workload] = fetch(client, ours, workload, token)
        got = fetch(client, base, workload, token)
        if got != answers[workload]:
            print(f"P0 and Vmeste answer {workload} differently:\n  vmeste: "
                  f"{json.dumps(answers[workload], ensure_ascii=False)[:1500]}\n  P0:     "
                  f"{json.dumps(got, ensure_ascii=False)[:1500]}")
            raise SystemExit(1)
    page = answers["W"]["data"]["appeals"]["edges"]
    if len(page) != 100 or answers["S"]["data"]["appeal"] is None:
        raise SystemExit(f"W gave {len(page)} appeals (expected 100) or S gave null")
    proposals = answers["P"]["data"]["hearingProposals"]["edges"]
    if len(proposals) != 100:
        raise SystemExit(f"P gave {len(proposals)} proposals (expected 100)")


def check_peer(client: httpx.Client, peer: Server, base: Server, token: str) -> str | None:
    """What is wrong with PostGraphile's answers, if anything; how near P0's they are."""
    try:
        page = fetch(client, peer, "W", token)["data"]["allAppeals"]["nodes"]
        single = fetch(client, peer, "S", token)["data"]["appealByRowId"]
        ours = fetch(client, base, "W", token)["data"]["appeals"]["edges"]
    except (SystemExit, KeyError, TypeError) as error:
        return f"unexpected answer: {error}"
    if len(page) != 100 or single is None:
        return f"W gave {len(page)} appeals, S gave {single}"
    rows = {json.loads(base64.b64decode(node["id"]))[1] for node in page}
    same = sum(int(base64.b64decode(edge["node"]["id"]).decode().split(":")[1]) in rows
               for edge in ours)
    print(f"PostGraphile: W shares {same} of 100 appeals with P0's page (it filters on "
          "organizationId alone: no subordinates, no complaint exclusion)")
    return None


def write_bodies(work: Path, server: str, queries: dict[str, str],
                 variables: dict[str, dict[str, Any]]) -> dict[str, Path]:
    bodies = {}
    for workload, query in queries.items():
        bodies[workload] = work / f"{server}-{workload}.json"
        bodies[workload].write_text(json.dumps(
            {"query": query, "operationName": workload, "variables": variables[workload]},
            ensure_ascii=False))
    return bodies


def start_postgraphile(client: httpx.Client, args: argparse.Namespace, url: str,
                       work: Path, body: int, single: int) -> Server | None:
    installed = install_postgraphile()
    if installed is None:
        return None
    version = json.loads((installed / "node_modules" / "postgraphile" / "package.json")
                         .read_text())["version"]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"PostGraphile {version} (amber preset) on node {node}")
    port = free_port()
    env = {**os.environ, "BENCH_PGL_DIR": str(installed), "BENCH_PORT": str(port),
           "BENCH_DATABASE_URL": url, "BENCH_WORKERS": str(args.workers),
           "NODE_ENV": "production"}
    process = subprocess.Popen(["node", "--require", str(PEERS / "with_resolvers.cjs"),
                                str(PEERS / "postgraphile.cjs")], env=env,
                               stdout=subprocess.DEVNULL)
    peer = Server("postgraphile", process, f"http://127.0.0.1:{port}/graphql", write_bodies(
        work, "postgraphile", {"W": PGL_QUERIES["W"] % body, "S": PGL_QUERIES["S"]},
        {"W": {}, "S": {"id": single}}))
    if not wait_ready(client, peer, None):
        print(f"PostGraphile did not start (exit code {process.poll()}); measuring without it")
        stop(peer)
        return None
    return peer


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()


async def admin_sql(server: str, sql: str) -> None:
    conn = await asyncpg.connect(urlsplit(server)._replace(path="/postgres").geturl())
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main(args: argparse.Namespace) -> int:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    name = f"vmeste_bench_reads_{secrets.token_hex(3)}"
    url = urlsplit(args.server)._replace(path=f"/{name}").geturl()
    asyncio.run(admin_sql(args.server, f'CREATE DATABASE "{name}"'))
    work = Path(f"/tmp/{name}")
    work.mkdir()
    env = {**os.environ, "VMESTE_DATABASE_URL": url + "?minsize=4&maxsize=20",
           "VMESTE_DEV_MODE": "1", "VMESTE_DATA_DIR": str(work),
           "VMESTE_EMBEDDED_WORKERS": "false",
           # An access line a request, in production's format (dev mode would choose
           # the terminal's text), into the server's log file.
           "VMESTE_LOG_FORMAT": "json",
           # Budgets are spent on every read, as in production, but never run out.
           "VMESTE_RATE_LIMIT_READS": "100000000/minute"}
    servers: list[Server] = []
    try:
        subprocess.run([sys.executable, "-m", "vmeste", "migrate"], env=env, check=True,
                       stdout=subprocess.DEVNULL, cwd=ROOT)
        prepared = json.loads(subprocess.run(
            [sys.executable, "-m", "bench.reads_data"], env=env, check=True, cwd=ROOT,
            capture_output=True, text=True).stdout.strip().splitlines()[-1])
        body, token = int(prepared["body_id"]), str(prepared["token"])
        visible, single = asyncio.run(grow(url, body))
        print(f"operator of {prepared['body_name']} (id {body}): {visible} visible appeals; "
              f"S reads appeal {single}")
        bodies = write_bodies(work, "graphql", QUERIES, {"W": {}, "S": {"id": base64.b64encode(
            f"Appeal:{single}".encode()).decode()}, "P": {"h": base64.b64encode(
                f"Hearing:{prepared['hearing_id']}".encode()).decode()}})
        ports = free_port(), free_port()
        servers.append(Server("P0", uvicorn("bench.reads_baseline:app", ports[0], args.workers,
                                            {**env, "BENCH_DATABASE_URL": url,
                                             "BENCH_BODY_ID": str(body)}),
                              f"http://127.0.0.1:{ports[0]}/graphql", bodies))
        servers.append(Server("vmeste", uvicorn("vmeste.app:app_from_environment", ports[1],
                                                args.workers, env, factory=True),
                              f"http://127.0.0.1:{ports[1]}/graphql", bodies))
        with httpx.Client(timeout=60) as client:
            for server, probe in zip(servers, ("/healthz", "/readyz"), strict=True):
                if not wait_ready(client, server, probe):
                    port = urlsplit(server.url).port
                    raise SystemExit(f"{server.name} did not become ready; its log is "
                                     f"{work}/{port}.log (--keep-db keeps it)")
            check(client, *servers, token)
            print("P0 and Vmeste answer W, S and P alike")
            if args.postgraphile:
                peer = start_postgraphile(client, args, url, work, body, single)
                if peer is not None:
                    problem = check_peer(client, peer, servers[0], token)
                    if problem is None:
                        servers.append(peer)
                    else:
                        print(f"PostGraphile: {problem}; measuring without it")
                        stop(peer)
        return measure(args, servers, name, token, {"body_id": body, "single_appeal": single})
    finally:
        for server in servers:
            stop(server)
        if args.keep_db:
            print(f"kept database {url}")
        else:
            asyncio.run(admin_sql(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            shutil.rmtree(work, ignore_errors=True)


def measure(args: argparse.Namespace, servers: list[Server], database: str, token: str,
            data: dict[str, int]) -> int:
    runs: list[Run] = []
    failed: list[str] = []

    def load(server: Server, workload: str, seconds: float) -> Run:
        run = wrk(server.url, server.bodies[workload], token, duration=seconds,
                  connections=args.connections, server=server.name, workload=workload,
                  server_pid=server.process.pid, database=database,
                  expected_bytes=server.expected[workload])
        failed.extend(f"{workload} {server.name}: {problem}" for problem in run.problems)
        return run

    for number in range(1, args.rounds + 1):
        for workload in WORKLOADS:
            for server in servers:
                if workload not in server.bodies:
                    continue
                if number == 1:
                    load(server, workload, WARM_UP_SECONDS)
                run = load(server, workload, args.duration)
                runs.append(run)
                print(f"round {number}/{args.rounds} {workload} {server.name}: "
                      f"{run.rps:,.0f} req/s, p99 {run.p99_ms:.1f} ms"
                      + "".join(f"  !! {problem}" for problem in run.problems))
    cells = summarize(runs)
    title = (f"{args.rounds} rounds x {args.duration:g} s, {args.connections} connections, "
             f"{args.workers} worker(s)")
    summary = report(cells, title)
    if args.json:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        write_json(Path(args.json), {**vars(args), "commit": commit, **data}, cells, summary)
    if failed:
        print("\n!! FAILED MEASUREMENT: these runs are not valid figures:")
        for problem in failed:
            print(f"!!   {problem}")
        return 1
    return 0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10, help="seconds a wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="processes a server")
    parser.add_argument("--server", default=os.environ.get(
        "VMESTE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--no-postgraphile", dest="postgraphile", action="store_false")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--json", metavar="PATH", help="write the results there")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main(parse()))
