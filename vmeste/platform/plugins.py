"""The plugin manager: built-in plugins first, then the ``vmeste`` entry points.

``VMESTE_PLUGINS`` is an allow-list for third-party plugins (unset means all
installed); ``VMESTE_DISABLE_PLUGINS`` blocks any plugin, built-in or not, by name.
"""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import entry_points
from typing import Any

import pluggy

from vmeste.platform import hookspecs
from vmeste.platform.components import builtin_modules
from vmeste.platform.hookspecs import StrategySpec
from vmeste.platform.notifications.channels import ChannelStrategies
from vmeste.platform.settings import Settings

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
)
ENTRY_POINT_GROUP = "vmeste"
#: The plugin offering every installed notification channel as a strategy; part of
#: the platform, so named like the components and never blocked.
CHANNEL_STRATEGIES = "vmeste.platform.notifications.channels"


def plugin_name(module_path: str) -> str:
    """Built-in plugins are named by their module's last component."""
    return module_path.rsplit(".", 1)[-1]


def build_plugin_manager(settings: Settings) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("vmeste")
    pm.add_hookspecs(hookspecs)
    # Components first, and never blocked: they are the platform itself.
    for module in builtin_modules():
        pm.register(module, name=module.__name__)
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
    return pm


async def await_me_maybe(value: Any) -> Any:
    """Hooks may answer with a value or an awaitable; callers need not care which."""
    if inspect.isawaitable(value):
        return await value
    return value


def strategy_catalog(pm: pluggy.PluginManager) -> dict[tuple[str, str], StrategySpec]:
    """Every declared strategy, keyed by (kind, name)."""
    catalog: dict[tuple[str, str], StrategySpec] = {}
    for specs in pm.hook.vmeste_strategies():
        for spec in specs:
            catalog[(spec.kind, spec.name)] = spec
    return catalog


def strategy_owners(pm: pluggy.PluginManager) -> dict[tuple[str, str], str]:
    """Which plugin declared each strategy, for ``vmeste plugins``."""
    owners: dict[tuple[str, str], str] = {}
    for impl in pm.hook.vmeste_strategies.get_hookimpls():
        for spec in impl.function():
            owners[(spec.kind, spec.name)] = impl.plugin_name
    return owners


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
