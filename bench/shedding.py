"""Load shedding under overload: what a flood of clients sees with the in-flight bound on
(``VMESTE_MAX_INFLIGHT``) and, in the same run, with it effectively off.

One ``vmeste serve`` process per mode on a fresh SQLite database, CONCURRENCY clients sending a
small query for SECONDS. With the bound on, requests beyond it are refused with 503 after
at most the wait, while the admitted ones keep their latency; with it off, every request
queues and the latency of all of them grows with the flood.

    python bench/shedding.py [--concurrency 200] [--seconds 10] [--max-inflight 8]
        [--wait-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

QUERY = {"query": "{ territories(first: 20) { totalCount edges { node { code } } } }"}


@contextmanager
def serve(env: dict[str, str]) -> Iterator[str]:
    """``vmeste serve`` in its own process, so the load generator does not share its CPU
    time slice (and GIL) with the server it measures."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "vmeste", "serve", "--port", str(port)],
                               env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield f"{base}/graphql"
    finally:
        process.terminate()
        process.wait(timeout=30)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def flood(url: str, concurrency: int, seconds: float) -> dict[int, list[float]]:
    latencies: dict[int, list[float]] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        end = time.monotonic() + seconds

        async def client() -> None:
            while time.monotonic() < end:
                started = time.monotonic()
                try:
                    status = (await http.post(url, json=QUERY)).status_code
                except httpx.TransportError:
                    status = 0  # the connection broke: counted, not fatal
                latencies.setdefault(status, []).append((time.monotonic() - started) * 1000)

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--max-inflight", type=int, default=8)
    parser.add_argument("--wait-ms", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {"VMESTE_DATABASE_URL": f"sqlite://{Path(folder) / 'bench.sqlite3'}",
               "VMESTE_EMBEDDED_WORKERS": "0", "VMESTE_INFLIGHT_WAIT_MS": str(args.wait_ms)}
        for label, bound in (("bound on", args.max_inflight), ("bound off", 100_000)):
            with serve({**env, "VMESTE_MAX_INFLIGHT": str(bound)}) as url:
                result = asyncio.run(flood(url, args.concurrency, args.seconds))
            for status, values in sorted(result.items()):
                print(f"{label:9} (max_inflight={bound}): {status or 'broken'}: "
                      f"{len(values):6d} answers, {len(values) / args.seconds:7.0f}/s, "
                      f"p50 {percentile(values, .5):6.0f} ms, "
                      f"p99 {percentile(values, .99):6.0f} ms")

if __name__ == "__main__":
    main()
