"""How alike a post is to an incident: their lemma bags compared with rapidfuzz.

An incident keeps the distinct lemmas of its posts (:attr:`Incident.lemmas`, first seen
first), so a post is compared with what the incident is about, not with one of its
posts. Words of one or two letters (prepositions, conjunctions, particles: «в», «на»,
«не») say nothing about the problem and are left out. The bag is capped, so a busy
incident does not grow into one that every post resembles.

The score is rapidfuzz's ``token_set_ratio`` (0–100): word order and repeats do not
matter, and a post whose words the incident already has scores high, since a later
post tends to repeat the problem in fewer words. A post that names a place (a
capitalised word inside a sentence: «на улице Гагарина», «в Нововятском районе») is
only compared with incidents whose lemmas have one of its names, since the pit on
Lenina Street and the one on Gagarina Street are two problems with the same words
(as near-duplicate questions are told apart, :mod:`vmeste.platform.hearings.duplicates`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz, process

from vmeste.platform.lemmas import WORD
from vmeste.platform.publics.lemmas import lemmas

#: The most lemmas an incident keeps.
MAX_LEMMAS = 120
#: Shorter lemmas are function words.
MIN_LENGTH = 3
#: Punctuation that ends a sentence, so the capital after it says nothing.
SENTENCE_END = frozenset(".!?…")
#: A lower-case word this short before a full stop is an abbreviation («ул.», «д.»).
ABBREVIATION = 4


def bag(texts: Iterable[str], start: str = "") -> str:
    """The distinct content lemmas of ``start`` (a stored bag) then of the texts, in
    first-seen order, space-separated and capped."""
    words = dict.fromkeys(start.split())
    for text in texts:
        for word in lemmas(text):
            if len(words) >= MAX_LEMMAS:
                return " ".join(words)
            if len(word) >= MIN_LENGTH:
                words.setdefault(word)
    return " ".join(list(words)[:MAX_LEMMAS])


def names(text: str) -> frozenset[str]:
    """The lemmas of the capitalised words that do not open a sentence."""
    found: set[str] = set()
    previous, end = "", 0
    for match in WORD.finditer(text):
        word = match.group(0)
        gap = text[end:match.start()]
        opens = not previous or (bool(SENTENCE_END & set(gap)) and not (
            previous.islower() and len(previous) <= ABBREVIATION))
        if word[0].isupper() and not opens:
            found.update(lemmas(word))
        previous, end = word, match.end()
    return frozenset(found)


def most_similar(text: str, candidates: Sequence[str], threshold: float) -> int | None:
    """The index in ``candidates`` (bags) of the one most like the post's ``text``, if
    it scores at least ``threshold`` and has one of the names the post has; the
    earliest of equals. An empty post (a photo, a sticker) resembles nothing."""
    mine, named = bag([text]), names(text)
    pool = [(i, each) for i, each in enumerate(candidates)
            if not named or not named.isdisjoint(each.split())]
    if not mine or not pool:
        return None
    found = process.extractOne(mine, [each for _i, each in pool],
                               scorer=fuzz.token_set_ratio, score_cutoff=threshold)
    return None if found is None else pool[found[2]][0]
