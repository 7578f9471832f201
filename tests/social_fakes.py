"""Local fakes of VK, OK and Telegram (ASGI apps) for the connectors' tests.

Each implements only the methods the connectors call, keeps its state in plain lists,
and takes injected faults per method: a network error answered instead of the call
(rate limits 6/9/29, Telegram's 429 with ``retry_after``), or the call carried out and
then its answer lost (``"500"``: an HTTP 500; ``"drop"``: the connection breaks, which
:class:`FlakyTransport` turns into the ``httpx.ReadError`` a real socket would raise).
Each call is logged with the fake clock's time, so pacing can be measured.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from vmeste.platform.publics.connectors import ConnectorContext
from vmeste.platform.settings import load_settings
from vmeste.plugins.connectors_ok import signature


class FakeClock:
    """Monotonic seconds that move only when slept; every sleep asked for is kept."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Fake:
    """What every fake shares: the injected faults, the call log, the clock."""

    clock: FakeClock
    faults: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    calls: list[tuple[str, float]] = field(default_factory=list)
    drop_pending: bool = False

    def inject(self, method: str, *faults: Any) -> None:
        self.faults[method].extend(faults)

    def fault(self, method: str) -> Any:
        self.calls.append((method, self.clock()))
        return self.faults[method].pop(0) if self.faults[method] else None

    def lost(self, answer: Response, fault: Any) -> Response:
        """The answer of a call carried out, unless its answer is to be lost."""
        if fault == "drop":
            self.drop_pending = True
        return Response(status_code=500) if fault == "500" else answer

    def called(self, method: str) -> list[float]:
        return [at for name, at in self.calls if name == method]


class FlakyTransport(httpx.ASGITransport):
    """An ASGI transport whose connection breaks after the fake asked for it."""

    def __init__(self, fake: Fake, app: Starlette) -> None:
        super().__init__(app=app)
        self.fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if self.fake.drop_pending:
            self.fake.drop_pending = False
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


def context(fake: Fake, app: Starlette, env: dict[str, str], **kw: Any) -> ConnectorContext:
    base = "http://fake.test"
    settings = load_settings({"VMESTE_VK_API_URL": f"{base}/method",
                              "VMESTE_OK_API_URL": f"{base}/fb.do",
                              "VMESTE_TELEGRAM_API_URL": base})
    client = httpx.AsyncClient(transport=FlakyTransport(fake, app), base_url=base)
    return ConnectorContext(settings=settings, client=client, clock=fake.clock,
                            sleep=fake.clock.sleep, env=env, **kw)


# --- VK ---------------------------------------------------------------------------------

VK_TOKEN = "vk-group-token"


@dataclass
class VkFake(Fake):
    walls: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    comments: list[dict[str, Any]] = field(default_factory=list)
    guids: dict[str, int] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    addresses: dict[str, list[str]] = field(default_factory=dict)

    def post(self, group: str, text: str, date: int, **extra: Any) -> dict[str, Any]:
        item = {"id": len(self.walls[group]) + 1, "owner_id": -int(group),
                "from_id": -int(group), "date": date, "text": text, **extra}
        self.walls[group].append(item)
        return item

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/method/{name}", self.handle, methods=["POST"])])

    async def handle(self, request: Request) -> Response:
        method, form = request.path_params["name"], dict(await request.form())
        fault = self.fault(method)
        if isinstance(fault, int):
            return _vk_error(fault)
        if form.get("access_token") != VK_TOKEN or form.get("v") != "5.199":
            return _vk_error(5)
        return self.lost(JSONResponse({"response": self.answer(method, form)}), fault)

    def answer(self, method: str, form: dict[str, Any]) -> Any:
        group = form.get("owner_id", "").lstrip("-") or form.get("group_id", "")
        if method == "wall.get":
            wall = sorted(self.walls[group], key=lambda p: (not p.get("is_pinned"), -p["id"]))
            offset, count = int(form.get("offset", 0)), int(form["count"])
            return {"count": len(wall), "items": wall[offset:offset + count]}
        if method == "wall.createComment":
            guid = form["guid"]
            if guid not in self.guids:
                self.comments.append({"post_id": int(form["post_id"]), "text": form["message"],
                                      "from_group": form["from_group"]})
                self.guids[guid] = len(self.comments)
            return {"comment_id": self.guids[guid]}
        if method == "groups.getById":
            return {"groups": [self.groups[group]] if group in self.groups else [],
                    "profiles": []}
        if method == "groups.getAddresses":
            return {"count": 1, "items": [{"id": i, "address": a}
                                          for i, a in enumerate(self.addresses.get(group, []))]}
        raise AssertionError(f"the fake has no {method}")


def _vk_error(code: int) -> Response:
    return JSONResponse({"error": {"error_code": code, "error_msg": "fake error",
                                   "request_params": []}})


# --- OK ---------------------------------------------------------------------------------

OK_ENV = {"VMESTE_OK_TOKEN": "ok-token", "VMESTE_OK_APPLICATION_KEY": "CBAPUBLIC",
          "VMESTE_OK_APPLICATION_SECRET": "app-secret"}


@dataclass
class OkFake(Fake):
    topics: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    signatures_checked: int = 0

    def topic(self, group: str, text: str, created_ms: int) -> dict[str, Any]:
        item = {"id": str(9000 + len(self.topics[group])), "created_ms": created_ms,
                "author_ref": f"group:{group}", "media": [{"type": "text", "text": text}]}
        self.topics[group].append(item)
        return item

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/fb.do", self.handle, methods=["POST"])])

    async def handle(self, request: Request) -> Response:
        form = dict(await request.form())
        secret = hashlib.md5((OK_ENV["VMESTE_OK_TOKEN"] + OK_ENV["VMESTE_OK_APPLICATION_SECRET"]
                              ).encode()).hexdigest()
        if (form.get("application_key") != OK_ENV["VMESTE_OK_APPLICATION_KEY"]
                or form.get("sig") != signature(form, secret)
                or form.get("access_token") != OK_ENV["VMESTE_OK_TOKEN"]):
            return JSONResponse({"error_code": 104, "error_msg": "PARAM_SIGNATURE"})
        self.signatures_checked += 1
        method = form["method"]
        fault = self.fault(method)
        if isinstance(fault, int):
            return JSONResponse({"error_code": fault, "error_msg": "fake error"})
        return self.lost(JSONResponse(self.answer(method, form)), fault)

    def answer(self, method: str, form: dict[str, Any]) -> Any:
        if method == "mediatopic.getTopics":
            topics, count = self.topics[form["gid"]], int(form["count"])
            if form.get("direction") != "FORWARD":
                return {"media_topics": list(reversed(topics))[:count]}
            start = int(form.get("anchor") or 0)
            page = topics[start:start + count]
            return {"media_topics": page, "anchor": str(start + len(page)),
                    "has_more": start + len(page) < len(topics)}
        if method == "discussions.comment":
            thread = self.comments[form["discussionId"]]
            thread.append({"id": f"c{len(thread) + 1}", "text": form["comment"],
                           "author_type": "GROUP" if form.get("as_admin") else "USER"})
            return {"id": thread[-1]["id"]}
        if method == "discussions.getComments":
            return {"comments": self.comments[form["discussionId"]]}
        if method == "group.getInfo":
            return [self.groups[form["uids"]]] if form["uids"] in self.groups else []
        raise AssertionError(f"the fake has no {method}")


# --- Telegram ---------------------------------------------------------------------------

TELEGRAM_TOKEN = "123:telegram-token"


@dataclass
class TelegramFake(Fake):
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    confirmed: int = 0

    def message(self, chat: int, text: str, date: int, kind: str = "message",
                **extra: Any) -> dict[str, Any]:
        update = {"update_id": 500 + len(self.updates),
                  kind: {"message_id": 10 + len(self.updates), "date": date, "text": text,
                         "chat": {"id": chat, "type": "supergroup", "username": "kirov_city"},
                         "from": {"id": 77, "is_bot": False}, **extra}}
        self.updates.append(update)
        return update

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{name}", self.handle, methods=["POST"])])

    async def handle(self, request: Request) -> Response:
        if request.path_params["token"] != TELEGRAM_TOKEN:
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"},
                                status_code=404)
        method, payload = request.path_params["name"], await request.json()
        fault = self.fault(method)
        if isinstance(fault, int):
            return JSONResponse({"ok": False, "error_code": 429,
                                 "description": f"Too Many Requests: retry after {fault}",
                                 "parameters": {"retry_after": fault}}, status_code=429)
        return self.lost(JSONResponse({"ok": True, "result": self.answer(method, payload)}),
                         fault)

    def answer(self, method: str, payload: dict[str, Any]) -> Any:
        if method == "getUpdates":
            self.confirmed = max(self.confirmed, payload.get("offset", 0))
            waiting = [u for u in self.updates if u["update_id"] >= self.confirmed]
            return waiting[:payload["limit"]]
        if method == "sendMessage":
            self.sent.append({"message_id": 1000 + len(self.sent), **payload})
            return self.sent[-1]
        if method == "getChat":
            return self.chats[str(payload["chat_id"])]
        if method == "getChatMemberCount":
            return self.chats[str(payload["chat_id"])]["members"]
        raise AssertionError(f"the fake has no {method}")
