"""Russian words to their dictionary forms (pymorphy3), shared by every component that
compares texts by meaning rather than by spelling: hearings' near-duplicate questions,
publics' topic classifier.

The analyser takes about a second and 15 MB to build, so one is built per process, on
first use; a word is lemmatised once (an LRU cache; pymorphy3 caches its own parses
too).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pymorphy3 import MorphAnalyzer

#: A word: letters or digits, no punctuation or underscores.
WORD = re.compile(r"[^\W_]+")


@cache
def analyzer() -> MorphAnalyzer:
    """One pymorphy3 analyser per process, built on first use."""
    from pymorphy3 import MorphAnalyzer

    return MorphAnalyzer()


@lru_cache(maxsize=65_536)
def lemma(word: str) -> str:
    """The dictionary form of one lower-case word («ямой» → «яма»); pymorphy3 guesses
    one for a word it does not know, so a typo still gets a stable form.

    The form is the one the parses add most probability to, not the first parse's:
    «ямы» parses first as the plural of «ям» (0.2), but «яма» has the other 0.6."""
    weights: dict[str, float] = {}
    for parse in analyzer().parse(word):
        weights[parse.normal_form] = weights.get(parse.normal_form, 0.0) + parse.score
    return max(weights, key=weights.__getitem__)
