"""The embedded default: with the in-process broker the app's lifespan runs the worker
and the scheduler, so an appeal's events reach the citizen's inbox with nothing else
started."""

from __future__ import annotations

from dataclasses import replace

import httpx

from tests.appeal_world import SUBMIT, seed_appeal_world, submit_input
from tests.test_faults import until
from tests.worlds import ok_data
from vmeste.platform.app import create_app
from vmeste.platform.notifications.models import Notification, NotificationChannel
from vmeste.platform.outbox.models import OutboxMessage
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
                return await Notification.filter(channel=NotificationChannel.INBOX,
                                                 recipient__subject="ivanova").exists()

            await until(drained, what="the outbox to drain")
            await until(in_inbox, what="the inbox notification")
    assert await OutboxMessage.filter(topic="appeal.events").count() >= 1
