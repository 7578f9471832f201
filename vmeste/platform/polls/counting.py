"""What one response adds to a poll's tallies: the one definition the submission, the
results and the recount share, so the counters and a recount cannot disagree.

Keys (``q12`` is question 12; keys of choices and rows are plain, see
:data:`vmeste.platform.polls.questions.KEY`, so the parts cannot run into each other):

| key | count | amount |
|---|---|---|
| ``*`` | the participant | |
| ``q12:*`` | an answer to the question | |
| ``q12:a`` | choice ``a`` chosen (single, multiple) | |
| ``q12:=4`` | scale value 4 given | 4, so the mean is a sum over the values |
| ``q12:rank:a`` | choice ``a`` ranked | its Borda points: n − 1 for first of n, one less a place |
| ``q12:r1:a`` | column ``a`` chosen in row ``r1`` (matrix) | |

A free-text answer counts only as answered; its text goes to moderation, never into a
counter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from vmeste.platform.participation.tallies import PARTICIPANTS, Count, Total
from vmeste.platform.polls.models import PollQuestion, PollResponse
from vmeste.platform.polls.models import QuestionKind as K

SUBJECT_TYPE = "poll"


def answered_key(question_id: int) -> str:
    return f"q{question_id}:*"


def choice_key(question_id: int, choice: str) -> str:
    return f"q{question_id}:{choice}"


def value_key(question_id: int, value: int) -> str:
    return f"q{question_id}:={value}"


def rank_key(question_id: int, choice: str) -> str:
    return f"q{question_id}:rank:{choice}"


def cell_key(question_id: int, row: str, choice: str) -> str:
    return f"q{question_id}:{row}:{choice}"


def stored(questions: Mapping[int, PollQuestion], answers: Mapping[int, Any]
           ) -> dict[str, Any]:
    """The answers as a response keeps them (JSON keys are strings): a text is only
    marked answered, since the text itself waits for moderation elsewhere."""
    return {str(qid): True if questions[qid].kind == K.TEXT else value
            for qid, value in answers.items()}


def response_counts(questions: Mapping[int, PollQuestion], answers: Mapping[str, Any]
                    ) -> list[Count]:
    """The increments of one stored response."""
    counts = [Count(PARTICIPANTS)]
    for raw_id, value in answers.items():
        qid = int(raw_id)
        question = questions[qid]
        counts.append(Count(answered_key(qid)))
        if question.kind in (K.SINGLE, K.MULTIPLE):
            counts += [Count(choice_key(qid, key)) for key in value]
        elif question.kind == K.SCALE:
            counts.append(Count(value_key(qid, value), 1, value))
        elif question.kind == K.RANKING:
            n = len(question.choices)
            counts += [Count(rank_key(qid, key), 1, n - 1 - place)
                       for place, key in enumerate(value)]
        elif question.kind == K.MATRIX:
            counts += [Count(cell_key(qid, row, key)) for row, key in value.items()]
    return counts


async def recount(poll_id: int) -> dict[str, Total]:
    """The poll's whole-dimension tallies computed afresh from its responses: what the
    counters must equal (an audit of them, and the tests' proof)."""
    questions = {q.id: q for q in await PollQuestion.filter(poll_id=poll_id)}
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for answers in await PollResponse.filter(poll_id=poll_id).values_list("answers", flat=True):
        for each in response_counts(questions, answers):  # type: ignore[arg-type]
            totals[each.key][0] += each.count
            totals[each.key][1] += each.amount
    return {key: Total(count, amount) for key, (count, amount) in totals.items()}
