"""The ``connector`` strategy kind: how the platform reads and answers a social network.

A connector is a strategy named after its network (``vk``, ``ok``, ``telegram`` are
built in, :mod:`vmeste.plugins.connectors_vk` and its siblings); a regional package may
add another network, or replace a built-in one, the same way. Its handler is a factory:
given a :class:`ConnectorContext` (the HTTP client, the clock and the sleep function,
all from outside, so tests run it against a local fake in no wall-clock time) and its
settings, it returns a :class:`Connector` for one set of credentials.

Everything a connector returns is normalised (:class:`Post`, :class:`PageProfile`), so
the incident pipeline and the compliance checks never see a network's JSON. Failures
are typed (:class:`RateLimited`, :class:`Unauthorized`, :class:`NotFound`,
:class:`TransientError`, :class:`Unsupported`), and their messages never carry a token,
a URL with a token in it, or a message's text.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx

from vmeste.platform.i18n import _
from vmeste.platform.publics.failures import (
    AmbiguousDelivery,
    ConnectorError,
    NotFound,
    RateLimited,
    TransientError,
    Unauthorized,
    Unsupported,
)
from vmeste.platform.publics.pacing import Pacer, RetryPolicy
from vmeste.platform.settings import Settings
from vmeste.platform.strategies import Mode, StrategyKind, unknown_settings

#: A ledger's mark for a reply that may or may not have been published.
UNKNOWN = "?"
#: The kind's shared settings: how often a call is tried, and the longest wait a
#: network may ask for before the call gives up (a day-long flood ban is for a person
#: to see, not for a worker to sleep through).
MAX_ATTEMPTS = "max_attempts"
MAX_RETRY_AFTER = "max_retry_after_seconds"


# --- what a connector returns ----------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """A post or a comment, as every network's is stored. ``parent_id`` is the post a
    comment answers ("" for a post); ids are the network's, as strings."""

    network: str
    page_id: str
    post_id: str
    text: str
    created_at: datetime
    author_id: str = ""
    parent_id: str = ""
    url: str = ""

    @property
    def is_comment(self) -> bool:
        return bool(self.parent_id)


@dataclass(frozen=True)
class FetchedPage:
    """One page of a fetch: the posts, the cursor to ask with next (store it once the
    posts are stored), and whether more is waiting right now."""

    posts: tuple[Post, ...]
    cursor: str
    more: bool = False


@dataclass(frozen=True)
class WebhookRequest:
    """A push from the network, as received: header names lower case."""

    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class WebhookResult:
    """The posts a push carried and the body to answer it with (VK's Callback API
    wants its confirmation code, or ``ok``)."""

    posts: tuple[Post, ...] = ()
    answer: str = "ok"


@dataclass(frozen=True)
class Reply:
    """An answer to publish from the official account under ``parent_id`` (a post, or
    a message in a chat). ``idempotency_key`` is the same for every attempt at one
    answer (the incident's reply id): the connector publishes it at most once."""

    page_id: str
    parent_id: str
    text: str = field(repr=False)
    idempotency_key: str


@dataclass(frozen=True)
class Published:
    """The published comment's id; ``earlier`` when an earlier attempt had published it
    and this one found it rather than posting again."""

    comment_id: str
    earlier: bool = False


@dataclass(frozen=True)
class PageProfile:
    """What the compliance checks read of a page (DESIGN §7): the network's own facts,
    normalised; ``None`` where the network does not say."""

    network: str
    page_id: str
    name: str
    verified: bool
    description: str = ""
    site: str = ""
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    has_avatar: bool = False
    has_cover: bool = False
    links: tuple[str, ...] = ()
    members: int | None = None
    #: The latest posts' dates, newest first (the posting rate is checked on them).
    last_post_dates: tuple[datetime, ...] = ()


# --- what a connector is handed, and what it is ----------------------------------------


@dataclass
class ConnectorContext:
    """What a connector takes from outside. ``clock`` is monotonic seconds and
    ``sleep`` waits that long: tests pass a fake pair, so backoff costs no time and the
    waits asked for can be checked. ``pacers`` holds the per-token request pacing: share
    one dict in a process, so two connectors on one token keep one budget.
    ``credentials`` names a page's own set of secrets ("" for the network's default):
    the variables read are ``<prefix>_<CREDENTIALS>_<KEY>``, never anything stored."""

    settings: Settings
    client: httpx.AsyncClient
    clock: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]
    credentials: str = ""
    env: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False)
    pacers: dict[str, Pacer] = field(default_factory=dict, repr=False)
    #: Replies by idempotency key, for networks with no deduplication of their own: a
    #: published comment's id, or :data:`UNKNOWN` after an ambiguous failure. Share one
    #: per process like ``pacers``; a durable one (the reply's row) survives restarts.
    ledger: MutableMapping[str, str] = field(default_factory=dict, repr=False)

    def secret(self, prefix: str, key: str) -> str:
        """A secret from the environment ("" when unset): ``VMESTE_VK_TOKEN``,
        ``VMESTE_VK_KIROV_TOKEN`` for credentials ``kirov``."""
        parts = [prefix, self.credentials.upper(), key.upper()]
        return self.env.get("_".join(p for p in parts if p), "")

    def pacer(self, network: str, rate: int, period: float = 1.0) -> Pacer:
        """The pacer of this network and credentials, made on first use."""
        key = f"{network}:{self.credentials}:{rate}/{period}"
        if key not in self.pacers:
            self.pacers[key] = Pacer(rate, period, self.clock, self.sleep)
        return self.pacers[key]


class Connector(Protocol):
    """One network, one set of credentials. Reads (``fetch``, ``profile``) retry on
    their own within the kind's settings; ``publish`` retries only where the network
    deduplicates, and otherwise checks before it posts again."""

    network: str

    async def fetch(self, page_id: str, cursor: str, /) -> FetchedPage:
        """Posts and comments since ``cursor`` ("" the first time), oldest first."""

    def parse_webhook(self, request: WebhookRequest, /) -> WebhookResult:
        """Check a push's secret (:class:`Unauthorized` when wrong) and read its posts."""

    async def publish(self, reply: Reply, /) -> Published:
        """Publish ``reply`` once, however often it is called with one key."""

    async def profile(self, page_id: str, /) -> PageProfile:
        """The page's facts for the compliance checks."""


class ConnectorFactory(Protocol):
    """Builds a network's connector from what it is handed and its merged settings."""

    def __call__(self, context: ConnectorContext, settings: Mapping[str, Any], /
                 ) -> Connector: ...


def retry_policy(settings: Mapping[str, Any]) -> RetryPolicy:
    """The kind's shared settings as the retry helper takes them."""
    return RetryPolicy(attempts=settings[MAX_ATTEMPTS],
                       max_retry_after=settings[MAX_RETRY_AFTER])


def _validate(settings: Mapping[str, Any]) -> list[str]:
    problems = []
    for name, low, high in ((MAX_ATTEMPTS, 1, 20), (MAX_RETRY_AFTER, 0, 86_400)):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(_("{name} is an integer from {low} to {high}", name=name, low=low,
                              high=high))
    return problems


def validate_known(*own: str) -> Callable[[Mapping[str, Any]], list[str]]:
    """A strategy's ``validate`` refusing keys that are neither shared nor ``own``."""
    return lambda settings: unknown_settings(settings, (MAX_ATTEMPTS, MAX_RETRY_AFTER), own)


CONNECTOR_KIND = StrategyKind(
    name="connector",
    description="Social networks official pages are read and answered on: one strategy "
                "per network, each a factory of connectors (fetch, webhook, publish, "
                "profile); tokens come from the environment.",
    handler=ConnectorFactory, mode=Mode.SWITCHES,
    defaults={MAX_ATTEMPTS: 5, MAX_RETRY_AFTER: 300}, validate=_validate)


__all__ = [
    "CONNECTOR_KIND", "UNKNOWN", "AmbiguousDelivery", "Connector", "ConnectorContext",
    "ConnectorError", "ConnectorFactory", "FetchedPage", "NotFound", "PageProfile", "Post",
    "Published", "RateLimited", "Reply", "TransientError", "Unauthorized", "Unsupported",
    "WebhookRequest", "WebhookResult", "retry_policy", "validate_known"
]
