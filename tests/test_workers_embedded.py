"""The embedded default: with the in-process broker the app's lifespan runs the worker
and the scheduler, so an appeal's events reach the citizen's inbox with nothing else
started."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace

import httpx

from tests.appeal_world import SUBMIT, seed_appeal_world, submit_input
from tests.notification_world import Receiver, http_receiver
from tests.test_faults import until
from tests.worlds import ok_data
from vmeste.app import create_app
from vmeste.platform.notifications.models import (
    Notification,
    NotificationStatus,
    WebhookSubscription,
)
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.reference.models import Organization
from vmeste.testing import GraphQLClient


async def test_serve_runs_worker_and_scheduler_in_process(world, db, make_token):
    await seed_appeal_world()
    citizen = await make_token("citizen", sub="ivanova")
    settings = replace(db, embedded_workers=True, relay_interval_ms=20)
    app = create_app(settings, manage_database=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            body = ok_data(await GraphQLClient(http)(SUBMIT, submit_input(), token=citizen))
            assert body["submitAppeal"]["userErrors"] == []

            async def drained() -> bool:
                return not await OutboxMessage.filter(relayed_at__isnull=True).exists()

            async def in_inbox() -> bool:
                return await Notification.filter(channel="inbox",
                                                 recipient__subject="ivanova").exists()

            await until(drained, what="the outbox to drain")
            await until(in_inbox, what="the inbox notification")
    assert await OutboxMessage.filter(topic="appeal.events").count() >= 1


async def test_a_restart_of_the_embedded_workers_delivers_everything_exactly_once(
        world, db, make_token):
    """The in-process broker dies with the process: jobs queued or waiting for a retry's
    backoff at shutdown are relayed again at the next start, and sent once."""
    appeal_world = await seed_appeal_world()
    citizen = await make_token("citizen", sub="ivanova")
    settings = replace(db, embedded_workers=True, relay_interval_ms=20, worker_threads=1,
                       job_min_backoff_ms=60_000, job_max_backoff_ms=60_000)
    receiver = Receiver(statuses=[500])  # the first delivery fails: a minute's backoff
    with http_receiver(receiver) as url:
        organization = await Organization.get(ogrn=appeal_world.city_admin)
        await WebhookSubscription.create(organization=organization, url=url, secret="k",
                                         events=["submitted", "routed"])
        app = create_app(settings, manage_database=False)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://t") as http:
                for _ in range(2):
                    body = ok_data(await GraphQLClient(http)(SUBMIT, submit_input(),
                                                             token=citizen))
                    assert body["submitAppeal"]["userErrors"] == []

            async def one_failed() -> bool:
                return await Notification.filter(channel="webhook",
                                                 status=NotificationStatus.RETRYING).exists()

            await until(one_failed, what="a delivery waiting for its backoff")
        unfinished = await OutboxMessage.filter(relayed_at__isnull=False, done_at__isnull=True)
        assert unfinished, "the stopped broker held jobs"
        assert await Notification.filter(channel="webhook").exclude(
            status=NotificationStatus.SENT).exists()

        again = create_app(settings, manage_database=False)
        async with again.router.lifespan_context(again):
            async def all_done() -> bool:
                return not await OutboxMessage.filter(done_at__isnull=True).exists()

            await until(all_done, what="every job to finish after the restart")
            await asyncio.sleep(0.3)  # room for a duplicate, were there one
    hooks = await Notification.filter(channel="webhook")
    assert hooks and {n.status for n in hooks} == {NotificationStatus.SENT}
    delivered = Counter(headers["X-Vmeste-Delivery"] for headers, _ in receiver.requests[1:])
    assert delivered == Counter({n.dedupe_key: 1 for n in hooks})
