"""Which monitoring rule takes a post, and where the incident it opens belongs.

A rule may name official pages, keywords, or both: a post must then be on one of its
pages *and* hold one of its keywords (a region wanting "or" keeps two rules). Keywords
are lemma sequences, so a phrase («вывоз мусор») matches its lemmas in a row.
"""

from __future__ import annotations

from dataclasses import dataclass

from vmeste.platform.incidents.models import SocialPost


@dataclass(frozen=True)
class Place:
    """Where a post's incident belongs: a territory, and the page it was posted on
    when that page is in the registry."""

    territory_id: int
    territory_path: str
    territory_code: str
    #: The territory's time zone: an incident's registration day is its local day.
    timezone: str
    page_id: int | None


@dataclass(frozen=True)
class Rule:
    id: int
    place: Place
    pages: frozenset[tuple[str, str]]
    keywords: tuple[tuple[str, ...], ...]

    def takes(self, post: SocialPost, words: tuple[str, ...]) -> bool:
        if self.pages and (post.network, post.page_ref) not in self.pages:
            return False
        if self.keywords:
            return any(contains(words, keyword) for keyword in self.keywords)
        return bool(self.pages)


def contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return size > 0 and any(words[i:i + size] == phrase for i in range(len(words) - size + 1))
