"""Health probes for ``vmeste worker`` and ``vmeste scheduler``.

An orchestrator probes ``GET /healthz`` (liveness: restart me) and ``GET /readyz``
(readiness: I can do my work now) on ``VMESTE_HEALTH_PORT`` (0, the default, serves
nothing). Each answers 200 ``{"status": "ok"}`` or 503 ``{"status": "unavailable",
"problems": [...]}``.

Components are of two kinds:

- the process's own: the worker's heartbeat (:mod:`vmeste.workers.heartbeat`, posted
  from the event loop every job runs on), the children of a multi-process worker, the
  scheduler's event loop. A failure or a stale report fails both probes at once: a
  restart is what helps.
- dependencies: the broker (both commands), the database and the sweep loop, which
  waits on both (the scheduler). A failure fails ``/readyz`` at once, and ``/healthz``
  only once the dependency has not checked out for
  ``VMESTE_HEALTH_DEPENDENCY_GRACE_SECONDS`` (default 300): dramatiq reconnects by
  itself, so a short outage must not restart every worker, but a connection that
  stays wedged ends in a restart.

A report older than three check intervals is stale: the loop that should report is
stuck. Checks run every ``VMESTE_HEALTH_INTERVAL_SECONDS`` with a timeout of their own,
so a probe never waits on a dead dependency: it reads the last reports.

The same server answers ``GET /metrics`` (unless ``VMESTE_METRICS=0``) with the
Prometheus text the process hands it (:mod:`vmeste.platform.observability.exposition`):
the values are read from memory or files, never from the event loop or the database,
and a failure to render is a 500 of that scrape alone.

Standard library only: a probe server must keep answering when everything else is
in trouble, and it serves two fixed documents and a rendered text.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pika
import redis
from tortoise import connections

from vmeste.platform.observability.exposition import CONTENT_TYPE
from vmeste.platform.settings import Settings

log = logging.getLogger("vmeste.health")

LIVENESS, READINESS, METRICS = "/healthz", "/readyz", "/metrics"

Check = Callable[[], str | None]
#: Renders the process's metrics for a scrape.
Scrape = Callable[[], bytes]


class ProbePortUnavailable(OSError):
    """The probe's port cannot be bound (in use, privileged, no such address). Its
    ``filename`` names the setting, so the CLI reports it as one line, exit code 2."""

    def __init__(self, settings: Settings, error: OSError) -> None:
        super().__init__(error.errno or errno.EADDRINUSE,
                         error.strerror or type(error).__name__,
                         f"VMESTE_HEALTH_PORT {settings.health_port} on {settings.health_host}")


def check_timeout(settings: Settings) -> float:
    """A check that takes longer than this counts as failed (seconds)."""
    return min(2.0, float(settings.health_interval_seconds))


def stale_after(settings: Settings) -> float:
    """A report older than this (seconds) comes from a loop that is stuck."""
    return 3 * settings.health_interval_seconds + check_timeout(settings)


@dataclass(frozen=True)
class _Report:
    problem: str | None
    at: float
    #: When the component last checked out (when it was first expected, if never).
    ok_at: float


class HealthState:
    """The last report of each component, shared by the reporters and the probe server.

    ``dependencies`` are the components whose failure fails liveness only after
    ``grace`` seconds without a good report; every other component is the process's
    own and fails liveness at once."""

    def __init__(self, stale_after: float, grace: float = 0.0,
                 dependencies: Collection[str] = (),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stale_after = stale_after
        self.grace = grace
        self.dependencies = frozenset(dependencies)
        self.clock = clock
        self._reports: dict[str, _Report] = {}
        self._lock = threading.Lock()

    def expect(self, component: str) -> None:
        """Unhealthy until ``component`` reports for the first time."""
        now = self.clock()
        with self._lock:
            self._reports[component] = _Report("not checked yet", now, now)

    def report(self, component: str, problem: str | None) -> None:
        now = self.clock()
        with self._lock:
            last = self._reports.get(component)
            ok_at = now if problem is None or last is None else last.ok_at
            self._reports[component] = _Report(problem, now, ok_at)

    def readiness(self) -> list[str]:
        """Every component's problem, and every stale report."""
        now = self.clock()
        return [problem for component, report in self._sorted()
                if (problem := self._current(component, report, now)) is not None]

    def liveness(self) -> list[str]:
        """The process's own problems, and dependencies down for longer than the grace."""
        now = self.clock()
        found = []
        for component, report in self._sorted():
            problem = self._current(component, report, now)
            if problem is None:
                continue
            if component not in self.dependencies:
                found.append(problem)
            elif (down := now - report.ok_at) > self.grace:
                found.append(f"{problem}; down for {down:.0f} s")
        return found

    def _sorted(self) -> list[tuple[str, _Report]]:
        with self._lock:
            return sorted(self._reports.items())

    def _current(self, component: str, report: _Report, now: float) -> str | None:
        if report.problem is not None:
            return f"{component}: {report.problem}"
        if now - report.at > self.stale_after:
            return f"{component}: no report for {now - report.at:.0f} s"
        return None


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
    """Report the scheduler's event loop (that it runs) and the database (where its ORM
    is open) from that loop until ``stop`` is set; a blocked loop shows as stale
    reports."""
    timeout = check_timeout(settings)
    while not stop.is_set():
        state.report("event loop", None)
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
    scrape: Scrape | None = None

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == METRICS and self.scrape is not None:
            self._send_metrics(self.scrape)
            return
        if path not in (LIVENESS, READINESS):
            self._send(404, {"status": "not_found"})
            return
        problems = self.state.liveness() if path == LIVENESS else self.state.readiness()
        if problems:
            self._send(503, {"status": "unavailable", "problems": problems})
        else:
            self._send(200, {"status": "ok"})

    def _send_metrics(self, scrape: Scrape) -> None:
        try:
            payload = scrape()
        except Exception as error:  # this scrape fails; the probes go on answering
            log.warning("metrics could not be rendered: %s", type(error).__name__)
            self._send(500, {"status": "error"})
            return
        self._write(200, CONTENT_TYPE, payload)

    def _send(self, status: int, body: dict[str, Any]) -> None:
        self._write(status, "application/json", json.dumps(body).encode())

    def _write(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Probes every few seconds would drown the log."""


def _serve(settings: Settings, state: HealthState, scrape: Scrape | None
           ) -> ThreadingHTTPServer | None:
    if not settings.health_port:
        return None
    handler = type("ProbeHandler", (_ProbeHandler,), {
        "state": state, "scrape": staticmethod(scrape) if scrape is not None else None})
    try:
        server = ThreadingHTTPServer((settings.health_host, settings.health_port), handler)
    except OSError as error:
        raise ProbePortUnavailable(settings, error) from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="vmeste-health-probe",
                     daemon=True).start()
    log.info("health probe on %s:%d", settings.health_host, settings.health_port)
    return server


@contextmanager
def health_probe(settings: Settings, checks: dict[str, Check], expect: tuple[str, ...] = (),
                 dependencies: tuple[str, ...] = (), scrape: Scrape | None = None
                 ) -> Iterator[HealthState]:
    """Serve the probe and run ``checks`` in a thread while the block runs.

    ``expect`` names components reported from elsewhere (the worker's heartbeat, the
    scheduler's loop); ``dependencies`` those that get the grace (see the module);
    ``scrape`` renders ``/metrics`` (with ``VMESTE_METRICS=0`` it is not served).
    With ``VMESTE_HEALTH_PORT`` unset the state is still kept, nothing is served."""
    interval = settings.health_interval_seconds
    state = HealthState(stale_after(settings), settings.health_dependency_grace_seconds,
                        dependencies)
    for component in (*checks, *expect):
        state.expect(component)
    stop = threading.Event()

    def run_checks() -> None:
        while True:
            for component, check in checks.items():
                state.report(component, check())
            if stop.wait(interval):
                return

    server = _serve(settings, state, scrape if settings.metrics else None)
    checker = threading.Thread(target=run_checks, name="vmeste-health-checks", daemon=True)
    checker.start()
    try:
        yield state
    finally:
        stop.set()
        if server is not None:
            server.shutdown()
            server.server_close()
        checker.join(timeout=check_timeout(settings) + 1)
