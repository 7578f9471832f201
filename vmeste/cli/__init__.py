"""The ``vmeste`` command: run, migrate, import, and inspect the platform."""

from __future__ import annotations

import argparse
import os

from vmeste.cli import database, deadlines, identity, operations, reference
from vmeste.cli.common import execute
from vmeste.platform.i18n import SUPPORTED
from vmeste.platform.settings import load_settings

#: Each area adds its subcommands, in the order ``vmeste --help`` lists them.
AREAS = (database, reference, deadlines, identity, operations)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vmeste", description=__doc__)
    parser.add_argument("--lang", choices=SUPPORTED,
                        help="language of messages (default: from LC_ALL, LC_MESSAGES or "
                             "LANG, else VMESTE_LOCALE)")
    sub = parser.add_subparsers(dest="command", required=True)
    for area in AREAS:
        area.register(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if getattr(args, "dev", False):
        os.environ.setdefault("VMESTE_DEV_MODE", "1")
    raise SystemExit(execute(args.func, load_settings, args))
