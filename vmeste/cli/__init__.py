"""The ``vmeste`` command: run, migrate, import, and inspect the platform."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import pluggy

from vmeste.cli.common import execute
from vmeste.platform.i18n import SUPPORTED
from vmeste.platform.settings import SettingsError, load_settings


def areas() -> Iterator[ModuleType]:
    """Every module of this package with a ``register(subparsers)``, in name order:
    a component's commands (``vmeste/cli/polls.py``) need no edit here."""
    import vmeste.cli

    for info in sorted(pkgutil.iter_modules(vmeste.cli.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"vmeste.cli.{info.name}")
        if callable(getattr(module, "register", None)):
            yield module


def build_parser(plugins: pluggy.PluginManager | None = None) -> argparse.ArgumentParser:
    """The built-in commands, then those the plugins add (``vmeste_cli_commands``)."""
    parser = argparse.ArgumentParser(prog="vmeste", description=__doc__)
    parser.add_argument("--lang", choices=SUPPORTED,
                        help="language of messages (default: from LC_ALL, LC_MESSAGES or "
                             "LANG, else VMESTE_LOCALE)")
    sub = parser.add_subparsers(dest="command", required=True)
    for area in areas():
        area.register(sub)
    if plugins is not None:
        plugins.hook.vmeste_cli_commands(subparsers=sub)
    return parser


def _plugins() -> pluggy.PluginManager | None:
    """None while the settings are invalid: the command then stops on them, through
    the one error handler, instead of a traceback while the parser is built."""
    from vmeste.platform.plugins import build_plugin_manager

    try:
        return build_plugin_manager(load_settings())
    except SettingsError:
        return None


def main(argv: list[str] | None = None) -> None:
    args = build_parser(_plugins()).parse_args(argv)
    if getattr(args, "dev", False):
        os.environ.setdefault("VMESTE_DEV_MODE", "1")
    raise SystemExit(execute(args.func, load_settings, args))
