"""The rubricator of social-media incidents: each topic's code, display name and keywords.

The five topics ПОС's monitoring met most in 2023 come first (road repair, snow removal,
cleaning and garbage, social aid, public transport), then other common ones; ``other``
has no keywords and is what a post matching none of them is. Keywords are kept in
``topics.json`` in their dictionary form, one word or a phrase («вывоз мусор»), and are
lemmatised here by the same lemmatiser as the posts, so the file never has to spell
pymorphy3's guesses (it reads «мусорка» as «мусорк»). Names are English message ids,
translated through the catalogs where shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from vmeste.platform.i18n import N_, translate
from vmeste.platform.publics.lemmas import lemmas

#: The topic a post with no topic's keywords is.
OTHER = "other"

NAMES: dict[str, str] = {
    "road_repair": N_("Road repair"),
    "snow_removal": N_("Snow removal"),
    "cleaning_garbage": N_("Cleaning and garbage"),
    "social_aid": N_("Social aid"),
    "public_transport": N_("Public transport"),
    "housing_utilities": N_("Housing and utilities"),
    "healthcare": N_("Healthcare"),
    "education": N_("Education"),
    "landscaping": N_("Landscaping"),
    OTHER: N_("Other"),
}


@dataclass(frozen=True)
class Topic:
    """One rubric: its keywords as lemma tuples (a phrase is several lemmas in a row)."""

    code: str
    keywords: frozenset[tuple[str, ...]]

    @property
    def name(self) -> str:
        """The display name in the current locale."""
        return translate(NAMES[self.code])


@cache
def topics() -> dict[str, Topic]:
    """Every topic by code, in the rubricator's order, read and lemmatised once."""
    data: dict[str, list[str]] = json.loads(resources.files(__package__).joinpath(
        "topics.json").read_text(encoding="utf-8"))
    if list(data) != list(NAMES):
        raise ValueError(f"topics.json has {sorted(data)}, the names are for {sorted(NAMES)}")
    return {code: Topic(code, frozenset(lemmas(keyword) for keyword in keywords))
            for code, keywords in data.items()}
