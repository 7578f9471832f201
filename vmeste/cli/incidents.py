"""``vmeste incidents``: store posts from a JSONL file (``ingest``), and try the topic
classifier on a text (``classify``)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from typing import Any

from vmeste.cli.common import CommandError, existing_file, run_with_db
from vmeste.platform.i18n import _
from vmeste.platform.publics.classifier import bundled, suggest, train
from vmeste.platform.publics.topics import topics
from vmeste.platform.settings import Settings


def cmd_classify(_settings: Settings, args: argparse.Namespace) -> None:
    """The model is trained on the bundled posts each time (0.2 s; importing
    scikit-learn costs more): there is no stored model yet, and this keeps the
    command's answer the code's answer. ``--keywords`` skips scikit-learn."""
    model = None if args.keywords else train(bundled("train"))
    found = suggest(args.text, model)
    if args.json:
        print(json.dumps({"topic": found.topic, "confidence": round(found.confidence, 4)}))
        return
    print(_("{code} ({name}), confidence {confidence:.2f}", code=found.topic,
            name=topics()[found.topic].name, confidence=found.confidence))
    for code, confidence in found.alternatives:
        print(_("  or {code} ({name}), {confidence:.2f}", code=code,
                name=topics()[code].name, confidence=confidence))


def cmd_ingest(settings: Settings, args: argparse.Namespace) -> None:
    """Good lines are stored even when others are bad (each bad one is listed with its
    number, and the command then fails), so a dump is fixed and fed again: what was
    stored is a duplicate the second time. The processing job is queued for the
    workers; ``--process`` runs it in the command instead."""
    from vmeste.platform.incidents.ingest import BadLine, IncomingPost, parse_lines, store_posts
    from vmeste.platform.incidents.processing import ProcessResult, process_batch
    from vmeste.platform.incidents.services import IncidentServices
    from vmeste.platform.runtime import build_runtime

    path = existing_file(args.file)
    runtime = build_runtime(settings)
    bad: list[BadLine] = []

    def good(lines: Iterator[str]) -> Iterator[IncomingPost]:
        for found in parse_lines(lines):
            if isinstance(found, BadLine):
                bad.append(found)
            else:
                yield found

    async def action() -> tuple[Any, ProcessResult]:
        with path.open(encoding="utf-8") as lines:
            stored = await store_posts(good(lines), runtime.clock())
        total = ProcessResult()
        if args.process:
            services = runtime.service(IncidentServices)
            while (done := await process_batch(services, services.clock())).processed:
                total.processed += done.processed
                total.created += done.created
                total.attached += done.attached
                total.ignored += done.ignored
        return stored, total

    stored, done = run_with_db(settings, action)
    print(f"stored {stored.inserted}, duplicates {stored.duplicates}, bad lines {len(bad)}")
    if args.process:
        print(f"processed {done.processed}: {done.created} incident(s) opened, "
              f"{done.attached} post(s) in incidents, {done.ignored} ignored")
    if bad:
        raise CommandError(f"{args.file}: {len(bad)} bad line(s); the others were stored",
                           details="\n".join(f"line {b.line}: {b.field or '(line)'}: "
                                             f"{b.reason} ({b.message})" for b in bad))


def register(sub: Any) -> None:
    incidents = sub.add_parser("incidents", help="social-media incidents")
    actions = incidents.add_subparsers(dest="action", required=True, metavar="ACTION",
                                       help="ingest, classify")
    ingest = actions.add_parser(
        "ingest", help="store social-media posts from a JSONL file (one object a line), "
                       "deduplicated by network and post id")
    ingest.add_argument("file", metavar="FILE.jsonl")
    ingest.add_argument("--process", action="store_true",
                        help="turn the new posts into incidents now, not in the workers")
    ingest.set_defaults(func=cmd_ingest)
    classify = actions.add_parser("classify", help="suggest a post's topic")
    classify.add_argument("text", help="the post's text")
    classify.add_argument("--keywords", action="store_true",
                          help="use the keyword dictionaries, not the trained model")
    classify.add_argument("--json", action="store_true", help="print the result as JSON")
    classify.set_defaults(func=cmd_classify)
