"""How alike a post is to an incident: their lemma bags compared with rapidfuzz.

An incident keeps the distinct lemmas of its posts (:attr:`Incident.lemmas`, first seen
first), so a post is compared with what the incident is about, not with one of its
posts. Words of one or two letters (prepositions, conjunctions, particles: «в», «на»,
«не») say nothing about the problem and are left out. The bag is capped, so a busy
incident does not grow into one that every post resembles.

The score is rapidfuzz's ``token_set_ratio`` (0–100): word order and repeats do not
matter, and a post whose words the incident already has scores high, since a later
post tends to repeat the problem in fewer words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz, process

from vmeste.platform.publics.lemmas import lemmas

#: The most lemmas an incident keeps.
MAX_LEMMAS = 120
#: Shorter lemmas are function words.
MIN_LENGTH = 3


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


def most_similar(post_bag: str, candidates: Sequence[tuple[int, str]], threshold: float
                 ) -> int | None:
    """The index in ``candidates`` ((key, bag)) of the bag most like ``post_bag``, if it
    scores at least ``threshold``; the earliest of equals. An empty post (a photo, a
    sticker) resembles nothing."""
    if not post_bag or not candidates:
        return None
    found = process.extractOne(post_bag, [each for _key, each in candidates],
                               scorer=fuzz.token_set_ratio, score_cutoff=threshold)
    return None if found is None else int(found[2])
