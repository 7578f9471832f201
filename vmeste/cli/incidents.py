"""``vmeste incidents classify TEXT``: a social-media post's topic, to try the classifier."""

from __future__ import annotations

import argparse
import json
from typing import Any

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


def register(sub: Any) -> None:
    incidents = sub.add_parser("incidents", help="social-media incidents")
    actions = incidents.add_subparsers(dest="action", required=True, metavar="ACTION",
                                       help="classify")
    classify = actions.add_parser("classify", help="suggest a post's topic")
    classify.add_argument("text", help="the post's text")
    classify.add_argument("--keywords", action="store_true",
                          help="use the keyword dictionaries, not the trained model")
    classify.add_argument("--json", action="store_true", help="print the result as JSON")
    classify.set_defaults(func=cmd_classify)
