"""Near-duplicate questions of a direct line, and merging them.

Two questions ask the same thing when their *content words* agree: each text is
lemmatised with pymorphy3 (so «дорогу», «дороги», «дорогой» are one word), the
question's framing is dropped (stop words: «когда», «будет», «ли», prepositions, …),
common abbreviations are spelled out («ул.» is «улица») and a few words of the same
request are taken as one («отремонтировать», «починить» and «ремонт»). The remaining
lemmas are compared with rapidfuzz over their sets: ``token_set_ratio`` (word order and
repeats do not matter, a question that only adds words scores high) averaged with
``token_sort_ratio`` (which keeps a short question from matching every longer one
containing its words). Pairs scoring at least :data:`THRESHOLD` are proposed; the
threshold is tuned on ``tests/data/question_paraphrases.json`` (see
``tests/test_question_duplicates.py`` for its precision and recall).

Words are lemmatised by :mod:`vmeste.platform.lemmas` (one analyser per process);
each text is lemmatised once (an LRU cache of texts), and the comparison of one
question with a line's thousands is one ``rapidfuzz.process.extract`` call with a
``score_cutoff``.

A moderator merges sources into a target: each source becomes MERGED with
``merged_into``; its supporters become the target's (a person who supported both counts
once), and questions merged into a source earlier now point at the target. The line
row is locked first and exclusively, then the questions in ascending id
(:func:`vmeste.platform.hearings.questions.line_transaction`, the order every write on
a line's questions takes), so neither a vote nor a second merge slips in, and none
deadlocks with it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from rapidfuzz import fuzz, process

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.hearings import access
from vmeste.platform.hearings.lifecycle import LineAction
from vmeste.platform.hearings.line_models import LineQuestion, QuestionStatus, QuestionVote
from vmeste.platform.hearings.questions import (
    OPEN_QUESTIONS,
    allows,
    audit,
    line_transaction,
    note,
    question_and_line,
)
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.lemmas import WORD
from vmeste.platform.lemmas import lemma as lemma_of
from vmeste.platform.row_locks import for_update

#: Proposed pairs score at least this (0–100), tuned on the paraphrase set.
THRESHOLD = 60.0
#: What rapidfuzz token_set_ratio must reach for a text to be scored at all.
PREFILTER = 40.0
#: The most candidates shown for one question.
LIMIT = 10
#: The most sources merged at once.
MERGE_MAX = 50

_WORDS: dict[str, Any] = json.loads(resources.files("vmeste.platform.hearings").joinpath(
    "question_words.json").read_text(encoding="utf-8"))
#: The framing of a question («когда», «будет», «ли», prepositions), dropped.
STOP_WORDS = frozenset(_WORDS["stop_words"])
#: Words that say where, not what (the name that follows them is the anchor).
PLACE_WORDS = frozenset(_WORDS["place_words"])
#: Abbreviations spelled out before lemmatising («ул» is «улица»).
ABBREVIATIONS: dict[str, str] = _WORDS["abbreviations"]
#: Lemmas of one request taken as one word (the request, not its grammar).
SYNONYMS: dict[str, str] = _WORDS["synonyms"]


@dataclass(frozen=True)
class Lemmas:
    """A question as compared: its content lemmas, and among them the anchors (numbers
    and proper names: the street, the house, the bus route) that say what it is about."""

    words: frozenset[str]
    anchors: frozenset[str]

    @property
    def text(self) -> str:
        return " ".join(sorted(self.words))


@lru_cache(maxsize=100_000)
def lemmas(text: str) -> Lemmas:
    """The text lemmatised, once per text (the cache holds a line of thousands)."""
    words: set[str] = set()
    anchors: set[str] = set()
    for position, match in enumerate(WORD.finditer(text)):
        raw = match.group(0)
        word = ABBREVIATIONS.get(raw.lower(), raw.lower())
        if word in STOP_WORDS:
            continue
        lemma = lemma_of(word)
        lemma = SYNONYMS.get(lemma, lemma)
        if not lemma or lemma in STOP_WORDS or lemma in PLACE_WORDS:
            continue
        words.add(lemma)
        if raw.isdigit() or (position > 0 and raw[0].isupper()):
            anchors.add(lemma)
    return Lemmas(frozenset(words), frozenset(anchors))


def _weights(questions: Iterable[Lemmas]) -> Callable[[str], float]:
    """Inverse document frequency over the line: a word most questions share (the
    street everyone asks about, «ремонт») weighs less than one few use."""
    documents = list(questions)
    frequency = Counter(word for each in documents for word in each.words)
    size = len(documents)
    return lambda word: math.log(1 + size / frequency.get(word, 1))


def score(first: Lemmas, second: Lemmas, weight: Callable[[str], float]) -> float:
    """0–100: the weighted share of words the two have in common (Dice); 0 when each
    names a place or number the other does not (the road on Lenina Street and the one
    on Gagarina Street are two requests)."""
    if (first.anchors - second.anchors) and (second.anchors - first.anchors):
        return 0.0
    total = sum(map(weight, first.words)) + sum(map(weight, second.words))
    common = sum(map(weight, first.words & second.words))
    return 200 * common / total if total else 0.0


def similar(text: str, others: Sequence[tuple[int, str]], *, threshold: float = THRESHOLD,
            limit: int = LIMIT) -> list[tuple[int, float]]:
    """The ids of ``others`` (id, text) at least ``threshold`` alike ``text``, best
    first: rapidfuzz picks the texts sharing words with it at all (one C call over the
    line), the weighted score ranks them."""
    mine = lemmas(text)
    if not mine.words:
        return []
    pool = {pk: lemmas(other) for pk, other in others}
    near = process.extract(mine.text, {pk: each.text for pk, each in pool.items()},
                           scorer=fuzz.token_set_ratio, score_cutoff=PREFILTER, limit=None)
    weight = _weights([mine, *pool.values()])
    scored = [(pk, round(score(mine, pool[pk], weight), 1)) for _text, _value, pk in near]
    found = sorted((item for item in scored if item[1] >= threshold),
                   key=lambda item: (-item[1], item[0]))
    return found[:limit]


async def candidates(principal: Principal, question_id: int
                     ) -> list[tuple[LineQuestion, float]]:
    """The line's published or pending questions near the given one, for its
    moderators."""
    question, line = await question_and_line(question_id)
    access.require_moderator(principal, line.territory_path)
    others = await LineQuestion.filter(line_id=line.id, status__in=OPEN_QUESTIONS).exclude(
        id=question.id).values_list("id", "text")
    found = similar(question.text, others)
    rows = {row.id: row for row in await LineQuestion.filter(id__in=[pk for pk, _ in found])}
    return [(rows[pk], value) for pk, value in found]


async def merge(principal: Principal, target_id: int, source_ids: Sequence[int]
                ) -> LineQuestion:
    target, line = await question_and_line(target_id)
    access.require_moderator(principal, line.territory_path)
    step_allowed = allows(LineAction.MERGE_QUESTIONS)
    step_allowed(line)
    sources = sorted(set(source_ids) - {target.id})
    if not sources:
        raise DomainError.of("sourceIds", _("Name the questions to merge into the target"),
                             ErrorCode.REQUIRED)
    if len(sources) > MERGE_MAX:
        raise DomainError.of("sourceIds", _("At most {limit} questions at once",
                                            limit=MERGE_MAX))
    async with line_transaction(line, step_allowed, exclusive=True) as conn:
        locked = {}
        for pk in sorted([target.id, *sources]):
            row = await for_update(conn, LineQuestion.filter(id=pk, line_id=line.id))
            if row is None:
                raise DomainError.of("sourceIds", _("Question not found"), ErrorCode.NOT_FOUND)
            locked[pk] = row
        if locked[target.id].status != QuestionStatus.PUBLISHED:
            raise DomainError.of("targetId", _("Questions are merged into a published one"),
                                 ErrorCode.CONFLICT)
        if any(locked[pk].status not in OPEN_QUESTIONS for pk in sources):
            raise DomainError.of("sourceIds", _("Only published or pending questions are "
                                                "merged"), ErrorCode.CONFLICT)
        voters = set(await QuestionVote.filter(question_id__in=sources).using_db(
            conn).values_list("user_id", flat=True))
        voters |= {locked[pk].author_id for pk in sources}
        present = set(await QuestionVote.filter(question_id=target.id).using_db(
            conn).values_list("user_id", flat=True))
        await QuestionVote.bulk_create(
            [QuestionVote(question_id=target.id, user_id=user) for user in sorted(
                voters - present)], using_db=conn)
        await QuestionVote.filter(question_id__in=sources).using_db(conn).delete()
        await LineQuestion.filter(id__in=sources).using_db(conn).update(
            status=QuestionStatus.MERGED, merged_into_id=target.id, votes=0)
        await LineQuestion.filter(merged_into_id__in=sources).using_db(conn).update(
            merged_into_id=target.id)
        votes = await QuestionVote.filter(question_id=target.id).using_db(conn).count()
        await LineQuestion.filter(id=target.id).using_db(conn).update(votes=votes)
        await note(conn, line, principal.actor, LineAction.MERGE_QUESTIONS,
                   target_id=target.id, question_ids=sources)
        await audit(conn, target, principal.actor, "merge", {"votes": target.votes},
                    {"votes": votes, "sources": sources})
    return await LineQuestion.get(id=target.id)
