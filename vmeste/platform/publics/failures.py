"""How a connector fails: typed, so callers choose between waiting, retrying, asking a
person and giving up, and worded so that a log line never holds a token or a text."""

from __future__ import annotations


class ConnectorError(Exception):
    """A network call failed; the message names the network and method, nothing else."""


class RateLimited(ConnectorError):
    """The network asked us to wait ``retry_after`` seconds (VK errors 6, 9, 29 carry
    no figure: the connector's own backoff supplies one)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unauthorized(ConnectorError):
    """The token (or a webhook's secret) is wrong, revoked or lacks a right."""


class NotFound(ConnectorError):
    """The page, post or chat does not exist or is not visible to the token."""


class TransientError(ConnectorError):
    """A failure worth retrying. ``ambiguous``: the request may have been carried out
    (the connection broke after sending, a 5xx answer), so a call that is not
    idempotent must not simply be sent again."""

    def __init__(self, message: str, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous


class Unsupported(ConnectorError):
    """The network offers no such thing for pages (OK pushes nothing to a group's
    owner: poll it with ``fetch``)."""


class AmbiguousDelivery(ConnectorError):
    """An answer may or may not have been published and the network offers no way to
    tell (Telegram's Bot API can read no chat history): it stays unsent until a person
    looks at the chat and says which (see the Telegram connector)."""
