"""Publics: take official pages' snapshots now, and print their compliance shares."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from vmeste.cli.common import EXIT_USAGE, CommandError, run_with_db
from vmeste.platform.settings import Settings


def _page_number(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) > 2**31 - 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a page number")
    return int(text)


def cmd_snapshot(settings: Settings, args: argparse.Namespace) -> None:
    """Synchronously, through the connectors: one page, a region's, or every active one."""
    from vmeste.platform.identity.principal import SYSTEM
    from vmeste.platform.publics.models import OfficialPage, PageStatus
    from vmeste.platform.publics.services import PublicsServices
    from vmeste.platform.reference.models import Territory, subtree
    from vmeste.platform.runtime import build_runtime

    runtime = build_runtime(settings)

    async def action() -> list[tuple[int, str]]:
        query = OfficialPage.filter(status=PageStatus.ACTIVE)
        if args.page is not None:
            query = OfficialPage.filter(id=args.page)
        elif args.region:
            region = await Territory.get_or_none(code=args.region)
            if region is None:
                raise CommandError(f"territory {args.region} not found", EXIT_USAGE)
            query = query.filter(subtree(region.path, "territory_path"))
        ids = await query.order_by("id").values_list("id", flat=True)
        if args.page is not None and not ids:
            raise CommandError(f"official page {args.page} not found", EXIT_USAGE)
        services = runtime.service(PublicsServices)
        taken = []
        for page_id in ids:
            snapshot = await services.take_snapshot(SYSTEM, page_id)
            taken.append((page_id, snapshot.error))
        return taken

    for page_id, error in run_with_db(settings, action):
        print(f"page {page_id}: {error or 'ok'}")


def cmd_compliance(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.publics.exports import shares_csv, shares_with_names

    shares, names = run_with_db(settings, lambda: shares_with_names(args.region, args.on))
    if args.csv:
        sys.stdout.write(shares_csv(shares, names))
        return
    for share in shares:
        print(f"{share.territory_code:<12} {share.rule_code or '(all rules)':<26} "
              f"{share.passing:>5}/{share.pages:<5} {share.share:7.1%}")


def register(sub: Any) -> None:
    publics = sub.add_parser("publics", help="official pages: snapshots and compliance")
    actions = publics.add_subparsers(dest="action", required=True, metavar="ACTION",
                                     help="snapshot, compliance")
    snapshot = actions.add_parser(
        "snapshot", help="read official pages through their connectors now and check "
                         "every compliance rule (default: every active page)")
    which = snapshot.add_mutually_exclusive_group()
    which.add_argument("--page", type=_page_number, help="one page, by its number")
    which.add_argument("--region", metavar="CODE", help="the active pages of a territory")
    snapshot.set_defaults(func=cmd_snapshot)
    compliance = actions.add_parser(
        "compliance", help="the compliance shares per territory and rule, from each "
                           "page's latest snapshot")
    compliance.add_argument("--region", metavar="CODE",
                            help="a region (default: the country and its regions)")
    compliance.add_argument("--on", type=date.fromisoformat, metavar="DATE",
                            help="the latest snapshots on or before this day")
    compliance.add_argument("--csv", action="store_true", help="print CSV instead")
    compliance.set_defaults(func=cmd_compliance, domain_exit=EXIT_USAGE)
