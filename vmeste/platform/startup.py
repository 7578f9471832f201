"""Startup checks: a plugin whose configuration is broken (a secret that is not set, a
URL that does not parse) says so before the process serves anything, rather than at
the first request or job that needs it.

A check returns a list of problems, each one sentence naming what to fix; an empty list
means the plugin can start. The API's lifespan, ``vmeste serve``, ``vmeste worker``
and ``vmeste scheduler`` refuse to start while any problem remains.
"""

from __future__ import annotations

import pluggy

from vmeste.platform.plugins import await_me_maybe
from vmeste.platform.settings import Settings


class StartupRefused(Exception):
    """Some plugins cannot start; ``problems`` are ``"<plugin>: <problem>"`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} plugin configuration problem(s): "
                         + "; ".join(problems))
        self.problems = problems


async def startup_problems(pm: pluggy.PluginManager, settings: Settings) -> list[str]:
    """Every plugin's problems, in registration order, each prefixed by the plugin."""
    arguments = {"settings": settings}
    problems: list[str] = []
    for impl in reversed(pm.hook.vmeste_startup_checks.get_hookimpls()):
        found = await await_me_maybe(impl.function(*(arguments[n] for n in impl.argnames)))
        problems += [f"{impl.plugin_name}: {problem}" for problem in found or ()]
    return problems


async def require_startable(pm: pluggy.PluginManager, settings: Settings) -> None:
    if problems := await startup_problems(pm, settings):
        raise StartupRefused(problems)
