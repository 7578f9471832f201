"""Everything a process builds once at start: plugins, caches and the services that
use them. The API, the CLI and the workers build it the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import pluggy

from vmeste.platform.components import Component, deadline_kinds_of, declared, topics_of
from vmeste.platform.deadlines.store import CalendarStore
from vmeste.platform.deadlines.terms import Deadlines
from vmeste.platform.hookspecs import ChannelSpec
from vmeste.platform.identity.authenticate import Authenticator
from vmeste.platform.notifications.channels import channel_registry
from vmeste.platform.notifications.subjects import NotificationCatalog, catalog_of
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.plugins import build_plugin_manager
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.settings import Settings

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    plugins: pluggy.PluginManager
    resolver: PolicyResolver
    authenticate: Authenticator
    deadlines: Deadlines
    #: Installed notification channels by name.
    channels: dict[str, ChannelSpec]
    components: dict[str, Component]
    #: Every component's outbox topics by name.
    topics: dict[str, Topic]
    #: Every component's notification subjects and events.
    notifications: NotificationCatalog
    services: dict[type, object] = field(default_factory=dict)
    #: "Now" for every component's steps and the watchdog; a test sets its own.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def service(self, kind: type[T]) -> T:
        """A component's service object, found by its type."""
        found = self.services.get(kind)
        if not isinstance(found, kind):
            raise LookupError(f"no component provides {kind.__name__}")
        return found


def build_runtime(settings: Settings, plugins: pluggy.PluginManager | None = None) -> Runtime:
    """``plugins`` defaults to the manager the settings describe; a test passes its own."""
    plugins = plugins or build_plugin_manager(settings)
    resolver = PolicyResolver(plugins, check_seconds=settings.policy_cache_seconds)
    components = declared(plugins)
    runtime = Runtime(
        settings=settings, plugins=plugins, resolver=resolver,
        authenticate=Authenticator(settings, plugins, settings.auth_cache_seconds),
        deadlines=Deadlines(resolver, CalendarStore(settings.policy_cache_seconds),
                            settings.policy_cache_seconds, deadline_kinds_of(components)),
        channels=channel_registry(plugins, settings), components=components,
        topics=topics_of(components), notifications=catalog_of(components))
    for component in components.values():
        if component.services is not None:
            built = component.services(runtime)
            runtime.services[type(built)] = built
    return runtime
