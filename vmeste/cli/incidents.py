"""``vmeste incidents``: suggest a post's topic (``classify``), and train the topic model
again on the operators' confirmed incidents (``retrain``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from vmeste.cli.common import run_with_db
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


def register(sub: Any) -> None:
    incidents = sub.add_parser("incidents", help="social-media incidents")
    actions = incidents.add_subparsers(dest="action", required=True, metavar="ACTION",
                                       help="classify, retrain")
    classify = actions.add_parser("classify", help="suggest a post's topic")
    classify.add_argument("text", help="the post's text")
    classify.add_argument("--keywords", action="store_true",
                          help="use the keyword dictionaries, not the stored model")
    classify.add_argument("--json", action="store_true", help="print the result as JSON")
    classify.set_defaults(func=cmd_classify)
    retrain = actions.add_parser(
        "retrain", help="train the topic model on the confirmed incidents and store it")
    retrain.set_defaults(func=cmd_retrain)
