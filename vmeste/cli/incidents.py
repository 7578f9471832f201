"""``vmeste incidents``: store posts from a JSONL file (``ingest``), suggest a post's
topic (``classify``), and train the topic model again on the operators' confirmed
incidents (``retrain``)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from typing import Any

from vmeste.cli.common import CommandError, existing_file, run_with_db
from vmeste.platform.i18n import _
from vmeste.platform.settings import Settings


def cmd_classify(settings: Settings, args: argparse.Namespace) -> None:
    """The stored model when there is one at least as accurate as the keywords (see
    :mod:`vmeste.platform.incidents.learning`), else the keywords; ``--keywords`` uses
    them without opening the database."""
    from vmeste.platform.incidents import learning
    from vmeste.platform.publics.classifier import suggest_by_keywords
    from vmeste.platform.publics.topics import topics

    if args.keywords:
        found = learning.TopicSuggestion(suggest_by_keywords(args.text), learning.KEYWORDS)
    else:
        found = run_with_db(settings, lambda: learning.suggest(args.text))
    best = found.suggestion
    if args.json:
        print(json.dumps({"topic": best.topic, "confidence": round(best.confidence, 4),
                          "source": found.source, "model_version": found.version_id}))
        return
    print(_("{code} ({name}), confidence {confidence:.2f}", code=best.topic,
            name=topics()[best.topic].name, confidence=best.confidence))
    for code, confidence in best.alternatives:
        print(_("  or {code} ({name}), {confidence:.2f}", code=code,
                name=topics()[code].name, confidence=confidence))
    if found.version_id is not None:
        print(_("suggested by model version {version}", version=found.version_id))
    else:
        print(_("suggested by the keywords"))


def cmd_retrain(settings: Settings, args: argparse.Namespace) -> None:
    """Train and store a new model version, then print its accuracy and the keywords'
    on the kept test split, topic by topic."""
    from datetime import UTC, datetime

    from vmeste.platform.incidents.learning import retrain

    version = run_with_db(settings, lambda: retrain(datetime.now(UTC)))
    print(_("model version {version}: {examples} training posts, {confirmed} of them from "
            "confirmed incidents", version=version.id, examples=version.examples,
            confirmed=version.confirmed_examples))
    for code, counts in version.topic_accuracy.items():
        (by_model, total), (by_keywords, _total) = counts["model"], counts["keywords"]
        print(_("{code}: model {model} of {total}, keywords {keywords} of {total}", code=code,
                model=by_model, keywords=by_keywords, total=total))
    print(_("all: model {model:.2f}, keywords {keywords:.2f}", model=version.accuracy,
            keywords=version.keyword_accuracy))
    print(_("suggestions use the model") if version.accuracy >= version.keyword_accuracy
          else _("suggestions use the keywords, which are more accurate"))


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
    print(_("stored {inserted}, duplicates {duplicates}, bad lines {bad}",
            inserted=stored.inserted, duplicates=stored.duplicates, bad=len(bad)))
    if args.process:
        print(_("processed {processed}: {created} incident(s) opened, {attached} post(s) in "
                "incidents, {ignored} ignored", processed=done.processed, created=done.created,
                attached=done.attached, ignored=done.ignored))
    if bad:
        raise CommandError(_("{file}: {count} bad line(s), the others were stored",
                             file=args.file, count=len(bad)),
                           details="\n".join(_("line {line}: {field}: {reason} ({message})",
                                               line=b.line, field=b.field or "-",
                                               reason=b.reason, message=b.message)
                                             for b in bad))


def register(sub: Any) -> None:
    incidents = sub.add_parser("incidents", help="social-media incidents")
    actions = incidents.add_subparsers(dest="action", required=True, metavar="ACTION",
                                       help="ingest, classify, retrain")
    ingest = actions.add_parser(
        "ingest", help="store social-media posts from a JSONL file (one object a line), "
                       "deduplicated by network, page and post id")
    ingest.add_argument("file", metavar="FILE.jsonl")
    ingest.add_argument("--process", action="store_true",
                        help="turn the new posts into incidents now, not in the workers")
    ingest.set_defaults(func=cmd_ingest)
    classify = actions.add_parser("classify", help="suggest a post's topic")
    classify.add_argument("text", help="the post's text")
    classify.add_argument("--keywords", action="store_true",
                          help="use the keyword dictionaries, not the stored model")
    classify.add_argument("--json", action="store_true", help="print the result as JSON")
    classify.set_defaults(func=cmd_classify)
    retrain = actions.add_parser(
        "retrain", help="train the topic model on the confirmed incidents and store it")
    retrain.set_defaults(func=cmd_retrain)
