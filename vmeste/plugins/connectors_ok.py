"""The OK (Odnoklassniki) connector: a group's topics, comments from the group, and the
group's profile.

Every call is signed: ``sig`` is the MD5 of the call's parameters sorted by name and
written ``name=value`` one after another (without ``access_token``), followed by the
session secret, itself the MD5 of the access token and the application's secret key.
OK states no per-second figure, so calls are paced at the strategy setting
``requests_per_second``. OK takes no idempotency key for a comment, so after a failure
that may have reached OK the connector first reads the discussion's comments and looks
for the group's own comment with the same text: found, it is the reply; not found, the
reply is sent again. OK pushes nothing about a group's wall to its owner:
``parse_webhook`` raises :class:`Unsupported`, and topics are polled with ``fetch``.

Secrets (``VMESTE_OK_ENV_PREFIX``, default ``VMESTE_OK``): ``_TOKEN`` (the access
token), ``_APPLICATION_KEY`` (public) and ``_APPLICATION_SECRET``.
"""

from __future__ import annotations

import hashlib
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
    Reply,
    TransientError,
    Unauthorized,
    Unsupported,
    WebhookRequest,
    WebhookResult,
    retry_policy,
    validate_known,
)
from vmeste.platform.publics.http import post_json
from vmeste.platform.publics.pacing import oldest_first, with_retries

NETWORK = "ok"
PAGE = 100
DISCUSSION = "GROUP_TOPIC"
PROFILE_FIELDS = "name,description,homepage_url,phone,email,address,members_count,pic_avatar,cover"
_UNAUTHORIZED = {10, 102, 103, 104}
_NOT_FOUND = {300}
_TRANSIENT = {1, 2, 9999}


def signature(params: Mapping[str, Any], session_secret: str) -> str:
    """OK's ``sig`` over ``params`` (``access_token`` and ``sig`` itself left out)."""
    signed = "".join(f"{name}={params[name]}" for name in sorted(params)
                     if name not in ("access_token", "sig"))
    return hashlib.md5((signed + session_secret).encode()).hexdigest()


class OkConnector:
    network = NETWORK

    def __init__(self, context: ConnectorContext, settings: Mapping[str, Any]) -> None:
        self.context = context
        self.url = context.settings.ok_api_url
        self.prefix = context.settings.ok_env_prefix
        self.policy = retry_policy(settings)
        self.pacer = context.pacer(NETWORK, settings["requests_per_second"])

    async def call(self, method: str, params: Mapping[str, Any], *, idempotent: bool = True
                   ) -> Any:
        async def attempt() -> Any:
            await self.pacer.wait()
            token = self.context.secret(self.prefix, "token")
            secret = hashlib.md5((token + self.context.secret(
                self.prefix, "application_secret")).encode()).hexdigest()
            form = {**params, "method": method, "format": "json",
                    "application_key": self.context.secret(self.prefix, "application_key")}
            form["sig"] = signature(form, secret)
            form["access_token"] = token
            _status, body = await post_json(self.context.client, self.url, f"ok {method}",
                                            data=form)
            if isinstance(body, dict) and "error_code" in body:
                raise _failure(method, int(body["error_code"]))
            return body

        return await with_retries(attempt, self.policy, self.context.sleep,
                                  idempotent=idempotent)

    async def fetch(self, page_id: str, cursor: str, /) -> FetchedPage:
        """The group's topics after the anchor OK gave last (the cursor)."""
        params = {"gid": page_id, "count": PAGE, "direction": "FORWARD"}
        answer = await self.call("mediatopic.getTopics",
                                 {**params, "anchor": cursor} if cursor else params)
        posts = [_post(page_id, topic) for topic in answer.get("media_topics", [])]
        return FetchedPage(oldest_first(posts), str(answer.get("anchor") or cursor),
                           bool(answer.get("has_more")))

    def parse_webhook(self, request: WebhookRequest, /) -> WebhookResult:
        raise Unsupported("ok: no pushes for a group's wall; poll it with fetch")

    async def publish(self, reply: Reply, /) -> Published:
        """Comment as the group; after an ambiguous failure, look before sending again."""
        params = {"discussionId": reply.parent_id, "discussionType": DISCUSSION,
                  "comment": reply.text, "as_admin": "true"}
        for attempt in range(1, self.policy.attempts + 1):
            try:
                answer = await self.call("discussions.comment", params, idempotent=False)
                return Published(str(answer["id"]))
            except TransientError as error:
                if not error.ambiguous or attempt == self.policy.attempts:
                    raise
            found = await self._published(reply)
            if found:
                return Published(found, earlier=True)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _published(self, reply: Reply) -> str:
        """The id of the group's own comment of this text in the discussion, or ""."""
        answer = await self.call("discussions.getComments", {
            "discussionId": reply.parent_id, "discussionType": DISCUSSION, "count": PAGE})
        return next((str(c["id"]) for c in answer.get("comments", [])
                     if c.get("author_type") == "GROUP" and c.get("text") == reply.text), "")

    async def profile(self, page_id: str, /) -> PageProfile:
        groups = await self.call("group.getInfo", {"uids": page_id, "fields": PROFILE_FIELDS})
        if not groups:
            raise NotFound("ok group.getInfo: no such group")
        group = groups[0]
        topics = await self.call("mediatopic.getTopics", {"gid": page_id, "count": 10})
        address = group.get("address") or ""
        return PageProfile(
            network=NETWORK, page_id=page_id, name=group.get("name", ""),
            verified=bool(group.get("verified")), description=group.get("description", ""),
            site=group.get("homepage_url", ""),
            phones=(group["phone"],) if group.get("phone") else (),
            emails=(group["email"],) if group.get("email") else (),
            addresses=(address,) if address else (), has_avatar=bool(group.get("pic_avatar")),
            has_cover=bool(group.get("cover")), members=group.get("members_count"),
            links=(f"https://ok.ru/group/{page_id}",),
            last_post_dates=tuple(sorted((_date(t) for t in topics.get("media_topics", [])),
                                         reverse=True)))


def _failure(method: str, code: int) -> ConnectorError:
    what = f"ok {method}: error {code}"
    if code in _UNAUTHORIZED:
        return Unauthorized(what)
    if code in _NOT_FOUND:
        return NotFound(what)
    if code in _TRANSIENT:
        return TransientError(what, ambiguous=True)
    return ConnectorError(what)


def _date(topic: Mapping[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(topic["created_ms"]) / 1000, UTC)


def _post(page_id: str, topic: Mapping[str, Any]) -> Post:
    text = "\n".join(m.get("text", "") for m in topic.get("media", []) if m.get("type") == "text")
    return Post(network=NETWORK, page_id=page_id, post_id=str(topic["id"]), text=text,
                created_at=_date(topic), author_id=str(topic.get("author_ref", "")),
                url=f"https://ok.ru/group/{page_id}/topic/{topic['id']}")


def _validate(settings: Mapping[str, Any]) -> list[str]:
    problems = validate_known("requests_per_second")(settings)
    rate = settings.get("requests_per_second")
    if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= 100:
        problems.append(_("{name} is an integer from {low} to {high}",
                          name="requests_per_second", low=1, high=100))
    return problems


def ok(context: ConnectorContext, settings: Mapping[str, Any], /) -> OkConnector:
    return OkConnector(context, settings)


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [StrategySpec(kind=CONNECTOR_KIND.name, name=NETWORK,
                         description=N_("OK: group topics, comments and profiles"),
                         defaults={"requests_per_second": 5}, validate=_validate, handler=ok,
                         default=True)]
