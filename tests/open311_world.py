"""The demo's reference data and competence rules, an Open311 client's key, and the
platform served by a real uvicorn on a free port (the Open311 client library speaks
plain HTTP through ``requests``)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn
from tortoise.transactions import in_transaction

from vmeste.app import create_app
from vmeste.platform.appeals.demo import build_demo_rules
from vmeste.platform.appeals.rules_import import upsert_rule_rows
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.open311.keys import NewKey, create_key
from vmeste.platform.reference.demo import load_demo_data
from vmeste.platform.runtime import Runtime
from vmeste.platform.settings import Settings

#: Inside the demo's city of Kirov (33701000) and its district of Nolinsk (33626000).
KIROV_POINT = (58.6035, 49.6680)
NOLINSK_POINT = (57.5586, 49.9364)
KAZAN = "92701000"


@dataclass
class Served:
    base: str
    key: NewKey
    appeals: AppealServices
    runtime: Runtime


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def load_demo_reference() -> None:
    await load_demo_data()
    rows = await build_demo_rules()
    async with in_transaction() as conn:
        await upsert_rule_rows(rows, principal=SYSTEM, publish=True, conn=conn)


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Served]:
    """The demo loaded, a key made, the app listening until the block ends."""
    await load_demo_reference()
    key = await create_key(SYSTEM, "Народный контроль (мобильное приложение)")
    app = create_app(settings, manage_database=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}/open311/v2", key,
                     app.state.runtime.service(AppealServices), app.state.runtime)
    finally:
        server.should_exit = True
        await task
