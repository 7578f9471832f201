"""A poll's results, read from its tallies in constant time whatever its size.

Per question: counts and shares of each choice (single, multiple; a matrix per row),
the mean and distribution of a scale, the Borda scores of a ranking, the number who
answered. The same counts by age band, gender or territory once the poll is closed,
where a group that too few answered (``poll.min_group_size``) is suppressed with its
complementary groups (:mod:`vmeste.platform.participation.suppression`), per question,
since an optional question's answerers are fewer than the poll's participants. The
R-score and, on request, shares weighted to the population, with cells smaller than
``poll.min_group_size`` pooled (:mod:`..participation.representativeness`), come from
the ``cell`` dimension of the same tallies. Free-text answers are published only once
approved (:mod:`vmeste.platform.polls.texts`).

Access is the caller's: :func:`load` refuses whoever may not read the results yet.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.participation import representativeness as rep
from vmeste.platform.participation.demographics import GENDERS
from vmeste.platform.participation.population import Population, population_of
from vmeste.platform.participation.tallies import PARTICIPANTS, Total, totals
from vmeste.platform.polls import access
from vmeste.platform.polls.access import visible_polls
from vmeste.platform.polls.counting import (
    SUBJECT_TYPE,
    answered_key,
    cell_key,
    choice_key,
    rank_key,
    value_key,
)
from vmeste.platform.polls.models import Poll, PollQuestion, PollStatus
from vmeste.platform.polls.models import QuestionKind as K
from vmeste.platform.suppression import suppressed

#: Breakdowns are given once no response can come between two reads.
BREAKDOWN_STATUSES = frozenset({PollStatus.CLOSED, PollStatus.RESULTS_PUBLISHED})
#: One group's (or the whole's) tallies: key → total.
Tallies = Mapping[str, Total]
NOTHING = Total(0, 0)


class Dimension(StrEnum):
    AGE_BAND = "age_band"
    GENDER = "gender"
    TERRITORY = "territory"


@dataclass(frozen=True)
class ChoiceCount:
    key: str
    title: str
    count: int
    #: Of those who answered the question (of the row, in a matrix); None if nobody did.
    share: float | None
    weighted_share: float | None = None


@dataclass(frozen=True)
class RankScore:
    key: str
    title: str
    #: Borda points summed over the rankings.
    score: int
    #: How many rankings placed it at all.
    ranked: int


@dataclass(frozen=True)
class MatrixRow:
    key: str
    title: str
    choices: list[ChoiceCount]


@dataclass(frozen=True)
class Counts:
    """One question's counts in one group, or in the whole."""

    answered: int
    choices: list[ChoiceCount] = field(default_factory=list)
    mean: float | None = None
    #: Every value of the scale, lowest first, with how many gave it.
    distribution: list[tuple[int, int]] = field(default_factory=list)
    #: Highest score first.
    ranking: list[RankScore] = field(default_factory=list)
    matrix: list[MatrixRow] = field(default_factory=list)


@dataclass(frozen=True)
class Group:
    group: str
    #: None when suppressed: a count is as telling as the answers.
    participants: int | None
    suppressed: bool
    counts: Counts | None = None


def _share(count: int, base: int) -> float | None:
    return count / base if base else None


def counts_of(question: PollQuestion, tallied: Tallies,
              weighted: Mapping[str, float | None] | None = None) -> Counts:
    """A question's counts from one group's tallies (``weighted``: key → share)."""
    qid = question.id
    answered = tallied.get(answered_key(qid), NOTHING).count
    if question.kind in (K.SINGLE, K.MULTIPLE):
        return Counts(answered, choices=[ChoiceCount(
            c["key"], c["title"], n := tallied.get(choice_key(qid, c["key"]), NOTHING).count,
            _share(n, answered), (weighted or {}).get(choice_key(qid, c["key"])))
            for c in question.choices])
    if question.kind == K.SCALE:
        low, high = question.scale_min or 0, question.scale_max or 0
        given = [tallied.get(value_key(qid, v), NOTHING) for v in range(low, high + 1)]
        count = sum(t.count for t in given)
        return Counts(answered, mean=sum(t.amount for t in given) / count if count else None,
                      distribution=[(v, t.count) for v, t in zip(range(low, high + 1), given,
                                                                  strict=True)])
    if question.kind == K.RANKING:
        scores = [RankScore(c["key"], c["title"], (t := tallied.get(
            rank_key(qid, c["key"]), NOTHING)).amount, t.count) for c in question.choices]
        return Counts(answered, ranking=sorted(scores, key=lambda s: -s.score))
    if question.kind == K.MATRIX:
        rows = []
        for row in question.rows:
            cells = [(c, tallied.get(cell_key(qid, row["key"], c["key"]), NOTHING).count)
                     for c in question.choices]
            base = sum(n for _c, n in cells)
            rows.append(MatrixRow(row["key"], row["title"], [
                ChoiceCount(c["key"], c["title"], n, _share(n, base)) for c, n in cells]))
        return Counts(answered, matrix=rows)
    return Counts(answered)


def _by_group(rows: Mapping[tuple[str, str], Total]) -> dict[str, dict[str, Total]]:
    grouped: dict[str, dict[str, Total]] = defaultdict(dict)
    for (group, key), total in rows.items():
        grouped[group][key] = total
    return grouped


@dataclass
class PollResults:
    """One read of a poll's results; each dimension's tallies are read once, when first
    asked for, however many questions ask."""

    poll: Poll
    questions: list[PollQuestion]
    bands: tuple[str, ...]
    whole: dict[str, Total]
    cells: dict[str, dict[str, Total]]
    population: Population
    weighted: bool
    _dimensions: dict[str, asyncio.Task[dict[str, dict[str, Total]]]] = field(
        default_factory=dict)

    @property
    def total_responses(self) -> int:
        return self.whole.get(PARTICIPANTS, NOTHING).count

    def _cell_counts(self, key: str) -> dict[str, int]:
        return {cell: keys[key].count for cell, keys in self.cells.items() if key in keys}

    @property
    def r_score(self) -> float | None:
        return rep.r_score(self.population.cells, self._cell_counts(PARTICIPANTS))

    def counts(self, question: PollQuestion) -> Counts:
        """The whole's counts; with weighted shares of choices when asked for, weighted
        over those who answered the question (an optional question's answerers are
        fewer, and a cell too small among them is pooled though not among all)."""
        shares: dict[str, float | None] = {}
        if self.weighted and question.kind in (K.SINGLE, K.MULTIPLE):
            answered = self._cell_counts(answered_key(question.id))
            weights = rep.weights(self.population.cells, answered, self.poll.min_group_size)
            for choice in question.choices:
                key = choice_key(question.id, choice["key"])
                shares[key] = rep.weighted_share(weights, self._cell_counts(key), answered)
        return counts_of(question, self.whole, shares)

    async def _groups(self, dimension: Dimension) -> dict[str, dict[str, Total]]:
        if dimension not in self._dimensions:
            self._dimensions[dimension] = asyncio.ensure_future(self._read(dimension))
        return await self._dimensions[dimension]

    async def _read(self, dimension: Dimension) -> dict[str, dict[str, Total]]:
        return _by_group(await totals(SUBJECT_TYPE, self.poll.id, dimension.value))

    async def breakdown(self, dimension: Dimension, question: PollQuestion | None = None
                        ) -> list[Group]:
        """The groups of one dimension, in a stable order: the poll's participants
        (``question`` None), or a question's counts among those who answered it.

        Empty while the poll is open: a group's counts read twice would differ by the
        responses between the reads, and one response alone in that difference would be
        shown with its group."""
        if self.poll.status not in BREAKDOWN_STATUSES:
            return []
        groups = await self._groups(dimension)
        key = PARTICIPANTS if question is None else answered_key(question.id)
        sizes = {g: keys[key].count for g, keys in groups.items()
                 if key in keys and keys[key].count > 0}
        hidden = suppressed(sizes, self.poll.min_group_size)
        return [Group(g, None, True) if g in hidden else Group(
            g, n, False, None if question is None else counts_of(question, groups[g]))
            for g, n in sorted(sizes.items(), key=lambda item: self._order(dimension,
                                                                           item[0]))]

    def _order(self, dimension: Dimension, group: str) -> tuple[int, str]:
        known = {Dimension.AGE_BAND: self.bands, Dimension.GENDER: GENDERS}.get(dimension, ())
        return (known.index(group) if group in known else len(known), group)


async def load(principal: Principal, poll_id: int, bands: tuple[str, ...], *,
               weighted: bool = False) -> PollResults:
    """The results, for a caller who may read them: everyone once published, the
    poll's organisers and auditors before."""
    poll = await Poll.filter(visible_polls(principal), id=poll_id).first()
    if poll is None:
        raise DomainError.of("pollId", _("Poll not found"), ErrorCode.NOT_FOUND)
    access.require_results(principal, poll)
    questions = await PollQuestion.filter(poll_id=poll.id).order_by("position", "id")
    whole, cells, population = await asyncio.gather(
        totals(SUBJECT_TYPE, poll.id), totals(SUBJECT_TYPE, poll.id, "cell"),
        population_of(poll.territory_path))
    return PollResults(poll=poll, questions=list(questions), bands=bands,
                       whole={key: total for (_g, key), total in whole.items()},
                       cells=_by_group(cells), population=population, weighted=weighted)
