"""The bookkeeping of multi-process metrics: the directory the processes share, the
files that outlived their process, and processes that have ended.

``vmeste serve --workers N`` and ``vmeste worker --processes N`` start their children
with ``PROMETHEUS_MULTIPROC_DIR`` in the environment, so each child writes its values
to its own files there and whichever process answers a scrape adds them up. The
variable must be set before a child imports ``prometheus_client`` (it picks its value
class then): the command sets it before it starts them.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client.multiprocess import mark_process_dead

from vmeste.platform.observability.metrics import MULTIPROC_ENV

log = logging.getLogger("vmeste.metrics")


def file_pid(path: Path) -> int | None:
    """The process a values file belongs to (``counter_123.db``, ``gauge_livesum_123.db``)."""
    tail = path.stem.rpartition("_")[2]
    return int(tail) if tail.isdigit() else None


def wipe_stale(directory: Path) -> int:
    """Remove the files of every other process: at a command's start they are left
    from an earlier run, and would be added to this one's. This process's own files,
    made as it imported the metrics, stay."""
    directory.mkdir(parents=True, exist_ok=True)
    removed = 0
    for path in directory.glob("*.db"):
        if file_pid(path) != os.getpid():
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("metrics: removed %d file(s) of earlier processes from %s", removed, directory)
    return removed


@contextmanager
def multiprocess_directory(processes: int) -> Iterator[str | None]:
    """The directory the command's processes share while the block runs.

    ``PROMETHEUS_MULTIPROC_DIR`` as the operator set it, wiped of stale files; else, for
    several processes, a private temporary directory, set in the environment the
    children inherit and removed afterwards; else None (one process, values in memory).
    """
    given = os.environ.get(MULTIPROC_ENV, "").strip()
    if given:
        wipe_stale(Path(given))
        yield given
        return
    if processes <= 1:
        yield None
        return
    made = tempfile.mkdtemp(prefix="vmeste-metrics-")
    os.environ[MULTIPROC_ENV] = made
    try:
        yield made
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(made, ignore_errors=True)


def process_ended(pid: int, directory: str | None) -> None:
    """Drop the gauges of a process that has ended (counters and histograms stay: what
    it counted happened)."""
    if directory:
        mark_process_dead(pid, directory)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: running
        return True
    return True


def forget_dead_processes(directory: str) -> None:
    """A process killed outright (out of memory) never says it ended; its live gauges
    are dropped at the next scrape instead."""
    for path in Path(directory).glob("gauge_live*_*.db"):
        pid = file_pid(path)
        if pid is not None and not _running(pid):
            mark_process_dead(pid, directory)
