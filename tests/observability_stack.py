"""A deployment in miniature for the logging and tracing tests: ``vmeste serve``,
``vmeste scheduler`` and ``vmeste worker`` as separate processes on a Redis broker and
the test's database, each writing its stdout and stderr to files the test reads."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis
from strawberry import relay

from tests.appeal_world import SUBMIT, seed_appeal_world, submit_input
from tests.test_faults import REDIS_URL, require_service
from tests.test_workers_cli import environment, free_port
from vmeste.platform.identity.dev_tokens import DevProfile, issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.settings import Settings

#: What the citizen is and wrote: none of it may reach a log line.
CITIZEN_EMAIL = "ivan.lognitsky@example.org"
CITIZEN_NAMES = ("Тестов", "Демович")
APPEAL_TEXT = "Открытый люк у подъезда дома 17 на улице Лоцманской, ребёнок чуть не упал."


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def lines(self, stream: str = "stderr") -> list[str]:
        path = self.stdout if stream == "stdout" else self.stderr
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


@dataclass
class Stack:
    base: str
    serve: Process
    worker: Process
    scheduler: Process

    @property
    def processes(self) -> tuple[Process, ...]:
        return self.serve, self.worker, self.scheduler

    def everything(self) -> str:
        """Every line any process wrote, on either stream."""
        return "\n".join(line for p in self.processes for s in ("stdout", "stderr")
                         for line in p.lines(s))


def json_objects(lines: list[str]) -> list[dict[str, Any]]:
    """The lines that are JSON objects (a command's own banner lines are not)."""
    found = []
    for line in lines:
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def wait_for(condition: Callable[[], bool], what: str, processes: Sequence[Process],
             within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        for process in processes:
            assert process.popen.poll() is None, \
                f"{process.name} exited:\n" + "\n".join(process.lines())
        if time.monotonic() > deadline:
            logs = "\n".join(line for p in processes for line in p.lines())
            raise AssertionError(f"timed out waiting for {what}:\n{logs}")
        time.sleep(0.2)


@contextmanager
def started(name: str, command: list[str], env: dict[str, str], folder: Path
             ) -> Iterator[Process]:
    stdout, stderr = folder / f"{name}.out", folder / f"{name}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        popen = subprocess.Popen([sys.executable, "-m", "vmeste", *command], env=env,
                                 stdout=out, stderr=err)
    try:
        yield Process(name, popen, stdout, stderr)
        popen.send_signal(signal.SIGTERM)
        # uvicorn raises the signal again once it has shut down gracefully.
        assert popen.wait(45) in (0, -signal.SIGTERM), \
            f"{name} did not stop cleanly:\n{stderr.read_text()}"
    finally:
        if popen.poll() is None:
            popen.kill()
            popen.wait()


@contextmanager
def running_stack(settings: Settings, folder: Path, **extra: str) -> Iterator[Stack]:
    """The three processes, the API ready; stopped with SIGTERM (each must exit 0), and
    the test's queues deleted."""
    require_service(REDIS_URL, 6379)
    prefix = f"vt{os.getpid()}obs{secrets.token_hex(2)}"
    port = free_port()
    env = without_otel(environment(
        settings, VMESTE_BROKER_URL=REDIS_URL, VMESTE_QUEUE_PREFIX=prefix,
        VMESTE_RELAY_INTERVAL_MS="50", VMESTE_DEV_MODE="1", VMESTE_AUTH_CACHE_SECONDS="0"))
    env.update(extra)
    try:
        with ExitStack() as processes:
            serve = processes.enter_context(started(
                "serve", ["serve", "--port", str(port)], env, folder))
            scheduler = processes.enter_context(started("scheduler", ["scheduler"], env,
                                                        folder))
            worker = processes.enter_context(started(
                "worker", ["worker", "--threads", "2"], env, folder))
            stack = Stack(f"http://127.0.0.1:{port}", serve, worker, scheduler)
            wait_for(lambda: ready(stack.base), "the API's readiness", stack.processes)
            yield stack
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"dramatiq:{prefix}.*"))
        if keys:
            client.delete(*keys)
        client.close()


def without_otel(env: dict[str, str]) -> dict[str, str]:
    """The developer's own ``OTEL_*`` variables would switch tracing on in the commands."""
    return {key: value for key, value in env.items() if not key.startswith("OTEL_")}


def ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


async def citizen_token(settings: Settings) -> str:
    """The appeal world (on the small world), and a citizen with a name and an e-mail
    address."""
    await seed_appeal_world()
    return await issue_dev_token(settings, Role.CITIZEN, subject="lognitsky",
                                 email=CITIZEN_EMAIL, profile=DevProfile(complete=True))


def submit(stack: Stack, token: str, request_id: str, **headers: str
           ) -> tuple[int, httpx.Response]:
    """``submitAppeal`` with this request id; the new appeal's number and the response."""
    response = httpx.post(f"{stack.base}/graphql", timeout=30, json={
        "query": SUBMIT.replace("mutation(", "mutation Submit(", 1),
        "operationName": "Submit", "variables": submit_input(text=APPEAL_TEXT)},
        headers={"Authorization": f"Bearer {token}", "X-Request-Id": request_id, **headers})
    payload = response.json()["data"]["submitAppeal"]
    assert payload["userErrors"] == [], payload
    return int(relay.from_base64(payload["appeal"]["id"])[1]), response
