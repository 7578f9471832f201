"""Development tokens: token."""

from __future__ import annotations

import argparse
from typing import Any

from vmeste.cli.common import EXIT_USAGE, fail, past_date, run_with_db
from vmeste.platform.identity.dev_tokens import GENDERS, DevProfile
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import ORGANIZATION_ROLES, TERRITORY_ROLES
from vmeste.platform.reference.validators import ogrn_problem
from vmeste.platform.settings import Settings

#: Territory roles that need no --territory: the configurator defaults to the country.
UNSCOPED_TERRITORY_ROLES = frozenset({Role.FEDERAL_CONFIGURATOR})


def _ogrn(text: str) -> str:
    if problem := ogrn_problem(text):
        raise argparse.ArgumentTypeError(f"{text!r}: {problem}")
    return text


def cmd_token(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.identity.dev_tokens import issue_dev_token

    if not settings.dev_mode:
        fail("'vmeste token' works only in dev mode (VMESTE_DEV_MODE=1)", EXIT_USAGE)
    role = Role(args.role)
    if role in ORGANIZATION_ROLES and not args.org:
        fail(f"--role {role.value} needs --org OGRN (the organization it works for)",
             EXIT_USAGE)
    if role in TERRITORY_ROLES - UNSCOPED_TERRITORY_ROLES and not args.territory:
        fail(f"--role {role.value} needs --territory CODE (the territory it covers)",
             EXIT_USAGE)
    profile = DevProfile(complete=True, birthdate=args.birthdate, gender=args.gender,
                         address_oktmo=args.address_oktmo or "", verified=not args.unverified,
                         legal_entity_ogrn=args.legal_entity or "")

    async def action() -> str:
        return await issue_dev_token(settings, role, organization_ogrn=args.org,
                                     territory_code=args.territory, subject=args.sub,
                                     profile=profile)

    print(run_with_db(settings, action))


def register(sub: Any) -> None:
    token = sub.add_parser("token", help="print a development token (dev mode only)",
                           description="Create (or update) a dev user with a full ESIA-like "
                           "profile, grant it the role, and print a signed bearer token.")
    token.add_argument("--role", required=True, choices=[r.value for r in Role],
                       help="the role to grant")
    token.add_argument("--org", metavar="OGRN",
                       help="the organization, for " + ", ".join(
                           sorted(r.value for r in ORGANIZATION_ROLES)))
    token.add_argument("--territory", metavar="CODE",
                       help="the territory, for " + ", ".join(
                           sorted(r.value for r in TERRITORY_ROLES)) +
                       " (federal_configurator: default RU)")
    token.add_argument("--sub", help="subject (user id) to issue the token for "
                       "(default dev-<role>-<scope>)")
    token.add_argument("--birthdate", type=past_date, metavar="YYYY-MM-DD",
                       default=DevProfile().birthdate, help="birth date (default %(default)s)")
    token.add_argument("--gender", choices=GENDERS, default=GENDERS[0],
                       help="gender (default %(default)s)")
    token.add_argument("--address-oktmo", metavar="CODE",
                       help="OKTMO of the registered address, a known territory (default: "
                       "the token's territory or organization's, else the first municipality)")
    token.add_argument("--unverified", action="store_true",
                       help="an unconfirmed ESIA account (verified by default)")
    token.add_argument("--legal-entity", type=_ogrn, metavar="OGRN",
                       help="act as the representative of this legal entity")
    token.set_defaults(func=cmd_token)
