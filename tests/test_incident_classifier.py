"""The incident topic classifier: lemmas, keywords, a trained model and its JSON form."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vmeste.cli import main
from vmeste.platform.publics.classifier import (
    Example,
    TopicModel,
    bundled,
    evaluate,
    fit,
    keyword_scores,
    suggest,
    train,
)
from vmeste.platform.publics.lemmas import lemmas


@pytest.fixture(scope="module")
def model() -> TopicModel:
    return train(bundled("train"))


def accuracy(results: dict[str, tuple[int, int]]) -> float:
    return sum(c for c, _ in results.values()) / sum(t for _, t in results.values())


def test_inflected_forms_share_a_lemma() -> None:
    assert lemmas("Ямы, ямой, яма!") == ("яма", "яма", "яма")
    assert lemmas("Сугробы у дома 5") == ("сугроб", "у", "дом")


@pytest.mark.parametrize(("text", "topic"), [
    ("Опять огромные ямы на дороге, пробил колесо", "road_repair"),
    ("Мусорные баки переполнены, вывоз мусора не приезжал неделю", "cleaning_garbage"),
    ("Автобус 12 не ходит по расписанию", "public_transport"),
    ("Погода сегодня отличная", "other"),
])
def test_keywords_pick_the_topic(text: str, topic: str) -> None:
    assert suggest(text).topic == topic


def test_a_phrase_counts_as_its_lemmas_in_a_row() -> None:
    # «вывоз мусор» (two lemmas) plus «мусор»; apart, only «мусор» is left.
    assert keyword_scores("Где вывоз мусора?") == {"cleaning_garbage": 3.0}
    assert keyword_scores("Мусора нет, вывоз машин") == {"cleaning_garbage": 1.0}
    assert suggest("Вывоз мусора и яма").confidence == pytest.approx(3 / 4)


def test_no_keyword_is_other_with_no_confidence() -> None:
    found = suggest("Погода сегодня отличная")
    assert (found.confidence, found.alternatives) == (0.0, ())


def test_keywords_on_the_test_split() -> None:
    # Measured: 80 of 90 (0.89).
    assert accuracy(evaluate(None, bundled("test"))) >= 0.8


def test_model_on_the_test_split(model: TopicModel) -> None:
    # Measured: 57 of 90 (0.63); a model that learnt nothing would score about 0.1.
    results = evaluate(model, bundled("test"))
    assert set(results) == set(model.classes)
    assert accuracy(results) >= 0.5


def test_a_correction_changes_the_prediction(model: TopicModel) -> None:
    text = "Бездомные кошки в подвале, кто за них отвечает"
    before = suggest(text, model).topic
    assert before != "other"
    corrected = train([*bundled("train"), *[Example(text, "other")] * 3])
    assert suggest(text, corrected).topic == "other"


def test_json_round_trip_repeats_scikit_learn(model: TopicModel) -> None:
    texts = [example.text for example in bundled("test")]
    vectoriser, classifier = fit(bundled("train"))
    expected = classifier.predict_proba(vectoriser.transform(texts))  # type: ignore[attr-defined]
    restored = TopicModel.from_json(model.to_json())
    assert restored.classes == tuple(classifier.classes_)  # type: ignore[attr-defined]
    np.testing.assert_allclose(restored.probabilities(texts), expected, rtol=0, atol=1e-9)
    found = restored.suggest(texts[0])
    assert found.confidence == pytest.approx(expected[0].max(), abs=1e-9)
    assert len(found.alternatives) == 2


def test_training_needs_two_topics() -> None:
    with pytest.raises(ValueError, match="two topics"):
        train([Example("яма", "road_repair"), Example("ямы", "road_repair")])


def test_classify_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["incidents", "classify", "Ямы на дороге, пробил колесо", "--keywords", "--json"])
    assert stop.value.code == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["topic"], printed["source"]) == ("road_repair", "keywords")
    assert 0 < printed["confidence"] <= 1


def test_classify_command_speaks_russian(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--lang", "ru", "incidents", "classify", "--keywords", "Ямы на дороге и снег"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.splitlines() == [
        "road_repair (Ремонт дорог), уверенность 0.67", "  или snow_removal (Уборка снега), 0.33",
        "подсказали ключевые слова"]
