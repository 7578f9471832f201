"""A response's answers checked against the poll's questions.

Every answer names its question and fills the one field of its kind (``choiceKeys``
for single and multiple choice, ``text``, ``value`` for a scale, ``ranking``,
``matrix``); an empty field is no answer. Questions are shown in order: one with
``showIf`` is shown when the question it names is shown and was answered with one of
the listed keys. A shown required question must be answered, a hidden one must not
be. Every problem is ``INVALID_ANSWER`` on its own field (``answers.3.ranking``), or on
``answers`` for a required question left out.

What passes is normalised (:data:`Answers`): the question id → a list of keys (single,
multiple: in the question's order; ranking: in the ranked order), the text, the value,
or the row → column map of a matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.i18n import _
from vmeste.platform.polls.models import PollQuestion
from vmeste.platform.polls.models import QuestionKind as K

TEXT_MAX = 5000
Answers = dict[int, Any]
#: The answer field each kind fills.
FIELD = {K.SINGLE: "choiceKeys", K.MULTIPLE: "choiceKeys", K.TEXT: "text", K.SCALE: "value",
         K.RANKING: "ranking", K.MATRIX: "matrix"}


@dataclass(frozen=True)
class MatrixCell:
    row: str
    choice_key: str


@dataclass(frozen=True)
class AnswerInput:
    question_id: int
    choice_keys: tuple[str, ...] | None = None
    text: str | None = None
    value: int | None = None
    ranking: tuple[str, ...] | None = None
    matrix: tuple[MatrixCell, ...] | None = None

    def given(self) -> dict[str, Any]:
        """The answer fields that were sent, by their API names."""
        fields = {"choiceKeys": self.choice_keys, "text": self.text, "value": self.value,
                  "ranking": self.ranking, "matrix": self.matrix}
        return {name: value for name, value in fields.items() if value is not None}


class _Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message


def check_answers(questions: Sequence[PollQuestion], answers: Sequence[AnswerInput]
                  ) -> Answers:
    """The normalised answers, or ``DomainError`` with every problem."""
    by_id = {q.id: q for q in questions}
    errors: list[FieldError] = []
    given: dict[int, tuple[int, Any]] = {}
    for index, answer in enumerate(answers):
        question = by_id.get(answer.question_id)
        if question is None or answer.question_id in given:
            errors.append(_error(f"answers.{index}.questionId", _(
                "The poll has no such question") if question is None else _(
                "The question is answered twice")))
            continue
        try:
            given[question.id] = (index, _normalised(question, answer))
        except _Invalid as problem:
            errors.append(_error(f"answers.{index}.{problem.field}", problem.message))
            given[question.id] = (index, None)
    normal: Answers = {}
    shown: dict[int, Any] = {}
    # Positions whose answer was refused: whether what follows them is shown is not
    # known, so it is not judged (the refusal is reported already).
    unknown: set[int] = set()
    for question in sorted(questions, key=lambda q: q.position):
        index, value = given.get(question.id, (None, None))
        condition = question.show_if["question"] if question.show_if else None
        if condition in unknown or _refused(errors, index):
            unknown.add(question.position)
            continue
        if not _shown(question, shown):
            if index is not None and value is not None:
                errors.append(_error(f"answers.{index}.questionId", _(
                    "This question is not shown after your earlier answers")))
            continue
        shown[question.position] = value
        if value is not None:
            normal[question.id] = value
        elif question.required:
            errors.append(_error(
                "answers" if index is None else f"answers.{index}.{FIELD[question.kind]}",
                _("Question {number} needs an answer", number=question.position + 1)))
    if errors:
        raise DomainError(*errors)
    return normal


def _error(field: str, message: str) -> FieldError:
    return FieldError(field, message, ErrorCode.INVALID_ANSWER)


def _refused(errors: list[FieldError], index: int | None) -> bool:
    return index is not None and any(e.field and e.field.startswith(f"answers.{index}.")
                                     for e in errors)


def _shown(question: PollQuestion, shown: dict[int, Any]) -> bool:
    """Shown unless its condition's question was hidden (absent from ``shown``) or
    answered otherwise; questions are taken in order, so the condition's is decided
    first."""
    if not question.show_if:
        return True
    position = question.show_if["question"]
    if position not in shown:
        return False
    keys = shown[position] or []
    return any(key in keys for key in question.show_if["anyOf"])


def _normalised(q: PollQuestion, answer: AnswerInput) -> Any:
    """The answer's normal form, None for no answer; ``_Invalid`` on a bad one."""
    own = FIELD[q.kind]
    for name in answer.given():
        if name != own:
            raise _Invalid(name, _("This question is answered with {field}", field=own))
    keys = [c["key"] for c in q.choices]
    if q.kind in (K.SINGLE, K.MULTIPLE):
        return _chosen(q, keys, list(answer.choice_keys or ()))
    if q.kind == K.TEXT:
        text = (answer.text or "").strip()
        if len(text) > TEXT_MAX:
            raise _Invalid(own, _("At most {limit} characters", limit=TEXT_MAX))
        return text or None
    if q.kind == K.SCALE:
        if answer.value is None:
            return None
        if not q.scale_min <= answer.value <= q.scale_max:  # type: ignore[operator]
            raise _Invalid(own, _("A value from {low} to {high}", low=q.scale_min,
                                  high=q.scale_max))
        return answer.value
    if q.kind == K.RANKING:
        return _ranked(q, keys, list(answer.ranking or ()))
    return _matrix(q, keys, list(answer.matrix or ()))


def _known(keys: list[str], given: list[str], field: str) -> None:
    if any(key not in keys for key in given):
        raise _Invalid(field, _("The question has no such choice"))
    if len(set(given)) != len(given):
        raise _Invalid(field, _("A choice is given twice"))


def _chosen(q: PollQuestion, keys: list[str], given: list[str]) -> list[str] | None:
    _known(keys, given, "choiceKeys")
    if not given:
        return None
    low, high = (1, 1) if q.kind == K.SINGLE else (q.min_choices or 1, q.max_choices or 1)
    if not low <= len(given) <= high:
        raise _Invalid("choiceKeys", _("Choose from {low} to {high}", low=low, high=high)
                       if low != high else _("Choose {count}", count=low))
    return [key for key in keys if key in given]


def _ranked(q: PollQuestion, keys: list[str], given: list[str]) -> list[str] | None:
    _known(keys, given, "ranking")
    if not given:
        return None
    low, high = q.min_choices or len(keys), q.max_choices or len(keys)
    if not low <= len(given) <= high:
        raise _Invalid("ranking", _("Rank from {low} to {high} choices", low=low, high=high)
                       if low != high else _("Rank {count} choices", count=low))
    return given


def _matrix(q: PollQuestion, keys: list[str], cells: list[MatrixCell]) -> dict[str, str] | None:
    rows = [r["key"] for r in q.rows]
    chosen: dict[str, str] = {}
    for cell in cells:
        if cell.row not in rows:
            raise _Invalid("matrix", _("The question has no such row"))
        if cell.row in chosen:
            raise _Invalid("matrix", _("A row is answered twice"))
        if cell.choice_key not in keys:
            raise _Invalid("matrix", _("The question has no such choice"))
        chosen[cell.row] = cell.choice_key
    if not chosen:
        return None
    if q.required and len(chosen) != len(rows):
        raise _Invalid("matrix", _("Answer every row"))
    return {row: chosen[row] for row in rows if row in chosen}
