"""Fault tests on the real RabbitMQ, Redis and database of this machine.

A worker killed mid-delivery, a broker that goes away while appeals are submitted, and
an SMTP server that keeps failing. Services come from ``VMESTE_TEST_RABBITMQ_URL`` and
``VMESTE_TEST_REDIS_URL``; an unreachable one skips the test, except under ``CI=true``,
where it fails. Every test uses queue names of its own (``VMESTE_QUEUE_PREFIX``) and
deletes them afterwards, so runs never see each other's messages.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dramatiq
import pika
import pytest
import redis
from tortoise.transactions import in_transaction

from tests.appeal_world import seed_appeal_world
from tests.notification_world import CITIZEN_EMAIL, Mailbox, give_email, smtp_server
from tests.worlds import MUNICIPALITY_A, ORG_A, ok_data
from vmeste.platform.notifications.fanout import NOTIFICATION_DELIVER
from vmeste.platform.notifications.models import (
    DeliveryAttempt,
    Notification,
    NotificationStatus,
    WebhookSubscription,
)
from vmeste.platform.outbox.models import DeadLetter, OutboxMessage
from vmeste.platform.outbox.services import APPEAL_EVENTS, emit
from vmeste.platform.reference.models import Organization
from vmeste.platform.runtime import build_runtime
from vmeste.platform.settings import Settings
from vmeste.workers.broker import build_broker
from vmeste.workers.jobs import declare_actors, queue_name
from vmeste.workers.scheduler import Scheduler

RABBITMQ_URL = os.environ.get("VMESTE_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
REDIS_URL = os.environ.get("VMESTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
S = NotificationStatus


def require_service(url: str, default_port: int) -> None:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port),
                                 timeout=3).close()
    except OSError as error:
        reason = f"{parts.scheme} at {parts.hostname}:{parts.port} unreachable ({error})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI requires {reason}")
        pytest.skip(reason)


def _with_broker(settings: Settings, url: str, **changes: Any) -> Settings:
    return replace(settings, broker_url=url, queue_prefix=f"vt{secrets.token_hex(4)}",
                   job_min_backoff_ms=50, job_max_backoff_ms=400, relay_interval_ms=50,
                   **changes)


def _queues(settings: Settings) -> list[str]:
    names = [queue_name(settings, topic) for topic in build_runtime(settings).topics.values()]
    return [q + suffix for q in names for suffix in ("", ".DQ", ".XQ")]


@pytest.fixture
def rabbitmq(db: Settings) -> Iterator[Settings]:
    """Test settings on the real RabbitMQ, with this test's own queues."""
    require_service(RABBITMQ_URL, 5672)
    settings = _with_broker(db, RABBITMQ_URL)
    yield settings
    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    try:
        channel = connection.channel()
        for queue in _queues(settings):
            channel.queue_delete(queue)
    finally:
        connection.close()


@pytest.fixture
def redis_broker(db: Settings) -> Iterator[Settings]:
    require_service(REDIS_URL, 6379)
    settings = _with_broker(db, REDIS_URL)
    yield settings
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"dramatiq:{settings.queue_prefix}.*"))
    if keys:
        client.delete(*keys)
    client.close()


async def until(condition: Callable[[], Awaitable[bool]], within: float = 30.0,
                what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Relay:
    """The scheduler's outbox sweep, in this test's process and event loop."""

    def __init__(self, settings: Settings) -> None:
        self.broker = build_broker(settings)
        runtime = build_runtime(settings)
        declare_actors(self.broker, runtime, runtime.topics)
        self.scheduler = Scheduler(runtime, self.broker, runtime.topics)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(self.scheduler.run(stop))
        try:
            yield
        finally:
            stop.set()
            await task
            self.broker.close()


@contextmanager
def in_process_worker(settings: Settings) -> Iterator[dramatiq.Worker]:
    """A dramatiq worker in this process, with its own event loop and ORM context."""
    broker = build_broker(settings)
    runtime = build_runtime(settings)
    declare_actors(broker, runtime, runtime.topics)
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        broker.close()


# --- a worker process killed mid-delivery ----------------------------------------------


@dataclass
class HoldingReceiver:
    """A webhook endpoint that holds the first request open until told to let go, then
    drops it, and answers every later one 200. ``accepted`` counts by
    ``X-Vmeste-Delivery`` the deliveries the receiver took in. With ``answer_first`` it
    takes the first one in and starts its answer before holding (the sender dies after
    the send, before recording it); otherwise it holds before taking it in."""

    answer_first: bool = False
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    requests: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)


@contextmanager
def holding_receiver(receiver: HoldingReceiver) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("X-Vmeste-Delivery", "")
            receiver.requests[key] += 1
            if not receiver.held.is_set():
                if receiver.answer_first:
                    receiver.accepted[key] += 1
                    self.send_response(200)
                    self.send_header("Content-Length", "2")  # the body never comes
                    self.end_headers()
                    self.wfile.flush()
                receiver.held.set()
                receiver.release.wait(timeout=60)
                self.close_connection = True
                return  # never finished: the sender died waiting
            receiver.accepted[key] += 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()


def without_installed_plugins() -> dict[str, str]:
    """Settings that leave out the third-party plugins installed beside the platform:
    an example's startup check (a missing token, say) must not stop the commands these
    tests start."""
    names = sorted(point.name for point in entry_points(group="vmeste"))
    return {"VMESTE_DISABLE_PLUGINS": ",".join(names)}


def worker_environment(settings: Settings, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VMESTE_")}
    env.update({
        "VMESTE_DATABASE_URL": settings.database_url, "VMESTE_BROKER_URL": settings.broker_url,
        "VMESTE_QUEUE_PREFIX": settings.queue_prefix, "VMESTE_DATA_DIR": str(settings.data_dir),
        "VMESTE_JOB_MAX_RETRIES": str(settings.job_max_retries),
        "VMESTE_JOB_MIN_BACKOFF_MS": str(settings.job_min_backoff_ms),
        "VMESTE_JOB_MAX_BACKOFF_MS": str(settings.job_max_backoff_ms),
        # The test's webhook receivers listen on 127.0.0.1.
        "VMESTE_WEBHOOK_ALLOW_PRIVATE": "1", **without_installed_plugins(), **extra,
    })
    return env


@contextmanager
def worker_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "vmeste", "worker", "--threads", "2"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


async def _webhook_notification(url: str) -> Notification:
    organization = await Organization.get(ogrn=ORG_A)
    hook = await WebhookSubscription.create(organization=organization, url=url,
                                            secret=secrets.token_hex(16))
    async with in_transaction() as conn:
        row = await Notification.create(
            dedupe_key=f"fault:{secrets.token_hex(4)}", event="appeal.routed",
            channel="webhook", webhook=hook, address=url,
            data={"appeal_id": 1}, using_db=conn)
        await emit(conn, NOTIFICATION_DELIVER, {"notification_id": row.id},
                   f"notification:{row.id}")
    return row


@pytest.mark.parametrize("answer_first", [False, True], ids=["before-send", "after-send"])
async def test_a_worker_killed_mid_delivery_delivers_exactly_once_after_restart(
        rabbitmq, world, tmp_path, answer_first):
    """Killed before the receiver took the delivery in, it is sent once after the
    restart; killed after, it arrives twice under one key, so the receiver recognises
    the copy (``X-Vmeste-Delivery``), and the platform records one success."""
    settings = replace(rabbitmq, job_max_retries=30, job_max_backoff_ms=500)
    env = worker_environment(settings, VMESTE_DELIVERY_LEASE_SECONDS="5",
                             VMESTE_NOTIFY_TIMEOUT_SECONDS="2")
    receiver = HoldingReceiver(answer_first=answer_first)
    log = tmp_path / "worker.log"
    with holding_receiver(receiver) as url:
        notification = await _webhook_notification(url)
        relay = Relay(settings)
        async with relay.running():
            await until(lambda: OutboxMessage.filter(relayed_at__isnull=False).exists(),
                        what="the delivery job to reach RabbitMQ")
        with worker_process(env, log) as first:
            assert await asyncio.to_thread(receiver.held.wait, 60), log.read_text()
            first.send_signal(signal.SIGKILL)  # mid-delivery: the receiver holds the request
            assert await asyncio.to_thread(first.wait, 30) == -signal.SIGKILL
        receiver.release.set()
        key = notification.dedupe_key
        assert receiver.accepted[key] == (1 if answer_first else 0)
        with worker_process(env, log) as second:
            async def sent() -> bool:
                row = await Notification.get(id=notification.id)
                return row.status == S.SENT

            await until(sent, within=60, what="the redelivered job to send")
            await asyncio.sleep(1.5)  # room for a duplicate to show up, if there were one
            second.send_signal(signal.SIGTERM)  # graceful: finishes what it holds
            assert await asyncio.to_thread(second.wait, 60) == 0, log.read_text()
    assert receiver.accepted == Counter({key: 2 if answer_first else 1})
    assert receiver.requests[key] >= 2  # the killed attempt, then the one that succeeded
    attempts = await DeliveryAttempt.filter(notification_id=notification.id, ok=True).count()
    assert attempts == 1
    assert not await DeadLetter.exists()


# --- the broker down while appeals are submitted ------------------------------------------


class TcpProxy:
    """A local TCP forwarder to a real server that a test can take down and bring back,
    which looks to a client exactly like the server going away (connections reset,
    new ones refused)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self.listener is not None:
            with suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            for sock in self.sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with suppress(OSError):
            target.shutdown(socket.SHUT_WR)


async def test_submissions_succeed_while_the_broker_is_down_and_drain_when_it_returns(
        rabbitmq, world, submit_appeal):
    await seed_appeal_world()
    parts = urlsplit(RABBITMQ_URL)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5672))
    proxy.start()
    via_proxy = replace(rabbitmq, broker_url=parts._replace(
        netloc=f"{parts.username}:{parts.password}@127.0.0.1:{proxy.port}").geturl())
    relay = Relay(via_proxy)
    try:
        assert not (await relay.scheduler.sweep_outbox()).failed  # connected, nothing due
        proxy.stop()
        appeals = [await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                       citizen=f"citizen-{n}") for n in range(3)]
        waiting = await OutboxMessage.filter(topic=APPEAL_EVENTS, relayed_at__isnull=True)
        assert {m.payload["appeal_id"] for m in waiting} == {a.id for a in appeals}
        # Beside the notifications' messages, each step's domain events for plugins.
        queued = await OutboxMessage.filter(relayed_at__isnull=True).count()
        result = await relay.scheduler.sweep_outbox()
        assert result.failed and result.sent == 0
        first = await OutboxMessage.filter(relayed_at__isnull=True).order_by("id").first()
        assert first is not None and first.relay_attempts == 1 and first.last_error
        proxy.start()
        result = await relay.scheduler.sweep_outbox()
        assert not result.failed and result.sent == queued
        assert not await OutboxMessage.filter(relayed_at__isnull=True).exists()
    finally:
        proxy.stop()
        relay.broker.close()
    with in_process_worker(rabbitmq):
        async def told_everyone() -> bool:
            told = await Notification.filter(channel="inbox", subject_type="appeal"
                                             ).values_list("subject_id", flat=True)
            return set(told) >= {a.id for a in appeals}

        await until(told_everyone, what="fan-out of every drained event")


# --- an SMTP server that keeps failing ----------------------------------------------------

DEAD_LETTERS = """query { deadLetters(first: 50, filter: {redriven: false}) {
  totalCount edges { node { id actor error attempts kwargs } } } }"""
REDRIVE = """mutation($ids: [ID!]!) { redriveDeadLetters(ids: $ids) {
  deadLetters { id redrivenAt } userErrors { code message } } }"""


async def test_a_failing_smtp_server_dead_letters_then_a_redrive_delivers(
        rabbitmq, world, submit_appeal, graphql, make_token, tmp_path):
    await seed_appeal_world()
    mailbox = Mailbox(reply="451 4.3.0 try again later")
    with smtp_server(mailbox) as port:
        settings = replace(rabbitmq, job_max_retries=2, smtp_url=f"smtp://127.0.0.1:{port}",
                           smtp_from="noreply@vmeste.test", notify_timeout_seconds=5)
        appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                     citizen="ivanova")
        await give_email("ivanova", CITIZEN_EMAIL)
        relay = Relay(settings)
        with in_process_worker(settings):
            async with relay.running():
                async def dead() -> bool:
                    emails = await Notification.filter(channel="email")
                    return bool(emails) and all(n.status == S.DEAD for n in emails) and (
                        await DeadLetter.filter(actor="vmeste.deliver").count() == len(emails))

                await until(dead, within=60, what="every e-mail to die")
                emails = await Notification.filter(channel="email")
                for email in emails:
                    log = await DeliveryAttempt.filter(notification_id=email.id).order_by("id")
                    assert [a.ok for a in log] == [False, False, False]
                    assert all("451" in a.error and CITIZEN_EMAIL not in a.error for a in log)
                assert mailbox.messages == []

                admin = await make_token("federal_configurator", territory="RU")
                listed = ok_data(await graphql(DEAD_LETTERS, token=admin))["deadLetters"]
                assert listed["totalCount"] == len(emails)
                for node in (edge["node"] for edge in listed["edges"]):
                    assert node["actor"] == "vmeste.deliver" and node["attempts"] == 3
                    assert "451" in node["error"] and CITIZEN_EMAIL not in node["error"]
                letters = await DeadLetter.filter(actor="vmeste.deliver")
                assert {d.scope_path for d in letters} == {appeal.territory_path}

                cli = await asyncio.to_thread(
                    subprocess.run, [sys.executable, "-m", "vmeste", "dead-letters", "list",
                                     "--json"], env=worker_environment(settings),
                    capture_output=True, text=True, timeout=60)
                assert cli.returncode == 0, cli.stderr
                assert {row["id"] for row in json.loads(cli.stdout)} == {
                    d.id for d in letters}

                mailbox.reply = None  # the server recovers
                body = ok_data(await graphql(REDRIVE, {"ids": [n["id"] for n in (
                    e["node"] for e in listed["edges"])]}, token=admin))
                assert body["redriveDeadLetters"]["userErrors"] == []

                async def delivered() -> bool:
                    rows = await Notification.filter(channel="email")
                    return all(n.status == S.SENT for n in rows)

                await until(delivered, within=60, what="the re-driven e-mails")
    ids = Counter(envelope.content.decode(errors="replace").split("Message-ID: ")[1].split()[0]
                  for envelope in mailbox.messages)
    assert len(ids) == len(emails) and set(ids.values()) == {1}


# --- Redis ------------------------------------------------------------------------------


async def test_redis_broker_relays_and_runs_jobs(redis_broker, world, submit_appeal):
    await seed_appeal_world()
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                 citizen="ivanova")
    relay = Relay(redis_broker)
    with in_process_worker(redis_broker):
        async with relay.running():
            async def told() -> bool:
                return await Notification.filter(subject_type="appeal", subject_id=appeal.id,
                                                 channel="inbox").exists()

            await until(told, what="the Redis worker's fan-out")
    assert not await OutboxMessage.filter(relayed_at__isnull=True).exists()
