"""Learning topics from the operators: every incident whose topic an operator confirmed
or corrected makes its posts labelled examples, trained on together with the kept
labelled set's train split (:mod:`vmeste.platform.publics.classifier`).

Each training is stored as a new :class:`TopicModelVersion` beside the earlier ones,
with its accuracy on the kept test split and the keywords' accuracy on the same posts.
A suggestion uses the latest model only while it is at least as accurate as the
keywords (on the bundled posts today the keywords are better, see the tests), and says
which of the two suggested, so an operator knows what a confidence means.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from vmeste.platform.incidents.models import Incident, SocialPost, TopicModelVersion
from vmeste.platform.publics.classifier import (
    Example,
    Suggestion,
    TopicModel,
    bundled,
    evaluate,
    suggest_by_keywords,
    train,
)

MODEL = "model"
KEYWORDS = "keywords"


@dataclass(frozen=True)
class TopicSuggestion:
    """A suggestion and where it came from: ``model`` (with its version) or ``keywords``."""

    suggestion: Suggestion
    source: str
    version_id: int | None = None


async def confirmed_examples() -> list[Example]:
    """The posts of incidents whose topic an operator confirmed or corrected, each
    labelled with the incident's topic, in the incidents' order."""
    topics = dict(await Incident.filter(topic_confirmed=True).values_list("id", "topic"))
    posts = await SocialPost.filter(incident_id__in=list(topics)).order_by(
        "incident_id", "id").values_list("incident_id", "text")
    return [Example(text, topics[incident_id]) for incident_id, text in posts if text.strip()]


def _share(results: dict[str, tuple[int, int]]) -> float:
    total = sum(count for _correct, count in results.values())
    return sum(correct for correct, _count in results.values()) / total if total else 0.0


async def retrain(now: datetime, test: Sequence[Example] | None = None) -> TopicModelVersion:
    """Train on the kept train split and the confirmed incidents, measure the model and
    the keywords on ``test`` (the kept test split unless given), and store the version.
    Training runs in a thread: it takes scikit-learn a fraction of a second per
    thousand posts, which the event loop should not wait through."""
    learnt = await confirmed_examples()
    examples = [*bundled("train"), *learnt]
    test = bundled("test") if test is None else tuple(test)
    model = await asyncio.to_thread(train, examples)
    by_model, by_keywords = evaluate(model, test), evaluate(None, test)
    return await TopicModelVersion.create(
        trained_at=now, examples=len(examples), confirmed_examples=len(learnt),
        test_examples=len(test), accuracy=_share(by_model), keyword_accuracy=_share(by_keywords),
        topic_accuracy={code: {"model": list(by_model[code]), "keywords": list(by_keywords[code])}
                        for code in by_model},
        model=model.to_json())


class TopicModels:
    """The latest stored model, read again only when a newer version was stored (one
    query for the latest id per call). One per process (:data:`MODELS`); tests, whose
    databases each start their ids at 1, make their own."""

    def __init__(self) -> None:
        self._current: tuple[TopicModelVersion, TopicModel] | None = None

    async def current(self) -> tuple[TopicModelVersion, TopicModel] | None:
        latest = await TopicModelVersion.all().order_by("-id").first().values_list(
            "id", flat=True)
        if latest is None:
            return None
        if self._current is None or self._current[0].id != latest:
            version = await TopicModelVersion.get(id=latest)
            self._current = version, TopicModel.from_json(version.model)
        return self._current

    async def suggest(self, text: str) -> TopicSuggestion:
        """The stored model's suggestion while it is at least as accurate as the
        keywords on its test posts, else the keywords'."""
        current = await self.current()
        if current is not None and current[0].accuracy >= current[0].keyword_accuracy:
            version, model = current
            return TopicSuggestion(model.suggest(text), MODEL, version.id)
        return TopicSuggestion(suggest_by_keywords(text), KEYWORDS)


MODELS = TopicModels()
current_model = MODELS.current
suggest = MODELS.suggest
