"""Every hook a Vmeste plugin can implement.

A plugin is a module or object with functions marked ``@hookimpl`` and named after a
spec below. Built-in plugins (``vmeste.plugins``) use exactly the same hooks as
third-party packages, which register through the ``vmeste`` entry-point group.

Any hook may return an awaitable instead of a value; the platform awaits it. Each spec
is documented in ``docs/plugins.md`` and exercised in ``tests/test_plugins.py``; the
suite fails when either is missing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from vmeste.platform.components import Component
    from vmeste.platform.events.domain import DomainEvent
    from vmeste.platform.identity.models import User
    from vmeste.platform.identity.tokens import IdentityClaims
    from vmeste.platform.notifications.channels import OutgoingMessage
    from vmeste.platform.runtime import Runtime
    from vmeste.platform.settings import Settings

hookspec = pluggy.HookspecMarker("vmeste")
hookimpl = pluggy.HookimplMarker("vmeste")


@dataclass(frozen=True)
class StrategySpec:
    """A strategy a plugin offers for region policies to choose.

    ``handler`` does the work; its signature depends on the kind (see
    ``docs/plugins.md``). ``validate`` returns human-readable (Russian) problems with a
    settings object, so a region administrator sees a bad policy refused when saving
    it, not when it runs. Where no region policy of the kind exists anywhere on a
    territory's path, the strategies marked ``default`` apply. Kinds that run a chain
    of strategies (routing, moderation) run them by ``order``, lowest first; a policy's
    ``order`` setting overrides it.
    """

    kind: str
    name: str
    description: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    validate: Callable[[Mapping[str, Any]], list[str]] | None = None
    handler: Callable[..., Any] | None = None
    default: bool = False
    order: int = 100


@dataclass(frozen=True)
class ChannelSpec:
    """A way of telling people about appeal events (``name`` is one of
    :class:`vmeste.platform.notifications.models.NotificationChannel`).

    ``send`` hands one message over and raises on failure (a
    :class:`vmeste.platform.notifications.channels.DeliveryError` with a message free of
    addresses and secrets; any other exception is logged by its type only); None means
    the message is complete when stored (the in-app inbox). ``address`` says where a
    user is reached on this channel, "" when nowhere; None for channels whose
    recipients are not users (webhooks). ``default_on`` is the choice of users who set
    no preference.
    """

    name: str
    description: str
    send: Callable[[OutgoingMessage], Awaitable[None]] | None = None
    address: Callable[[User], str] | None = None
    default_on: bool = False


@hookspec(firstresult=True)
def vmeste_resolve_identity(
    token: str, settings: Settings
) -> IdentityClaims | Awaitable[IdentityClaims | None] | None:
    """Verify a bearer token and return who it identifies.

    Return None when the token's issuer is not yours, so the next provider can try.
    Raise :class:`vmeste.platform.identity.tokens.TokenError` when the token is yours but
    invalid (bad signature, expired, wrong audience); the caller gets HTTP 401.
    """


@hookspec
def vmeste_strategies() -> list[StrategySpec]:
    """Declare the strategies this plugin offers, by kind, for region policies to pick."""


@hookspec
def vmeste_notification_channels(settings: Settings) -> list[ChannelSpec]:
    """Declare the notification channels this plugin delivers through (SMS, push, …),
    configured from ``settings``; return none to stay off."""


@hookspec
def vmeste_component() -> Component:
    """Declare a component: its models, outbox topics and services (see
    :class:`vmeste.platform.components.Component`); the platform's own parts and every
    built-in component declare themselves through this hook too."""


@hookspec
def vmeste_domain_event(event: DomainEvent, runtime: Runtime) -> Awaitable[None] | None:
    """React to a step of any component (an appeal submitted, routed, answered, overdue,
    …) after its transaction committed: forward it to a regional CRM or ЦУР system.

    Delivered through the outbox, to each implementing plugin separately and at least
    once: a worker that dies after the call and before recording it delivers the event
    again, so key your side's idempotency on ``event.dedupe_key``. Raise to have the
    delivery retried with back-off (then dead-lettered); other plugins are not affected.
    ``event`` holds ids and statuses only (see
    :class:`vmeste.platform.events.domain.DomainEvent`).
    """
