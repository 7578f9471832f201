"""Listening to a live feed (``appealQueue``, and any other that polls through
:mod:`vmeste.schema.live`) from a test, through the app's own schema and request
context."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette

from vmeste.platform.identity.authenticate import authenticate
from vmeste.schema import live


@dataclass
class Listening:
    #: The first message (or the refusal).
    first: asyncio.Future[Any]
    #: Set once the test has written its steps: until then the feed does not poll.
    written: asyncio.Event
    stream: Any
    taken: bool = False

    async def following(self, wait: float = 5) -> Any:
        """The first message, then each next one on every call, the stream kept open
        (``result`` closes it)."""
        self.written.set()
        async with asyncio.timeout(wait):
            if not self.taken:
                self.taken = True
                return await self.first
            return await self.stream.__anext__()

    async def result(self, wait: float = 5) -> Any:
        self.written.set()
        try:
            async with asyncio.timeout(wait):
                return await self.first
        finally:
            await self.stream.aclose()


async def listen(app: Starlette, token: str | None, document: str,
                 monkeypatch: pytest.MonkeyPatch) -> Listening:
    """Subscribed, and either refused or waiting for its first poll. The feed then
    waits for ``written``: on one connection (a test's transaction) PostgreSQL's driver
    runs one statement at a time, so the test's writes and the polls must not overlap."""
    polling, written = asyncio.Event(), asyncio.Event()

    class Signalling:
        async def sleep(self, seconds: float) -> None:
            polling.set()
            await written.wait()
            await asyncio.sleep(0.01)

    monkeypatch.setattr(live, "asyncio", Signalling())
    principal = await authenticate(token, app.state.settings, app.state.plugins)
    endpoint = next(r.endpoint for r in app.routes if getattr(r, "path", "") == "/graphql")

    class Request:
        scope = {"type": "websocket", "state": {"principal": principal}}

    context = await endpoint.get_context(Request(), None)
    stream = await endpoint.schema.subscribe(document, context_value=context)
    first = asyncio.ensure_future(stream.__anext__())
    waiting = asyncio.ensure_future(polling.wait())
    await asyncio.wait({first, waiting}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    assert first.done() or polling.is_set(), "the subscription never started"
    return Listening(first, written, stream)
