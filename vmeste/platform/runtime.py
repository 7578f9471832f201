"""Everything a process builds once at start: plugins, caches and the services that
use them. The API, the CLI and the workers build it the same way."""

from __future__ import annotations

from dataclasses import dataclass

import pluggy

from vmeste.platform.appeals.geo import BoundaryIndex
from vmeste.platform.appeals.router import Router
from vmeste.platform.appeals.routing import RoutingTable
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.deadlines.store import CalendarStore
from vmeste.platform.deadlines.terms import Deadlines
from vmeste.platform.hookspecs import ChannelSpec
from vmeste.platform.identity.authenticate import Authenticator
from vmeste.platform.notifications.channels import channel_registry
from vmeste.platform.plugins import build_plugin_manager
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    plugins: pluggy.PluginManager
    resolver: PolicyResolver
    routing_table: RoutingTable
    router: Router
    appeals: AppealServices
    authenticate: Authenticator
    #: Installed notification channels by name (inbox, email, webhook, sms, push).
    channels: dict[str, ChannelSpec]


def build_runtime(settings: Settings) -> Runtime:
    plugins = build_plugin_manager(settings)
    resolver = PolicyResolver(plugins, check_seconds=settings.policy_cache_seconds)
    table = RoutingTable(check_seconds=settings.policy_cache_seconds)
    router = Router(resolver, table, BoundaryIndex(settings.policy_cache_seconds))
    deadlines = Deadlines(resolver, CalendarStore(settings.policy_cache_seconds),
                          settings.policy_cache_seconds)
    return Runtime(settings=settings, plugins=plugins, resolver=resolver, routing_table=table,
                   router=router, appeals=AppealServices(resolver=resolver, router=router,
                                                         deadlines=deadlines),
                   authenticate=Authenticator(settings, plugins, settings.auth_cache_seconds),
                   channels=channel_registry(plugins, settings))
