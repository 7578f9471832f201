"""Health probes for ``vmeste worker`` and ``vmeste scheduler``.

An orchestrator probes ``GET /healthz`` and ``GET /readyz`` on ``VMESTE_HEALTH_PORT``
(0, the default, serves nothing). Both answer 200 ``{"status": "ok"}`` while every
component checks out and 503 ``{"status": "unavailable", "problems": [...]}`` otherwise:
while the broker does not answer (both commands), while the database does not
(the scheduler), and when a component's report is stale, which means the loop that
should report is stuck. Checks run every ``VMESTE_HEALTH_INTERVAL_SECONDS`` with a
timeout of their own, so a probe never waits on a dead dependency: it reads the last
reports.

Standard library only: a probe server must keep answering when everything else is
in trouble, and it serves two fixed documents.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pika
import redis
from tortoise import connections

from vmeste.platform.settings import Settings

log = logging.getLogger("vmeste.health")

PROBE_PATHS = ("/healthz", "/readyz")

Check = Callable[[], str | None]


def check_timeout(settings: Settings) -> float:
    """A check that takes longer than this counts as failed (seconds)."""
    return min(2.0, float(settings.health_interval_seconds))


@dataclass(frozen=True)
class _Report:
    problem: str | None
    at: float


class HealthState:
    """The last report of each component, shared by the checkers and the probe server."""

    def __init__(self, stale_after: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.stale_after = stale_after
        self.clock = clock
        self._reports: dict[str, _Report] = {}
        self._lock = threading.Lock()

    def expect(self, component: str) -> None:
        """Unhealthy until ``component`` reports for the first time."""
        self.report(component, "not checked yet")

    def report(self, component: str, problem: str | None) -> None:
        with self._lock:
            self._reports[component] = _Report(problem, self.clock())

    def problems(self) -> list[str]:
        now = self.clock()
        with self._lock:
            reports = dict(self._reports)
        found = []
        for component, report in sorted(reports.items()):
            if report.problem is not None:
                found.append(f"{component}: {report.problem}")
            elif now - report.at > self.stale_after:
                found.append(f"{component}: no report for {now - report.at:.0f} s")
        return found


def broker_check(settings: Settings) -> Check:
    """A fresh connection to the broker, bounded by the check timeout; the workers'
    own connections retry forever and would hide an outage."""
    url = settings.broker_url
    timeout = check_timeout(settings)
    scheme = urlsplit(url).scheme

    def check() -> str | None:
        try:
            if scheme in ("redis", "rediss"):
                client = redis.Redis.from_url(url, socket_timeout=timeout,
                                              socket_connect_timeout=timeout)
                try:
                    client.ping()
                finally:
                    client.close()
            elif scheme in ("amqp", "amqps"):
                parameters = pika.URLParameters(url)
                parameters.socket_timeout = timeout
                parameters.blocked_connection_timeout = timeout
                parameters.stack_timeout = timeout
                parameters.connection_attempts = 1
                pika.BlockingConnection(parameters).close()
        except Exception as error:  # any failure to reach it is the finding
            return f"unreachable ({type(error).__name__})"
        return None

    return check


async def watch_database(state: HealthState, settings: Settings, stop: asyncio.Event) -> None:
    """Report the database from the scheduler's own loop (where its ORM is open) until
    ``stop`` is set; a stuck loop shows as a stale report."""
    timeout = check_timeout(settings)
    while not stop.is_set():
        try:
            await asyncio.wait_for(connections.get("default").execute_query("SELECT 1"),
                                   timeout)
            state.report("database", None)
        except Exception as error:  # the probe reports, the orchestrator decides
            state.report("database", f"unreachable ({type(error).__name__})")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.health_interval_seconds)


class _ProbeHandler(BaseHTTPRequestHandler):
    state: HealthState

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in PROBE_PATHS:
            self._send(404, {"status": "not_found"})
            return
        problems = self.state.problems()
        if problems:
            self._send(503, {"status": "unavailable", "problems": problems})
        else:
            self._send(200, {"status": "ok"})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Probes every few seconds would drown the log."""


@contextmanager
def health_probe(settings: Settings, checks: dict[str, Check],
                 expect: tuple[str, ...] = ()) -> Iterator[HealthState]:
    """Serve the probe and run ``checks`` in a thread while the block runs.

    ``expect`` names components reported from elsewhere (the scheduler's database).
    With ``VMESTE_HEALTH_PORT`` unset the state is still kept, nothing is served."""
    interval = settings.health_interval_seconds
    state = HealthState(stale_after=3 * interval + check_timeout(settings))
    for component in (*checks, *expect):
        state.expect(component)
    stop = threading.Event()

    def run_checks() -> None:
        while True:
            for component, check in checks.items():
                state.report(component, check())
            if stop.wait(interval):
                return

    checker = threading.Thread(target=run_checks, name="vmeste-health-checks", daemon=True)
    server = None
    if settings.health_port:
        handler = type("ProbeHandler", (_ProbeHandler,), {"state": state})
        server = ThreadingHTTPServer((settings.health_host, settings.health_port), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="vmeste-health-probe",
                         daemon=True).start()
        log.info("health probe on %s:%d", settings.health_host, settings.health_port)
    checker.start()
    try:
        yield state
    finally:
        stop.set()
        if server is not None:
            server.shutdown()
            server.server_close()
        checker.join(timeout=check_timeout(settings) + 1)
