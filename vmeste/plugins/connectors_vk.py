"""The VK connector: a community's wall, its Callback API pushes, comments from the
community, and the community's profile (VK API 5.199).

Calls are POSTed with the token in the form, never in a URL that a proxy would log.
The token is a community ("group") token by default, 20 requests a second; a user
token gets 3 (strategy setting ``token_kind``). Errors 6 (too many requests a second),
9 (flood control) and 29 (rate limit reached) carry no waiting time, so each waits a
figure of ours (:data:`BACKOFF`) before trying again. ``wall.createComment`` takes a
``guid``: VK posts one comment per guid, so a reply is sent again safely after any
failure, with the reply's idempotency key as the guid.

Secrets (``VMESTE_VK_ENV_PREFIX``, default ``VMESTE_VK``): ``_TOKEN``, and for the
Callback API ``_CONFIRMATION`` (the code VK asks the server to answer) and ``_SECRET``
(the secret key set in the community's Callback API settings).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.i18n import N_, _
from vmeste.platform.publics.connectors import (
    CONNECTOR_KIND,
    ConnectorContext,
    ConnectorError,
    FetchedPage,
    NotFound,
    PageProfile,
    Post,
    Published,
    RateLimited,
    Reply,
    TransientError,
    Unauthorized,
    WebhookRequest,
    WebhookResult,
    retry_policy,
    validate_known,
)
from vmeste.platform.publics.http import post_json
from vmeste.platform.publics.pacing import oldest_first, with_retries

NETWORK = "vk"
VERSION = "5.199"
#: ``wall.get`` returns at most 100 posts a call.
PAGE = 100
#: Seconds to wait on VK's rate-limit errors, which say nothing of how long.
BACKOFF = {6: 1.0, 9: 10.0, 29: 60.0}
RATES = {"group": 20, "user": 3}
_UNAUTHORIZED = {5, 7, 15, 27, 28}
_NOT_FOUND = {18, 30, 100, 113, 125}
PROFILE_FIELDS = "verified,description,site,contacts,links,has_photo,cover,members_count"


class VkConnector:
    network = NETWORK

    def __init__(self, context: ConnectorContext, settings: Mapping[str, Any]) -> None:
        self.context = context
        self.url = context.settings.vk_api_url.rstrip("/")
        self.prefix = context.settings.vk_env_prefix
        self.policy = retry_policy(settings)
        self.pacer = context.pacer(NETWORK, RATES[settings["token_kind"]])

    async def call(self, method: str, params: Mapping[str, Any], *, idempotent: bool = True
                   ) -> Any:
        """One method, paced and retried; its ``response``."""
        async def attempt() -> Any:
            await self.pacer.wait()
            form = {**params, "access_token": self.context.secret(self.prefix, "token"),
                    "v": VERSION}
            _status, body = await post_json(self.context.client, f"{self.url}/{method}",
                                            f"vk {method}", data=form)
            error = (body or {}).get("error")
            if error is not None:
                raise _failure(method, error)
            return body["response"]

        return await with_retries(attempt, self.policy, self.context.sleep,
                                  idempotent=idempotent)

    async def fetch(self, page_id: str, cursor: str, /) -> FetchedPage:
        """The wall, newest first, down to the last post seen. The cursor is that post's
        id, or ``since:offset:top`` in the middle of a sweep; a post published during a
        sweep shifts the offsets, so a post may come twice (the pipeline deduplicates by
        network and id), never not at all."""
        since, offset, top = _sweep(cursor)
        answer = await self.call("wall.get", {"owner_id": f"-{page_id}", "count": PAGE,
                                              "offset": offset})
        items = answer.get("items", [])
        top = max([top, *(int(item["id"]) for item in items)])
        posts = [_post(page_id, item) for item in items if int(item["id"]) > since]
        reached = len(items) < PAGE or any(
            int(item["id"]) <= since and not item.get("is_pinned") for item in items)
        if reached:
            return FetchedPage(oldest_first(posts), str(top))
        return FetchedPage(oldest_first(posts), f"{since}:{offset + len(items)}:{top}", True)

    def parse_webhook(self, request: WebhookRequest, /) -> WebhookResult:
        """A Callback API event: ``confirmation`` is answered with the code; every other
        event must carry the community's secret key."""
        try:
            event = json.loads(request.body)
        except ValueError:
            raise ConnectorError("vk callback: not JSON") from None
        if event.get("type") == "confirmation":
            code = self.context.secret(self.prefix, "confirmation")
            if not code:
                raise Unauthorized("vk callback: no confirmation code is configured")
            return WebhookResult(answer=code)
        secret = self.context.secret(self.prefix, "secret")
        if not secret or not hmac.compare_digest(str(event.get("secret", "")), secret):
            raise Unauthorized("vk callback: wrong secret")
        page_id, item = str(event.get("group_id", "")), event.get("object") or {}
        if event.get("type") == "wall_post_new":
            return WebhookResult(posts=(_post(page_id, item),))
        if event.get("type") == "wall_reply_new":
            # A reply to a comment (the official answer, say) answers that comment; the
            # thread's post stays in its address.
            thread = str(item["post_id"])
            parent = str(item.get("reply_to_comment") or thread)
            return WebhookResult(posts=(_post(page_id, item, parent=parent, thread=thread),))
        return WebhookResult()

    async def publish(self, reply: Reply, /) -> Published:
        answer = await self.call("wall.createComment", {
            "owner_id": f"-{reply.page_id}", "post_id": reply.parent_id,
            "from_group": reply.page_id, "message": reply.text,
            "guid": reply.idempotency_key})
        return Published(str(answer["comment_id"]))

    async def profile(self, page_id: str, /) -> PageProfile:
        answer = await self.call("groups.getById", {"group_id": page_id,
                                                    "fields": PROFILE_FIELDS})
        groups = answer["groups"] if isinstance(answer, dict) else answer
        if not groups:
            raise NotFound("vk groups.getById: no such community")
        group = groups[0]
        addresses = await self.call("groups.getAddresses", {"group_id": page_id,
                                                            "count": 10})
        wall = await self.call("wall.get", {"owner_id": f"-{page_id}", "count": 10})
        contacts = group.get("contacts") or []
        cover = group.get("cover") or {}
        return PageProfile(
            network=NETWORK, page_id=page_id, name=group.get("name", ""),
            verified=bool(group.get("verified")), description=group.get("description", ""),
            site=group.get("site", ""),
            phones=tuple(c["phone"] for c in contacts if c.get("phone")),
            emails=tuple(c["email"] for c in contacts if c.get("email")),
            addresses=tuple(a["address"] for a in addresses.get("items", [])
                            if a.get("address")),
            has_avatar=bool(group.get("has_photo")),
            has_cover=bool(cover.get("enabled")) and bool(cover.get("images")),
            links=tuple(link["url"] for link in group.get("links") or [] if link.get("url")),
            members=group.get("members_count"),
            last_post_dates=tuple(sorted((_date(item["date"]) for item in wall.get("items", [])),
                                         reverse=True)))


def _failure(method: str, error: Mapping[str, Any]) -> ConnectorError:
    code = int(error.get("error_code", 0))
    what = f"vk {method}: error {code}"
    if code in BACKOFF:
        return RateLimited(what, BACKOFF[code])
    if code in _UNAUTHORIZED:
        return Unauthorized(what)
    if code in _NOT_FOUND:
        return NotFound(what)
    if code in (1, 10):  # unknown and internal server errors: VK asks to repeat later
        return TransientError(what, ambiguous=True)
    return ConnectorError(what)


def _sweep(cursor: str) -> tuple[int, int, int]:
    """(last id seen, offset, highest id seen in this sweep) from a cursor."""
    if not cursor:
        return 0, 0, 0
    since, _, rest = cursor.partition(":")
    if not rest:
        return int(since), 0, int(since)
    offset, _, top = rest.partition(":")
    return int(since), int(offset), int(top)


def _date(timestamp: int) -> datetime:
    return datetime.fromtimestamp(int(timestamp), UTC)


def _post(page_id: str, item: Mapping[str, Any], parent: str = "", thread: str = "") -> Post:
    post_id = str(item["id"])
    anchor = f"wall-{page_id}_{thread or parent or post_id}"
    return Post(network=NETWORK, page_id=page_id, post_id=post_id,
                text=item.get("text", ""), created_at=_date(item["date"]),
                author_id=str(item.get("from_id", "")), parent_id=parent,
                url=f"https://vk.com/{anchor}" + (f"?reply={post_id}" if parent else ""))


def _validate(settings: Mapping[str, Any]) -> list[str]:
    problems = validate_known("token_kind")(settings)
    if settings.get("token_kind") not in RATES:
        problems.append(_("{name} is one of: {choices}", name="token_kind",
                          choices=", ".join(RATES)))
    return problems


def vk(context: ConnectorContext, settings: Mapping[str, Any], /) -> VkConnector:
    return VkConnector(context, settings)


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [StrategySpec(kind=CONNECTOR_KIND.name, name=NETWORK,
                         description=N_("VK: community walls, comments and profiles"),
                         defaults={"token_kind": "group"}, validate=_validate, handler=vk,
                         default=True)]
