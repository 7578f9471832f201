"""The plugin manager: built-in plugins first, then the ``vmeste`` entry points.

``VMESTE_PLUGINS`` is an allow-list for third-party plugins (unset means all
installed); ``VMESTE_DISABLE_PLUGINS`` blocks any plugin, built-in or not, by name.
"""

from __future__ import annotations

import importlib
import inspect
from functools import lru_cache
from importlib import metadata
from typing import Any

import pluggy

from vmeste.platform import hookspecs
from vmeste.platform.components import Component, builtin_modules, declared
from vmeste.platform.hookspecs import StrategySpec
from vmeste.platform.notifications.channels import ChannelStrategies
from vmeste.platform.settings import Settings
from vmeste.platform.strategies import check_strategies, declared_strategies

DEFAULT_PLUGINS: tuple[str, ...] = (
    "vmeste.plugins.identity_oidc",
    "vmeste.plugins.identity_dev",
    "vmeste.plugins.routing",
    "vmeste.plugins.moderation",
    "vmeste.plugins.notify_inbox",
    "vmeste.plugins.notify_email",
    "vmeste.plugins.notify_webhook",
    "vmeste.plugins.notify_dev",
    "vmeste.plugins.deadlines",
    "vmeste.plugins.voting",
    "vmeste.plugins.connectors_vk",
    "vmeste.plugins.connectors_ok",
    "vmeste.plugins.connectors_telegram",
    "vmeste.plugins.storage_local",
    "vmeste.plugins.storage_s3",
    "vmeste.plugins.scan_clamav",
)
ENTRY_POINT_GROUP = "vmeste"
#: The plugin offering every installed notification channel as a strategy; part of
#: the platform, so named like the components and never blocked.
CHANNEL_STRATEGIES = "vmeste.platform.notifications.channels"


@lru_cache(maxsize=4)
def entry_points(group: str) -> tuple[metadata.EntryPoint, ...]:
    """A group's installed entry points, read once per process: reading them scans every
    installed distribution's metadata (about 15 ms here), and a process builds its
    manager more than once (for the ORM's model list, then for the runtime)."""
    return tuple(metadata.entry_points(group=group))


def plugin_name(module_path: str) -> str:
    """Built-in plugins are named by their module's last component."""
    return module_path.rsplit(".", 1)[-1]


def _with_components() -> pluggy.PluginManager:
    """A manager holding the built-in components, registered first and never blocked:
    they are the platform itself."""
    pm = pluggy.PluginManager("vmeste")
    pm.add_hookspecs(hookspecs)
    for module in builtin_modules():
        pm.register(module, name=module.__name__)
    return pm


def build_plugin_manager(settings: Settings) -> pluggy.PluginManager:
    pm = _with_components()
    blocked = set(settings.disable_plugins)
    for module_path in DEFAULT_PLUGINS:
        name = plugin_name(module_path)
        if name not in blocked:
            pm.register(importlib.import_module(module_path), name=name)
    allowed = None if settings.plugins is None else set(settings.plugins)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in blocked or (allowed is not None and entry.name not in allowed):
            continue
        if pm.get_plugin(entry.name) is None:
            pm.register(entry.load(), name=entry.name)
    pm.register(ChannelStrategies(pm, settings), name=CHANNEL_STRATEGIES)
    pm.check_pending()
    check_strategies(pm)
    return pm


@lru_cache(maxsize=1)
def installed_components() -> dict[str, Component]:
    """Every component of this installation, whatever the plugin settings allow: the
    rows of a third-party component that is blocked now still exist, and data they copy
    (territory paths) must stay true for the day it is allowed again."""
    pm = _with_components()
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if pm.get_plugin(entry.name) is None:
            pm.register(entry.load(), name=entry.name)
    return declared(pm)


async def await_me_maybe(value: Any) -> Any:
    """Hooks may answer with a value or an awaitable; callers need not care which."""
    if inspect.isawaitable(value):
        return await value
    return value


def strategy_catalog(pm: pluggy.PluginManager) -> dict[tuple[str, str], StrategySpec]:
    """Every declared strategy, keyed by (kind, name). The latest registered plugin wins
    a (kind, name), as it wins a channel name: a regional package replaces a built-in
    strategy, its ``default`` included. A channel's own strategy always wins its name:
    a strategy declared by hand for a channel would drop the channel's settings schema
    and its refusal of secrets in policies."""
    return {key: spec for key, (_, spec) in _winners(pm).items()}


def strategy_owners(pm: pluggy.PluginManager) -> dict[tuple[str, str], str]:
    """Which plugin declared each strategy (the one that wins it), for ``vmeste plugins``."""
    return {key: plugin for key, (plugin, _) in _winners(pm).items()}


def _winners(pm: pluggy.PluginManager) -> dict[tuple[str, str], tuple[str, StrategySpec]]:
    declared = list(declared_strategies(pm))
    found = {(spec.kind, spec.name): (plugin, spec) for plugin, spec in declared}
    found.update({(spec.kind, spec.name): (plugin, spec) for plugin, spec in declared
                  if plugin == CHANNEL_STRATEGIES})
    return found


async def first_result(hook: pluggy.HookCaller, **kwargs: Any) -> Any:
    """Call a ``firstresult`` hook whose implementations may be async.

    pluggy stops at the first non-None return, but a coroutine is never None even when it
    will resolve to None; so implementations are called and awaited one at a time, in
    pluggy's own order, until one answers.
    """
    for impl in reversed(hook.get_hookimpls()):
        value = await await_me_maybe(impl.function(*(kwargs[name] for name in impl.argnames)))
        if value is not None:
            return value
    return None
