"""Development tokens: token."""

from __future__ import annotations

import argparse
from typing import Any

from vmeste.cli.common import EXIT_USAGE, domain_message, fail, run_with_db
from vmeste.platform.identity.models import Role
from vmeste.platform.settings import Settings


def cmd_token(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.errors import DomainError
    from vmeste.platform.identity.dev_tokens import issue_dev_token

    if not settings.dev_mode:
        fail("'vmeste token' works only in dev mode (VMESTE_DEV_MODE=1)", EXIT_USAGE)

    async def action() -> str:
        return await issue_dev_token(settings, Role(args.role), organization_ogrn=args.org,
                                     territory_code=args.territory, subject=args.sub)

    try:
        print(run_with_db(settings, action))
    except DomainError as error:
        fail(domain_message(error))


def register(sub: Any) -> None:
    token = sub.add_parser("token", help="print a development token (dev mode only)")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--org", help="ОГРН, for operator, executor and org_admin")
    token.add_argument("--territory", help="territory code, for territory roles")
    token.add_argument("--sub", help="subject (user id) to issue the token for")
    token.set_defaults(func=cmd_token)
