"""The job metrics, recorded around every message a worker processes: what ran, how
long, and how it ended (the job wrapper counts the dead letters it writes).

A dramatiq middleware rather than code in the job wrapper: it sees every message the
broker hands over, the skipped ones too, and the wrapper stays about the job.
"""

from __future__ import annotations

import time
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from vmeste.platform.observability.metrics import JobOutcome, job_finished


class JobMetrics(Middleware):
    def __init__(self) -> None:
        #: When each message in hand started, by message id (worker threads share it).
        self._started: dict[str, float] = {}

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._started[message.message_id] = time.perf_counter()

    def after_process_message(self, broker: dramatiq.Broker, message: Any, *,
                              result: Any = None, exception: BaseException | None = None
                              ) -> None:
        started = self._started.pop(message.message_id, None)
        if exception is None:
            outcome = JobOutcome.DONE
        elif isinstance(exception, dramatiq.Retry):
            outcome = JobOutcome.RETRY_LATER
        else:
            outcome = JobOutcome.FAILED
        job_finished(message.actor_name, outcome,
                     None if started is None else time.perf_counter() - started)

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._started.pop(message.message_id, None)
        job_finished(message.actor_name, JobOutcome.SKIPPED, None)
