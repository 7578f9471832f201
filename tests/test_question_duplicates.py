"""Near-duplicate questions on a set of Russian paraphrases: the pairs proposed for
merging against the pairs that ask the same thing (``tests/data/question_paraphrases.json``).

Every question is compared with every other, as a moderator opening each question
would see its candidates; a pair is proposed when either side lists the other. The
threshold (``duplicates.THRESHOLD``) was chosen on this set, and the figures are
printed so a change of the method shows what it costs.
"""

from __future__ import annotations

import json
import time
from itertools import combinations
from pathlib import Path

from vmeste.platform.hearings import duplicates

DATA = Path(__file__).parent / "data" / "question_paraphrases.json"


def _questions() -> list[tuple[str, str]]:
    groups = json.loads(DATA.read_text(encoding="utf-8"))["groups"]
    return [(group["id"], text) for group in groups for text in group["questions"]]


def _figures(threshold: float) -> tuple[float, float, int, int]:
    questions = _questions()
    proposed: set[tuple[int, int]] = set()
    for i, (_, text) in enumerate(questions):
        others = [(j, other) for j, (_, other) in enumerate(questions) if j != i]
        for j, _score in duplicates.similar(text, others, threshold=threshold,
                                            limit=len(others)):
            proposed.add((min(i, j), max(i, j)))
    truth = {(i, j) for i, j in combinations(range(len(questions)), 2)
             if questions[i][0] == questions[j][0]}
    right = len(proposed & truth)
    return right / len(proposed), right / len(truth), len(proposed), len(truth)


def test_the_set_is_big_enough_and_mixes_paraphrases_with_lookalikes() -> None:
    questions = _questions()
    groups = {group for group, _ in questions}
    assert len(questions) >= 40
    assert sum(1 for g in groups if sum(1 for h, _ in questions if h == g) > 1) >= 10
    lenina = {group for group, text in questions if "Ленина" in text}
    assert len(lenina) >= 3  # the road, the lighting, the snow, the stadium on one street


def test_paraphrases_are_proposed_and_distinct_questions_stay_apart() -> None:
    precision, recall, proposed, pairs = _figures(duplicates.THRESHOLD)
    print(f"\nnear-duplicates at threshold {duplicates.THRESHOLD}: precision "
          f"{precision:.3f}, recall {recall:.3f} ({proposed} pairs proposed, {pairs} "
          f"paraphrase pairs)")
    assert precision >= 0.9
    assert recall >= 0.8


def test_word_forms_order_and_abbreviations_do_not_matter() -> None:
    first = duplicates.lemmas("Когда отремонтируют дорогу на улице Ленина?")
    second = duplicates.lemmas("Будет ли ремонт дороги по ул. Ленина?")
    assert first.words == second.words == {"дорога", "ленин", "ремонт"}
    assert first.anchors == {"ленин"}


def test_the_same_request_about_another_place_is_not_a_duplicate() -> None:
    found = duplicates.similar("Когда отремонтируют дорогу на улице Ленина?", [
        (1, "Когда отремонтируют дорогу на улице Гагарина?"),
        (2, "Будет ли ремонт дороги по ул. Ленина?"),
        (3, "Когда на улице Ленина сделают освещение?")])
    assert [pk for pk, _ in found] == [2]


def test_a_line_of_thousands_is_searched_quickly() -> None:
    streets = ["Ленина", "Гагарина", "Мира", "Советская", "Луначарского", "Московская"]
    asks = ["Когда отремонтируют дорогу на улице {}?", "Почему не горят фонари на ул. {}?",
            "Когда уберут снег на улице {}?", "Когда вывезут мусор с улицы {} дом {}?"]
    others = [(n, asks[n % 4].format(streets[n % 6], n)) for n in range(3000)]
    duplicates.similar("Будет ли ремонт дороги по ул. Ленина?", others)  # lemmatise once
    started = time.perf_counter()
    found = duplicates.similar("Будет ли ремонт дороги по ул. Ленина?", others)
    elapsed = time.perf_counter() - started
    assert found and all(others[pk][1].endswith("Ленина?") for pk, _ in found)
    assert elapsed < 0.5, elapsed
