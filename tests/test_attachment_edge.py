"""The edge on the upload route: the caller is known and a slot taken before a byte of
the large body is read, and the uploads a process holds at once are bounded."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.attachment_world import PDF

BOUNDARY = "vmeste-boundary"
BODY = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"act.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode() + PDF + (
        f"\r\n--{BOUNDARY}--\r\n").encode()


class Caller:
    """One raw ASGI request to ``POST /attachments``: counts the body's reads, and can
    hold its body back until ``go`` is set."""

    def __init__(self, token: str | None, held: bool = False) -> None:
        self.token = token
        self.reads = 0
        self.reading = asyncio.Event()
        self.go = asyncio.Event()
        if not held:
            self.go.set()
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        self.reads += 1
        self.reading.set()
        await self.go.wait()
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    async def __call__(self, app: Any) -> tuple[int, dict[str, Any]]:
        headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
                   (b"content-length", str(len(BODY)).encode()), (b"host", b"vmeste.test")]
        if self.token is not None:
            headers.append((b"authorization", f"Bearer {self.token}".encode()))
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": "/attachments",
                 "raw_path": b"/attachments", "query_string": b"", "root_path": "",
                 "headers": headers, "client": ("127.0.0.1", 5000),
                 "server": ("vmeste.test", 80)}
        await app(scope, self.receive, self.send)
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")
        return start["status"], json.loads(body)


async def test_no_token_or_a_bad_one_is_refused_before_the_body_is_read(app_client, world):
    async with app_client() as (app, _graphql):
        for token in (None, "not-a-token"):
            caller = Caller(token)
            status, body = await caller(app)

            assert (status, body["errors"][0]["extensions"]["code"]) == (401, "UNAUTHENTICATED")
            assert caller.reads == 0


async def test_uploads_past_the_setting_wait_and_are_shed(app_client, world, make_token):
    token = await make_token("citizen", sub="ivanova")
    async with app_client(attachment_concurrent_uploads=1, inflight_wait_ms=1) as (app, _):
        first = Caller(token, held=True)
        holding = asyncio.create_task(first(app))
        await first.reading.wait()  # the first upload holds the one slot, reading its body

        second = Caller(token)
        status, body = await second(app)
        assert (status, body["errors"][0]["extensions"]["code"]) == (503, "OVERLOADED")
        assert second.reads == 0

        first.go.set()
        status, body = await holding
        assert status == 201 and body["contentType"] == "application/pdf"
        assert (await Caller(token)(app))[0] == 201
