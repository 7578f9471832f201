"""Open311 client applications' API keys: create, list, revoke (an administrator's
acts, each audited)."""

from __future__ import annotations

import argparse
from typing import Any

from vmeste.cli.common import run_with_db
from vmeste.cli.reference import CLI_ACTOR
from vmeste.platform.settings import Settings


def _client_id(text: str) -> int:
    from vmeste.platform.open311.formats import number

    if (found := number(text)) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a client number")
    return found


def cmd_create(settings: Settings, args: argparse.Namespace) -> None:
    """The key is printed alone on the last line: shown this once, stored as a hash."""
    from vmeste.platform.identity.principal import SYSTEM
    from vmeste.platform.open311.keys import create_key

    made = run_with_db(settings, lambda: create_key(SYSTEM, args.name, args.territory,
                                                    actor=CLI_ACTOR))
    where = f", territory {args.territory}" if args.territory else ""
    print(f"client {made.client.id}: {made.client.name}{where}")
    print("the key is shown only now; keep it secret:")
    print(made.key)


def cmd_list(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.identity.principal import SYSTEM
    from vmeste.platform.open311.keys import list_keys

    for client in run_with_db(settings, lambda: list_keys(SYSTEM)):
        state = (f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at
                 else "active")
        territory = client.territory.code if client.territory else "-"
        print(f"{client.id:>5}  {client.key_prefix}…  {state:<24} {territory:<11} "
              f"{client.created_at:%Y-%m-%d}  {client.created_by}  {client.name}")


def cmd_revoke(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.identity.principal import SYSTEM
    from vmeste.platform.open311.keys import revoke_key

    client = run_with_db(settings, lambda: revoke_key(SYSTEM, args.id, actor=CLI_ACTOR))
    print(f"client {client.id}: key revoked")


def register(sub: Any) -> None:
    open311 = sub.add_parser("open311", help="Open311 GeoReport v2: client applications")
    area = open311.add_subparsers(dest="area", required=True, metavar="AREA",
                                  help="keys: client applications' API keys")
    keys = area.add_parser("keys", help="API keys of client applications")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION",
                                  help="create, list or revoke")
    create = actions.add_parser("create", help="make a key for a client application and "
                                "print it (alone, on the last line)")
    create.add_argument("--name", required=True, help="the application's name")
    create.add_argument("--territory", metavar="CODE",
                        help="where requests giving only an address string are filed "
                             "(a city's own application)")
    create.set_defaults(func=cmd_create)
    actions.add_parser("list", help="list client applications and their keys' state"
                       ).set_defaults(func=cmd_list)
    revoke = actions.add_parser("revoke", help="revoke a client application's key")
    revoke.add_argument("id", type=_client_id, help="the client's number (from list)")
    revoke.set_defaults(func=cmd_revoke)
