"""Outbox relay throughput: events per second from the outbox table to the broker,
against a bare baseline measured in the same run on the same broker.

For each broker that is reachable (RabbitMQ and Redis on this machine, and always the
in-process StubBroker), N outbox rows are written (not timed), then the relay moves
them: claim a batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), enqueue each message,
stamp the batch. The baseline enqueues the same N messages with no database at all.
Prints events/s for both and the ratio relay/baseline.

    python bench/outbox.py [--events 20000] [--batch 500]
        [--database postgres://postgres@127.0.0.1:5432/postgres | sqlite]
        [--rabbitmq amqp://guest:guest@127.0.0.1:5672/] [--redis redis://127.0.0.1:6379/15]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import socket
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pika
import redis

from vmeste.platform import db as database
from vmeste.platform.notifications.fanout import NOTIFICATION_DELIVER
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.runtime import build_runtime
from vmeste.platform.settings import Settings, load_settings
from vmeste.workers.broker import build_broker
from vmeste.workers.jobs import declare_actors, message_for, queue_name
from vmeste.workers.scheduler import Scheduler


def reachable(url: str, port: int) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or port), 2).close()
    except OSError:
        return False
    return True


async def write_rows(count: int, run: str) -> None:
    rows = [OutboxMessage(topic=NOTIFICATION_DELIVER, payload={"notification_id": n},
                          dedupe_key=f"bench:{run}:{n}") for n in range(count)]
    await OutboxMessage.bulk_create(rows, batch_size=1000)


def baseline(settings: Settings, count: int) -> float:
    """Bare enqueues of the same messages: no database, no claim, no stamp."""
    broker = build_broker(settings)
    runtime = build_runtime(settings)
    topics = runtime.topics
    declare_actors(broker, runtime, topics)
    topic = topics[NOTIFICATION_DELIVER]
    messages = [message_for(settings, topic, OutboxMessage(
        id=n, topic=topic.name, payload={"notification_id": n}, dedupe_key=f"base:{n}"))
        for n in range(count)]
    start = time.perf_counter()
    for message in messages:
        broker.enqueue(message)
    elapsed = time.perf_counter() - start
    broker.close()
    return count / elapsed


async def relay(settings: Settings, count: int) -> float:
    runtime = build_runtime(settings)
    broker = build_broker(settings)
    topics = runtime.topics
    declare_actors(broker, runtime, topics)
    await write_rows(count, secrets.token_hex(4))
    scheduler = Scheduler(runtime, broker, topics)
    start = time.perf_counter()
    result = await scheduler.sweep_outbox()
    elapsed = time.perf_counter() - start
    broker.close()
    assert result.sent == count and not result.failed, result
    return count / elapsed


def clean(settings: Settings) -> None:
    queues = [queue_name(settings, t) for t in build_runtime(settings).topics.values()]
    scheme = urlsplit(settings.broker_url).scheme
    if scheme == "amqp":
        connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
        channel = connection.channel()
        for queue in queues:
            for suffix in ("", ".DQ", ".XQ"):
                channel.queue_delete(queue + suffix)
        connection.close()
    elif scheme == "redis":
        client = redis.Redis.from_url(settings.broker_url)
        keys = list(client.scan_iter(f"dramatiq:{settings.queue_prefix}.*"))
        if keys:
            client.delete(*keys)
        client.close()


async def admin(server: str, sql: str) -> None:
    conn = await asyncpg.connect(server.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> None:
    drop = None
    if args.database.startswith("postgres") and reachable(args.database, 5432):
        name = f"vmeste_bench_{secrets.token_hex(3)}"
        await admin(args.database, f'CREATE DATABASE "{name}"')
        drop = (args.database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        url = urlsplit(args.database)._replace(path=f"/{name}").geturl()
    else:
        url = f"sqlite://{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    base = load_settings({"VMESTE_DATABASE_URL": url})
    brokers = [("StubBroker (in-process)", "memory://")]
    if reachable(args.rabbitmq, 5672):
        brokers.insert(0, ("RabbitMQ", args.rabbitmq))
    if reachable(args.redis, 6379):
        brokers.insert(1, ("Redis", args.redis))
    try:
        await database.migrate(base)
        print(f"database {url.split('://')[0]}, {args.events} events per run, "
              f"batch {args.batch}")
        async with database.connect(base):
            for label, broker_url in brokers:
                settings = replace(base, broker_url=broker_url, relay_batch_size=args.batch,
                                   queue_prefix=f"bench{secrets.token_hex(3)}")
                try:
                    bare = baseline(settings, args.events)
                    relayed = await relay(settings, args.events)
                finally:
                    clean(settings)
                print(f"{label:<24} relay {relayed:>9,.0f} events/s   bare enqueue "
                      f"{bare:>9,.0f}/s   ratio {relayed / bare:.2f}")
    finally:
        if drop:
            await admin(*drop)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rabbitmq", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
