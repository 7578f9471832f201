"""Every hook a Vmeste plugin can implement.

A plugin is a module or object with functions marked ``@hookimpl`` and named after a
spec below. Built-in plugins (``vmeste.plugins``) use exactly the same hooks as
third-party packages, which register through the ``vmeste`` entry-point group.

``vmeste_resolve_identity``, ``vmeste_startup_checks`` and ``vmeste_domain_event`` may
return an awaitable, which the platform awaits; the declaring hooks (components, kinds,
strategies, channels, schema parts, routes, CLI commands) are called while the process is
built, before any event loop, and must return their value directly. Each spec
is documented in ``docs/plugins.md`` and exercised in ``tests/test_plugins.py``; the
suite fails when either is missing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from vmeste.platform.components import Component
    from vmeste.platform.events.domain import DomainEvent
    from vmeste.platform.identity.models import User
    from vmeste.platform.identity.tokens import IdentityClaims
    from vmeste.platform.notifications.channels import OutgoingMessage
    from vmeste.platform.runtime import Runtime
    from vmeste.platform.settings import Settings
    from vmeste.platform.strategies import StrategyKind

hookspec = pluggy.HookspecMarker("vmeste")
hookimpl = pluggy.HookimplMarker("vmeste")


@dataclass(frozen=True)
class StrategySpec:
    """A strategy a plugin offers for region policies to choose.

    ``kind`` names a :class:`vmeste.platform.strategies.StrategyKind`, whose
    ``handler`` Protocol ``handler`` must satisfy (see ``docs/plugins.md``).
    ``defaults`` are this strategy's own settings: the kind's shared settings are
    merged under them by the platform. ``validate`` gets the merged settings (shared
    defaults, then these defaults, then the region policies' layers) and returns
    human-readable (Russian) problems, so a region administrator sees a bad policy
    refused when saving it, not when it runs. Where no region policy of the kind
    exists anywhere on a territory's path, the strategies marked ``default`` apply;
    the others are off until a policy picks them. Kinds that order their strategies
    (chains, first-wins) order them by ``order``, lowest first; a policy's ``order``
    setting overrides it.
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
class ChannelSettings:
    """The settings a channel takes from region policies, and the secrets it takes
    from the environment only.

    ``defaults`` are the settings where no policy says otherwise; ``validate`` returns
    human-readable (Russian) problems with a policy's settings, checked when the policy
    is saved. ``secrets`` maps a key of ``OutgoingMessage.secrets`` to the environment
    variable holding it (``{"token": "VMESTE_MESSENGER_TOKEN"}``); a policy naming one
    of these keys is refused.
    """

    defaults: Mapping[str, Any] = field(default_factory=dict)
    validate: Callable[[Mapping[str, Any]], list[str]] | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelSpec:
    """A way of telling people about events (see ``docs/plugins.md``).

    ``name`` matches :data:`vmeste.platform.notifications.channels.CHANNEL_NAME` and is
    also the channel's strategy of kind ``notification``, which region policies switch
    on and off and configure. ``send`` hands one message over and raises on failure (a
    :class:`vmeste.platform.notifications.channels.DeliveryError` with a message free of
    addresses and secrets; any other exception is logged by its type only); None means
    the message is complete when stored (the in-app inbox). ``address`` says where a
    user is reached on this channel, "" when nowhere; None for channels whose
    recipients are not users (webhooks). ``default_on`` is the choice of users who set
    no preference. ``default``: active where no region policy of kind ``notification``
    decides; a channel that is not stays off until a policy switches it on.
    """

    name: str
    description: str
    send: Callable[[OutgoingMessage], Awaitable[None]] | None = None
    address: Callable[[User], str] | None = None
    default_on: bool = False
    default: bool = False
    settings: ChannelSettings = field(default_factory=ChannelSettings)


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
def vmeste_strategy_kinds() -> list[StrategyKind]:
    """Declare kinds of strategy (their handler Protocol, shared settings and how they
    run); every ``StrategySpec.kind`` must name a declared kind."""


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
def vmeste_http_routes(settings: Settings) -> list[BaseRoute]:
    """Add HTTP endpoints beside ``/graphql`` (a regional gateway, a site widget's page):
    Starlette routes, mounted after the platform's own; a path already served is refused
    at start. They run behind the same middlewares (body limit, load shedding,
    authentication: ``request.scope["state"]["principal"]`` is the caller). Return the
    list itself, not an awaitable: routes are built before the event loop starts."""


@hookspec
def vmeste_startup_checks(settings: Settings) -> list[str]:
    """Say what keeps this plugin from working with ``settings`` (a secret that is not
    set, a URL that does not parse): one sentence per problem, naming what to fix; an
    empty list when all is well. The API, ``vmeste serve``, ``vmeste worker`` and
    ``vmeste scheduler`` refuse to start while any problem remains."""


@hookspec
def vmeste_graphql_schema(settings: Settings) -> Any:
    """Add to the GraphQL schema: return a :class:`vmeste.schema.parts.SchemaPart` (Query,
    Mutation and Subscription mixins, DataLoader factories, extra types), merged with
    the built-in areas' parts; None adds nothing. (Typed ``Any`` here because the
    platform imports nothing from ``vmeste.schema``.)"""


@hookspec
def vmeste_cli_commands(subparsers: Any) -> None:
    """Add ``vmeste`` subcommands: call ``subparsers.add_parser(...)`` and
    ``set_defaults(func=command)``, where ``command(settings, args)`` raises
    :class:`vmeste.cli.common.CommandError` for an expected failure (the one error
    handler turns it into a line on stderr and an exit code)."""


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
