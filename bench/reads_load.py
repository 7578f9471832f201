"""Load, CPU accounting and the report of bench/reads.py.

One measurement is one wrk run (bench/reads_peers/post.lua) against one server; around
it the CPU time of the server's process tree and of the bench database's PostgreSQL
backends (found by their process titles) is read from /proc, so the figures say what a
request costs, not only how many fit in a second.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "reads_peers" / "post.lua"
TICK = os.sysconf("SC_CLK_TCK")
#: Issue 10's targets: the platform's req/s as a share of P0's.
TARGETS = {"W": 0.6, "S": 0.7,
           # A page of proposals: held to W's target until the issue sets its own.
           "P": 0.6}
#: A slow answer is a figure, not an error: wrk's default 2 s would turn the platform's
#: seconds-long pages into socket errors.
TIMEOUT_SECONDS = 30


@dataclass
class Run:
    server: str
    workload: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    db_ms: float | None
    bytes_per_request: float
    problems: list[str] = field(default_factory=list)


def _tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn's or node's workers)."""
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            frontier += [int(child) for child in task.read_text().split()]
    return found


def _cpu_ticks(pids: list[int]) -> dict[int, int]:
    ticks = {}
    for pid in pids:
        try:
            # The command may hold spaces; the fields after it are fixed.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def tree_ticks(pid: int) -> dict[int, int]:
    """CPU ticks of a process and its descendants, per process."""
    return _cpu_ticks(_tree(pid))


def database_ticks(database: str) -> dict[int, int] | None:
    """CPU of the PostgreSQL backends serving ``database``, found by their process
    titles; None when PostgreSQL runs elsewhere."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
        except OSError:
            continue
        if words[:1] == ["postgres:"] and database in words:
            pids.append(int(cmdline.parent.name))
    return _cpu_ticks(pids) or None


def spent(before: dict[int, int] | None, after: dict[int, int] | None) -> float | None:
    """Seconds; a process born during the run counts from zero."""
    if before is None or after is None:
        return None
    return sum(value - before.get(pid, 0) for pid, value in after.items()) / TICK


def wrk(url: str, body: Path, token: str, *, duration: float, connections: int,
        server: str, workload: str, server_pid: int, database: str,
        expected_bytes: int) -> Run:
    env = {**os.environ, "BENCH_BODY_FILE": str(body), "BENCH_AUTH": f"Bearer {token}"}
    cpu_before, db_before = tree_ticks(server_pid), database_ticks(database)
    done = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration:g}s", "--latency",
         "--timeout", f"{TIMEOUT_SECONDS}s", "-s", str(LUA), url],
        env=env, capture_output=True, text=True)
    cpu_after, db_after = tree_ticks(server_pid), database_ticks(database)
    out = done.stdout + done.stderr
    line = next((row for row in out.splitlines() if row.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed against {server} ({done.returncode}):\n{out}")
    figures = json.loads(line[len("BENCH "):])
    requests = max(int(figures["requests"]), 1)
    cpu = spent(cpu_before, cpu_after) or 0.0
    db = spent(db_before, db_after)
    run = Run(server=server, workload=workload, requests=figures["requests"],
              rps=figures["requests"] / (figures["duration_us"] / 1e6),
              p50_ms=figures["p50_us"] / 1000, p99_ms=figures["p99_us"] / 1000,
              cpu_ms=cpu * 1000 / requests, db_ms=None if db is None else db * 1000 / requests,
              bytes_per_request=figures["bytes"] / requests)
    errors = {kind: figures[kind] for kind in ("connect", "read", "write", "timeout")}
    if figures["status"]:
        run.problems.append(f"{figures['status']} non-2xx responses")
    if any(errors.values()):
        run.problems.append(f"socket errors {errors}")
    # Answers that are 200 but not the document checked before the load (a GraphQL
    # error, a null) have another size; responses cut off at the end only add bytes.
    low, high = expected_bytes * 0.99, expected_bytes * (1.01 + connections / requests)
    if not low <= run.bytes_per_request <= high:
        run.problems.append(f"{run.bytes_per_request:.0f} bytes a response, expected "
                            f"{expected_bytes}: not the checked answer")
    return run


def _median(runs: list[Run], name: str) -> float | None:
    values = [getattr(run, name) for run in runs if getattr(run, name) is not None]
    return statistics.median(values) if values else None


def summarize(runs: list[Run]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per workload and server: medians over the rounds, the spread, the ratio to P0."""
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for run in runs:
        cells.setdefault(run.workload, {}).setdefault(run.server, {"runs": []})["runs"].append(run)
    for servers in cells.values():
        for cell in servers.values():
            own: list[Run] = cell["runs"]
            cell.update({name: _median(own, name)
                         for name in ("rps", "p50_ms", "p99_ms", "cpu_ms", "db_ms")})
            cell["rps_min"] = min(run.rps for run in own)
            cell["rps_max"] = max(run.rps for run in own)
        base = servers["P0"]["rps"]
        for cell in servers.values():
            cell["ratio"] = cell["rps"] / base if base else None
    return cells


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def report(cells: dict[str, dict[str, dict[str, Any]]], title: str) -> list[str]:
    """Prints a table per workload; returns the summary lines."""
    headers = ["server", "req/s", "min–max", "p50 ms", "p99 ms", "CPU ms/req", "db ms/req",
               "vs P0"]
    lines = []
    for workload, servers in cells.items():
        rows = [[name, _number(cell["rps"], 0),
                 f"{cell['rps_min']:,.0f}–{cell['rps_max']:,.0f}", _number(cell["p50_ms"]),
                 _number(cell["p99_ms"]), _number(cell["cpu_ms"], 3),
                 _number(cell["db_ms"], 3), f"{_number(cell['ratio'])}x"]
                for name, cell in servers.items()]
        _table(f"{workload}: {title}", headers, rows)
        ours = servers["vmeste"]["ratio"]
        line = f"{workload}: vmeste {ours:.2f}x P0 (target {TARGETS[workload]})"
        if "postgraphile" in servers:
            peer = servers["postgraphile"]["ratio"]
            line += (f", postgraphile {peer:.2f}x (vmeste "
                     f"{'ahead of' if ours > peer else 'behind'} it)")
        lines.append(line)
    for line in lines:
        print(line)
    return lines


def _table(title: str, headers: list[str], rows: list[list[str]]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
        print(f"\n{title}")
        for row in [headers, *rows]:
            print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        return
    table = Table(title=title, title_justify="left")
    for index, header in enumerate(headers):
        table.add_column(header, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*row)
    console = Console()
    console.width = max(console.width, 110)
    console.print(table)


def write_json(path: Path, config: dict[str, Any], cells: dict[str, Any],
               summary: list[str]) -> None:
    plain = {workload: {name: {**{k: v for k, v in cell.items() if k != "runs"},
                               "runs": [asdict(run) for run in cell["runs"]]}
                        for name, cell in servers.items()}
             for workload, servers in cells.items()}
    path.write_text(json.dumps({"config": config, "cells": plain, "summary": summary},
                               indent=2, ensure_ascii=False))
