"""Hearings: write a hearing's protocol or conclusion (its newest version) as HTML or PDF."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vmeste.cli.common import (
    EXIT_USAGE,
    STDOUT,
    CommandError,
    domain_message,
    run_with_db,
    wrote,
)
from vmeste.platform.errors import DomainError
from vmeste.platform.hearings.documents import GENERATED_IN, newest
from vmeste.platform.hearings.models import DocumentKind, Hearing
from vmeste.platform.hearings.readiness import require_ready
from vmeste.platform.hearings.rendering import render_pdf
from vmeste.platform.settings import Settings

FORMATS = ("html", "pdf")


def hearing_number(text: str) -> int:
    """An argparse type: the hearing's number (the key inside its GraphQL id)."""
    if not text.isascii() or not text.isdigit() or int(text) > 2**31 - 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a hearing number")
    return int(text)


def _write(target: str, body: bytes) -> None:
    if target == STDOUT:
        sys.stdout.flush()
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return
    with open(target, "wb") as file:
        file.write(body)


def cmd_document(settings: Settings, args: argparse.Namespace) -> None:
    kind = DocumentKind(args.action)

    async def action() -> tuple[int, bytes]:
        status = await Hearing.filter(id=args.hearing_id).values_list("status", flat=True)
        if not status:
            raise CommandError(f"hearing {args.hearing_id} not found", EXIT_USAGE)
        document = await newest(args.hearing_id, kind)
        if document is None and status[0] == GENERATED_IN[kind]:
            try:  # say what keeps it from being generated, when something does
                await require_ready(args.hearing_id, kind)
            except DomainError as error:
                raise CommandError(f"hearing {args.hearing_id} has no {kind}: "
                                   f"{domain_message(error)}") from None
        if document is None:
            raise CommandError(f"hearing {args.hearing_id} has no {kind} yet", EXIT_USAGE)
        body = await render_pdf(document.html) if args.format == "pdf" else (
            document.html.encode("utf-8"))
        return document.version, body

    version, body = run_with_db(settings, action)
    _write(args.output, body)
    wrote(args.output, f"hearing {args.hearing_id}: {kind} version {version} "
                       f"as {args.format}")


def register(sub: Any) -> None:
    hearings = sub.add_parser("hearings", help="hearings: write protocols and conclusions")
    actions = hearings.add_subparsers(
        dest="action", required=True, metavar="ACTION",
        help="protocol, conclusion: write the newest version of a hearing's document")
    for kind, what in ((DocumentKind.PROTOCOL, "protocol (Town Planning Code art. 5.1 "
                                               "part 18)"),
                       (DocumentKind.CONCLUSION, "conclusion (art. 5.1 part 22)")):
        command = actions.add_parser(
            str(kind), help=f"write the newest version of a hearing's {what}, published "
                            "or not (this is the operator's full copy, with the "
                            "participants' annex); without one, say what keeps it from "
                            "being generated (proposals awaiting moderation, missing "
                            "recommendations)")
        command.add_argument("hearing_id", type=hearing_number, metavar="HEARING_ID",
                             help="the hearing's number")
        command.add_argument("--format", required=True, choices=FORMATS,
                             help="html: the stored document; pdf: typeset from it")
        command.add_argument("-o", "--output", default=STDOUT,
                             help=f"the file to write ({STDOUT}, the default: standard "
                                  "output)")
        command.set_defaults(func=cmd_document)
