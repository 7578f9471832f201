"""A post as the classifier reads it: its words' dictionary forms, in order.

Posts are short, written in a hurry and full of inflection («ямы», «ямой», «ямищи»), so
topics are decided on lemmas (:mod:`vmeste.platform.lemmas`), not on spellings. Numbers
are dropped (a house or a bus route number says where, not what about), and «ё» is
read as «е», since posts mix the two freely and pymorphy3 answers with «ё».
"""

from __future__ import annotations

from functools import lru_cache

from vmeste.platform.lemmas import WORD, lemma


@lru_cache(maxsize=100_000)
def lemmas(text: str) -> tuple[str, ...]:
    """The text's lemmas in order, once per text (a feed repeats and reposts)."""
    return tuple(lemma(word).replace("ё", "е")
                 for word in WORD.findall(text.lower().replace("ё", "е"))
                 if not word.isdigit())
