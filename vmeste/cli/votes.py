"""Votes: export a vote's results (CSV) or ballots (Pabulib)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from vmeste.cli.common import EXIT_USAGE, STDOUT, CommandError, output, run_with_db, wrote
from vmeste.platform.settings import Settings
from vmeste.platform.votes.exports import results_csv
from vmeste.platform.votes.models import Vote
from vmeste.platform.votes.pabulib import pabulib

#: Every format ``vmeste votes export`` writes, with what it holds. A new format is one
#: more entry here.
FORMATS: dict[str, tuple[str, Callable[[Vote], Awaitable[str]]]] = {
    "csv": ("results and breakdowns (CSV)", results_csv),
    "pabulib": ("counted ballots (Pabulib .pb)", pabulib),
}


def vote_number(text: str) -> int:
    """An argparse type: the vote's number (the key inside its GraphQL id)."""
    if not text.isascii() or not text.isdigit() or int(text) > 2**31 - 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a vote number")
    return int(text)


def cmd_export(settings: Settings, args: argparse.Namespace) -> None:
    _, export = FORMATS[args.format]

    async def action() -> str:
        vote = await Vote.get_or_none(id=args.vote_id)
        if vote is None:
            raise CommandError(f"vote {args.vote_id} not found", EXIT_USAGE)
        return await export(vote)

    text = run_with_db(settings, action)
    with output(args.output) as file:
        file.write(text)
    wrote(args.output, f"vote {args.vote_id} exported as {args.format}")


def register(sub: Any) -> None:
    votes = sub.add_parser("votes", help="votes: export results and ballots")
    actions = votes.add_subparsers(dest="action", required=True, metavar="ACTION",
                                   help="export: write a vote's results or ballots")
    export = actions.add_parser(
        "export", help="write a vote's results as CSV or its counted ballots in the Pabulib "
                       "format (any status: this is the operator's copy)")
    export.add_argument("vote_id", type=vote_number, metavar="VOTE_ID",
                        help="the vote's number")
    export.add_argument("--format", required=True, choices=sorted(FORMATS),
                        help="; ".join(f"{name}: {what}" for name, (what, _) in
                                       FORMATS.items()))
    export.add_argument("-o", "--output", default=STDOUT,
                        help=f"the file to write ({STDOUT}, the default: standard output)")
    export.set_defaults(func=cmd_export)
