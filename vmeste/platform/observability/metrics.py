"""The Prometheus metrics every Vmeste process records, and the helpers that record them.

Whatever runs on a request's path is a dictionary look-up and an increment: label
children are made once and kept, nothing is awaited, and no hook runs per field. The
operation label comes from the client, so it is bounded here (see :class:`Operations`).

Multi-process: ``prometheus_client`` decides when it is first imported whether values
live in this process's memory or in files under ``PROMETHEUS_MULTIPROC_DIR``, which the
process serving a scrape adds up (:mod:`vmeste.platform.observability.exposition`). A
gauge therefore says how processes combine (``multiprocess_mode``). Scrape-time facts
of the database (the outbox backlog, dead letters waiting) are no metric objects at
all: the exposition reads them when it renders. docs/observability.md lists them all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics, values

#: Where the values of a process in multi-process mode are kept.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Decided by prometheus_client at its import, like the values themselves: a process
#: that imported it before the variable was set keeps its values in memory.
MULTIPROCESS = values.ValueClass is not values.MutexValue
# A ``_created`` series beside every counter and histogram child would double the
# series Prometheus keeps; multi-process mode has none, so neither mode has them.
disable_created_metrics()

#: The GraphQL name rule, at most 64 characters long: a client's operation name becomes
#: a label only when it looks like one.
OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
#: Distinct operation names one process labels; the rest are ``other``.
MAX_OPERATIONS = 200
#: Distinct error codes one process labels (the platform knows some twenty).
MAX_ERROR_CODES = 100
ANONYMOUS, OTHER = "anonymous", "other"
COMPILED, INTERPRETED = "compiled", "interpreted"
#: The operation type of a request that never got as far as a known operation.
UNKNOWN = "unknown"

#: From a compiled read (a millisecond) to a slow mutation.
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0)
#: From an inbox notification to a webhook that waits for its timeout.
JOB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
               300.0)

REQUEST_DURATION = Histogram(
    "vmeste_graphql_request_duration_seconds",
    "GraphQL requests over HTTP, from the view receiving them to the answer sent.",
    ("operation", "type", "path"), buckets=REQUEST_BUCKETS)
GRAPHQL_ERRORS = Counter(
    "vmeste_graphql_errors_total",
    "GraphQL errors answered, by extensions.code (the transport's refusals included).",
    ("code",))
REFUSALS = Counter(
    "vmeste_refusals_total",
    "Requests refused to protect the service: budgets, cost, overload, size.",
    ("reason",))
READ_FALLBACKS = Counter(
    "vmeste_graphql_read_fallbacks_total",
    "Compiled read plans that stepped aside for the resolvers, by reason.", ("reason",))
OUTBOX_RELAYED = Counter(
    "vmeste_outbox_relayed_total", "Outbox messages handed to the broker.")
DELIVERIES = Counter(
    "vmeste_deliveries_total",
    "Notification delivery attempts by channel and the status they left.",
    ("channel", "status"))
DEAD_LETTERS = Counter(
    "vmeste_dead_letters_total", "Dead letters written: jobs that failed every retry.")
WATCHDOG_STEPS = Counter(
    "vmeste_watchdog_steps_total",
    "What the deadline watchdog did, by deadline kind and step (a kind's own steps, "
    "conflicts left to the next sweep, failures).", ("kind", "step"))
JOBS = Counter(
    "vmeste_jobs_total", "Background jobs processed, by actor and outcome.",
    ("actor", "outcome"))
JOB_DURATION = Histogram(
    "vmeste_job_duration_seconds", "How long background jobs ran, by actor.", ("actor",),
    buckets=JOB_BUCKETS)


class Refused(StrEnum):
    """``vmeste_refusals_total``'s reasons (a request budget's is ``rate_limit_<budget>``)."""

    AUTH_FAILURES = "auth_failures"
    COST_LIMIT = "cost_limit"
    OVERLOADED = "overloaded"
    TOO_LARGE = "too_large"


class JobOutcome(StrEnum):
    DONE = "done"
    #: Raised; dramatiq retries it, or it was the last attempt (a dead letter follows).
    FAILED = "failed"
    #: The job asked to run later (``RetryLater``), spending no retry.
    RETRY_LATER = "retry_later"
    #: dramatiq skipped it before it ran (older than its age limit).
    SKIPPED = "skipped"


def directory() -> str | None:
    """This process's multi-process directory, when its values live there."""
    return os.environ.get(MULTIPROC_ENV) if MULTIPROCESS else None


class Operations:
    """The request histogram's children by (operation name, type, path).

    A client names its operations, so a name becomes a label only when it is a GraphQL
    name and one of the first ``MAX_OPERATIONS`` this process has seen; any other is
    ``other``, and a request without a name is ``anonymous``. Only labelled names are
    kept, so a flood of made-up names grows nothing."""

    def __init__(self, limit: int = MAX_OPERATIONS) -> None:
        self.limit = limit
        self.names: set[str] = set()
        self.children: dict[tuple[str | None, str, str], Any] = {}
        self.others: dict[tuple[str, str], Any] = {}

    def observe(self, name: str | None, kind: str, path: str, seconds: float) -> None:
        child = self.children.get((name, kind, path))
        if child is None:
            child = self._child(name, kind, path)
        child.observe(seconds)

    def _child(self, name: str | None, kind: str, path: str) -> Any:
        label = self.label(name)
        if label == OTHER:
            child = self.others.get((kind, path))
            if child is None:
                child = self.others[(kind, path)] = REQUEST_DURATION.labels(OTHER, kind, path)
            return child
        child = self.children[(name, kind, path)] = REQUEST_DURATION.labels(label, kind, path)
        return child

    def label(self, name: str | None) -> str:
        if name is None:
            return ANONYMOUS
        if name in self.names:
            return name
        if len(self.names) < self.limit and OPERATION_NAME.fullmatch(name):
            self.names.add(name)
            return name
        return OTHER


class Labelled:
    """One metric's children by a single label value, made on first use; beyond
    ``limit`` distinct values the rest count as ``other``."""

    def __init__(self, metric: Counter, limit: int) -> None:
        self.metric = metric
        self.limit = limit
        self.children: dict[str, Any] = {}

    def inc(self, value: str, amount: float = 1) -> None:
        child = self.children.get(value)
        if child is None:
            if len(self.children) >= self.limit:
                value = OTHER
            child = self.children.get(value)
            if child is None:
                child = self.children[value] = self.metric.labels(value)
        child.inc(amount)


OPERATIONS = Operations()
_ERRORS = Labelled(GRAPHQL_ERRORS, MAX_ERROR_CODES)
# Reasons, paths and actors are the platform's own words: their bound is only a guard.
_REFUSALS = Labelled(REFUSALS, 50)
_FALLBACKS = Labelled(READ_FALLBACKS, 50)


def observe_request(name: str | None, kind: str, path: str, seconds: float) -> None:
    OPERATIONS.observe(name, kind, path, seconds)


def graphql_error(code: str) -> None:
    _ERRORS.inc(code)


def refused(reason: str) -> None:
    _REFUSALS.inc(reason)


def read_fallback(reason: str) -> None:
    _FALLBACKS.inc(reason)


def relayed(count: int) -> None:
    if count:
        OUTBOX_RELAYED.inc(count)


def delivered(channel: str, status: str) -> None:
    DELIVERIES.labels(channel, status).inc()


def dead_letter_written() -> None:
    DEAD_LETTERS.inc()


def watchdog_swept(counts: Mapping[str, Mapping[str, int]]) -> None:
    """A sweep's counts (kind → step → how many); steps it did not take add nothing."""
    for kind, steps in counts.items():
        for step, count in steps.items():
            if count:
                WATCHDOG_STEPS.labels(kind, step).inc(count)


def job_finished(actor: str, outcome: JobOutcome, seconds: float | None) -> None:
    JOBS.labels(actor, outcome.value).inc()
    if seconds is not None:
        JOB_DURATION.labels(actor).observe(seconds)


@cache
def _pool_gauges() -> tuple[Gauge, Gauge]:
    """Made at the first sample of a PostgreSQL pool, so a SQLite process shows none.
    Summed over the processes still running: a pool ends with its process."""
    connections = Gauge(
        "vmeste_db_pool_connections",
        "PostgreSQL connections of the processes' pools, by state (in_use, idle).",
        ("state",), multiprocess_mode="livesum")
    most = Gauge("vmeste_db_pool_max", "The most connections the processes' pools may open.",
                 multiprocess_mode="livesum")
    return connections, most


def pool_sampled(in_use: int, idle: int, most: int) -> None:
    connections, maximum = _pool_gauges()
    connections.labels("in_use").set(in_use)
    connections.labels("idle").set(idle)
    maximum.set(most)
