"""The built-in moderation strategy's checks, without a database."""

import pytest

from vmeste.plugins.moderation import _validate_basic, normalize, obscene_words


@pytest.mark.parametrize("text", [
    "Нужно употреблять лекарства по расписанию",
    "С корабля на бал, себе на хлеба",
    "Ребята не могут убедить хулигана, худой и хуже того",
    "Оскорблять граждан нельзя",
])
def test_ordinary_words_that_contain_rude_roots_are_not_flagged(text):
    assert obscene_words(text) == []


@pytest.mark.parametrize("text", ["Какая-то хуйня", "бля, опять", "ёбаный асфальт",
                                  "пиздец дорогам", "xуйня латиницей"])
def test_obscene_words_are_flagged_even_with_latin_lookalikes(text):
    assert obscene_words(text)


def test_normalize_folds_case_punctuation_spacing_and_yo():
    assert normalize("  Ёлка,   ЁЖ!!! ") == normalize("елка еж")


def test_settings_are_validated():
    assert _validate_basic({"min_length": 20, "obscenity": "reject"}) == []
    assert len(_validate_basic({"min_length": 0, "obscenity": "ban", "x": 1})) == 3
