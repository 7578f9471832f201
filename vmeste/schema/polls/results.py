"""GraphQL types of a poll's results and of the population it is weighted to; the
arithmetic is the platform's (:mod:`vmeste.platform.polls.results`)."""

from __future__ import annotations

from typing import Any, Self
from uuid import UUID

import strawberry

from vmeste.platform.errors import DomainError
from vmeste.platform.i18n import _
from vmeste.platform.participation.demographics import cell_parts
from vmeste.platform.participation.population import Population as PopulationData
from vmeste.platform.polls import results as platform
from vmeste.platform.polls.models import PollQuestion, TextStatus
from vmeste.platform.polls.questions import MAX_CHOICES, MAX_QUESTIONS, MAX_ROWS, SCALE_SPAN_MAX
from vmeste.platform.polls.texts import text_page
from vmeste.platform.reference.models import PATH_SEPARATOR
from vmeste.schema.cost import at_most
from vmeste.schema.polls.types import Poll, PollTextConnection, QuestionKind

Dimension = strawberry.enum(platform.Dimension, name="PollBreakdownDimension")
#: Questions a results read returns unless it asks for another number.
QUESTIONS_PAGE = 10


def after_id(after: str | None) -> UUID | None:
    """A text page's cursor: the last answer's id."""
    if after is None:
        return None
    try:
        return UUID(after)
    except ValueError:
        raise DomainError.of("after", _("Invalid page cursor")) from None


@strawberry.type
class PollChoiceResult:
    key: str
    title: str
    count: int
    share: float | None = strawberry.field(
        description="Of those who answered the question (of the row, in a matrix).")
    weighted_share: float | None = strawberry.field(
        description="Post-stratified to the territory's population by age band × gender, "
                    "over those who answered the question: cells fewer than minGroupSize "
                    "answered in are pooled, weights are capped at 5 (the mean being 1). "
                    "Only with pollResults(weighted: true); null where it cannot be "
                    "weighted, as when fewer than two cells reach minGroupSize.")


@strawberry.type
class ScaleValueCount:
    value: int
    count: int


@strawberry.type(description="A ranking's Borda score: n−1 points for first of n choices, one "
                             "less per place.")
class RankingScore:
    key: str
    title: str
    score: int
    ranked: int = strawberry.field(description="How many rankings placed it.")


@strawberry.type
class MatrixRowResult:
    key: str
    title: str
    choices: list[PollChoiceResult] = strawberry.field(metadata=at_most(MAX_CHOICES))


def _choices(items: list[platform.ChoiceCount]) -> list[PollChoiceResult]:
    return [PollChoiceResult(key=c.key, title=c.title, count=c.count, share=c.share,
                             weighted_share=c.weighted_share) for c in items]


def count_fields(counts: platform.Counts | None) -> dict[str, Any]:
    """The :class:`QuestionCounts` fields; empty for a suppressed group."""
    counts = counts or platform.Counts(answered=0)
    return {
        "choices": _choices(counts.choices), "mean": counts.mean,
        "distribution": [ScaleValueCount(value=v, count=n) for v, n in counts.distribution],
        "ranking": [RankingScore(key=r.key, title=r.title, score=r.score, ranked=r.ranked)
                    for r in counts.ranking],
        "matrix": [MatrixRowResult(key=m.key, title=m.title, choices=_choices(m.choices))
                   for m in counts.matrix]}


@strawberry.interface(description="A question's counts, in the whole or in one group.")
class QuestionCounts:
    choices: list[PollChoiceResult] = strawberry.field(
        description="Single and multiple choice questions.", metadata=at_most(MAX_CHOICES))
    mean: float | None = strawberry.field(description="A scale's mean.")
    distribution: list[ScaleValueCount] = strawberry.field(
        description="A scale's every value, lowest first.",
        metadata=at_most(SCALE_SPAN_MAX + 1))
    ranking: list[RankingScore] = strawberry.field(description="Highest score first.",
                                                   metadata=at_most(MAX_CHOICES))
    matrix: list[MatrixRowResult] = strawberry.field(metadata=at_most(MAX_ROWS))


@strawberry.type(description="One group of a breakdown. A suppressed group shows no counts.")
class PollGroupResult(QuestionCounts):
    group: str = strawberry.field(description="An age band, male/female/unknown, or the code "
                                              "of the territory below the poll's.")
    participants: int | None = strawberry.field(
        description="Those of the group who answered (the poll, or the question); null when "
                    "suppressed.")
    suppressed: bool


def groups(items: list[platform.Group]) -> list[PollGroupResult]:
    return [PollGroupResult(group=g.group, participants=g.participants,
                            suppressed=g.suppressed, **count_fields(g.counts)) for g in items]


@strawberry.type
class PollQuestionResult(QuestionCounts):
    id: int
    title: str
    kind: QuestionKind  # type: ignore[valid-type]
    answered: int = strawberry.field(description="How many answered the question.")
    results: strawberry.Private[platform.PollResults]
    question: strawberry.Private[PollQuestion]

    @classmethod
    def of(cls, results: platform.PollResults, question: PollQuestion) -> Self:
        counts = results.counts(question)
        return cls(id=question.id, title=question.title, kind=question.kind,
                   answered=counts.answered, results=results, question=question,
                   **count_fields(counts))

    @strawberry.field(description="Approved free-text answers (text questions).")
    async def texts(self, first: int = 20, after: str | None = None) -> PollTextConnection:
        page = await text_page(self.results.poll.id, status=TextStatus.APPROVED,
                               question_id=self.question.id, first=first,
                               after=after_id(after))
        return PollTextConnection.of(page, moderation=False, after=after)

    @strawberry.field(description="The counts by group; groups that too few answered are "
                                  "suppressed with their complementary groups. Empty "
                                  "while the poll is open: given once it is closed.")
    async def breakdown(self, by: Dimension) -> list[PollGroupResult]:  # type: ignore[valid-type]
        return groups(await self.results.breakdown(by, self.question))


@strawberry.type
class PopulationGroup:
    age_band: str
    gender: str
    count: int


@strawberry.type(description="People of a territory by age band and gender, as imported.")
class Population:
    territory_code: str
    source: str = strawberry.field(description="own: the territory's rows; descendants: summed "
                                               "from those below it; none: nothing imported.")
    total: int
    groups: list[PopulationGroup]

    @classmethod
    def of(cls, code: str, data: PopulationData) -> Self:
        return cls(territory_code=code, source=data.source, total=data.total,
                   groups=[PopulationGroup(age_band=cell_parts(cell)[0],
                                           gender=cell_parts(cell)[1], count=count)
                           for cell, count in sorted(data.cells.items())])


@strawberry.type(description="A poll's results.")
class PollResults:
    total_responses: int
    r_score: float | None = strawberry.field(
        description="Representativeness: the lowest participation rate over the highest, "
                    "across age band × gender cells of the population; null without one. "
                    "It is made of participation counts alone, never of answers.")
    results: strawberry.Private[platform.PollResults]

    @strawberry.field
    def poll(self) -> Poll:
        return Poll.from_model(self.results.poll)

    @strawberry.field(description="The questions from position fromPosition (0 is the "
                                  "first), at most limit of them.")
    def questions(self, from_position: int = 0, limit: int = QUESTIONS_PAGE
                  ) -> list[PollQuestionResult]:
        if not 0 <= limit <= MAX_QUESTIONS:
            raise DomainError.of("limit", _("{name} is from 0 to {limit}", name="limit",
                                            limit=MAX_QUESTIONS))
        chosen = [q for q in self.results.questions if q.position >= from_position][:limit]
        return [PollQuestionResult.of(self.results, q) for q in chosen]

    @strawberry.field(description="The population the R-score and weights compare with.")
    def population(self) -> Population:
        code = self.results.poll.territory_path.rsplit(PATH_SEPARATOR, 1)[-1]
        return Population.of(code, self.results.population)

    @strawberry.field(description="The poll's participants by group, suppressed as in every "
                                  "breakdown. Empty while the poll is open: given once it "
                                  "is closed.")
    async def breakdown(self, by: Dimension) -> list[PollGroupResult]:  # type: ignore[valid-type]
        return groups(await self.results.breakdown(by))
