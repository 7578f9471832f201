"""The Telegram connector: a bot's updates (``getUpdates`` or a webhook), its replies, and
a chat's profile.

A bot sees only the chats it belongs to, and ``getUpdates`` serves all of them at once:
``fetch`` confirms every update up to its cursor (``offset``, the last ``update_id`` + 1)
and returns the posts of ``page_id``'s chat, or of all chats for "" — so give each page
its own bot, or fetch with "". Overload answers 429 with ``parameters.retry_after``,
which is waited exactly.

**Replies are deduplicated by a ledger.** The Bot API has no idempotency key and no way
to read a chat's history, so after a failure that may have reached Telegram (a broken
connection after sending, a 5xx) nobody can tell whether the message went out. The
connector keeps each reply's outcome in ``ConnectorContext.ledger`` by its key: a key
already published returns its message id without sending; a failure known to be before
sending (no connection, a 429, which Telegram does not carry out) is retried; an
ambiguous one marks the key :data:`UNKNOWN` and raises :class:`AmbiguousDelivery`, and
every later call with that key raises it again without sending, until a person who
looked at the chat calls :func:`resolve`. So a reply is never sent twice; at worst it
waits for a person.

Secrets (``VMESTE_TELEGRAM_ENV_PREFIX``, default ``VMESTE_TELEGRAM``): ``_TOKEN``,
and ``_WEBHOOK_SECRET``, the ``secret_token`` given to ``setWebhook``, which Telegram
sends back in ``X-Telegram-Bot-Api-Secret-Token``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any

from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.i18n import N_
from vmeste.platform.publics.connectors import (
    CONNECTOR_KIND,
    UNKNOWN,
    AmbiguousDelivery,
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

NETWORK = "telegram"
#: ``getUpdates`` returns at most 100 updates a call.
PAGE = 100
SECRET_HEADER = "x-telegram-bot-api-secret-token"
#: Telegram's advice: about 30 messages a second to different chats in all.
RATE = 30
_POSTS = ("message", "channel_post")


class TelegramConnector:
    network = NETWORK

    def __init__(self, context: ConnectorContext, settings: Mapping[str, Any]) -> None:
        self.context = context
        self.url = context.settings.telegram_api_url.rstrip("/")
        self.prefix = context.settings.telegram_env_prefix
        self.policy = retry_policy(settings)
        self.pacer = context.pacer(NETWORK, RATE)

    async def call(self, method: str, payload: Mapping[str, Any], *,
                   idempotent: bool = True) -> Any:
        async def attempt() -> Any:
            await self.pacer.wait()
            token = self.context.secret(self.prefix, "token")
            status, body = await post_json(self.context.client,
                                           f"{self.url}/bot{token}/{method}",
                                           f"telegram {method}", json=payload)
            if isinstance(body, dict) and body.get("ok"):
                return body["result"]
            raise _failure(method, status, body if isinstance(body, dict) else {})

        return await with_retries(attempt, self.policy, self.context.sleep,
                                  idempotent=idempotent)

    async def fetch(self, page_id: str, cursor: str, /) -> FetchedPage:
        payload: dict[str, Any] = {"limit": PAGE, "timeout": 0,
                                   "allowed_updates": list(_POSTS)}
        if cursor:
            payload["offset"] = int(cursor)
        updates = await self.call("getUpdates", payload)
        posts = [post for update in updates if (post := _post(update)) is not None
                 and (not page_id or post.page_id == page_id)]
        next_cursor = str(max(u["update_id"] for u in updates) + 1) if updates else cursor
        return FetchedPage(oldest_first(posts), next_cursor, len(updates) == PAGE)

    def parse_webhook(self, request: WebhookRequest, /) -> WebhookResult:
        secret = self.context.secret(self.prefix, "webhook_secret")
        given = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given, secret):
            raise Unauthorized("telegram webhook: wrong secret token")
        try:
            update = json.loads(request.body)
        except ValueError:
            raise ConnectorError("telegram webhook: not JSON") from None
        post = _post(update)
        return WebhookResult(posts=() if post is None else (post,))

    async def publish(self, reply: Reply, /) -> Published:
        ledger, key = self.context.ledger, _key(reply)
        earlier = ledger.get(key)
        if earlier == UNKNOWN:
            raise AmbiguousDelivery("telegram sendMessage: an earlier attempt may have "
                                    "been delivered; check the chat and resolve the reply")
        if earlier is not None:
            return Published(earlier, earlier=True)
        ledger[key] = UNKNOWN  # a crash from here on leaves it for a person, never resent
        try:
            message = await self.call("sendMessage", {
                "chat_id": reply.page_id, "text": reply.text,
                "reply_parameters": {"message_id": int(reply.parent_id),
                                     "allow_sending_without_reply": True}},
                idempotent=False)
        except TransientError as error:
            if error.ambiguous:
                raise AmbiguousDelivery(f"telegram sendMessage: {error}") from None
            del ledger[key]
            raise
        except ConnectorError:
            del ledger[key]  # refused by Telegram: nothing was sent
            raise
        ledger[key] = str(message["message_id"])
        return Published(ledger[key])

    async def profile(self, page_id: str, /) -> PageProfile:
        """What a bot can read: the chat's title, description, photo and public name,
        and its member count. The Bot API says nothing of verification, covers or the
        chat's history, so those stay empty."""
        chat = await self.call("getChat", {"chat_id": page_id})
        members = await self.call("getChatMemberCount", {"chat_id": page_id})
        username = chat.get("username", "")
        return PageProfile(
            network=NETWORK, page_id=page_id, name=chat.get("title", ""), verified=False,
            description=chat.get("description", ""), has_avatar="photo" in chat,
            links=(f"https://t.me/{username}",) if username else (), members=int(members))


def resolve(ledger: MutableMapping[str, str], reply: Reply, message_id: str | None) -> None:
    """A person's finding after an ambiguous failure: the message's id if it is in the
    chat (the reply is published), None if it is not (the next attempt sends it)."""
    if message_id is None:
        ledger.pop(_key(reply), None)
    else:
        ledger[_key(reply)] = message_id


def _key(reply: Reply) -> str:
    return f"{NETWORK}:{reply.page_id}:{reply.idempotency_key}"


def _failure(method: str, status: int, body: Mapping[str, Any]) -> ConnectorError:
    code = int(body.get("error_code", status))
    what = f"telegram {method}: error {code}"
    if code == 429:
        retry_after = (body.get("parameters") or {}).get("retry_after", 1)
        return RateLimited(what, float(retry_after))
    if code in (401, 403, 404):  # a bad token answers 404; a bot removed from a chat, 403
        return Unauthorized(what)
    if code == 400 and "not found" in str(body.get("description", "")).lower():
        return NotFound(what)
    return ConnectorError(what)


def _post(update: Mapping[str, Any]) -> Post | None:
    message = next((update[kind] for kind in _POSTS if kind in update), None)
    if message is None:
        return None
    chat, parent = message["chat"], message.get("reply_to_message") or {}
    username = chat.get("username", "")
    return Post(network=NETWORK, page_id=str(chat["id"]), post_id=str(message["message_id"]),
                text=message.get("text") or message.get("caption") or "",
                created_at=datetime.fromtimestamp(int(message["date"]), UTC),
                author_id=str((message.get("from") or {}).get("id", "")),
                parent_id=str(parent.get("message_id", "")),
                url=f"https://t.me/{username}/{message['message_id']}" if username else "")


def telegram(context: ConnectorContext, settings: Mapping[str, Any], /) -> TelegramConnector:
    return TelegramConnector(context, settings)


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [StrategySpec(kind=CONNECTOR_KIND.name, name=NETWORK,
                         description=N_("Telegram: a bot's chats and channels, its replies"),
                         validate=validate_known(), handler=telegram, default=True)]
