"""A poll's questions as an organiser defines them, checked kind by kind.

Each kind takes only the settings that mean something for it, and a setting given to
a kind that ignores it is refused rather than silently dropped (an organiser who sets
``maxChoices`` on a single-choice question expects it to do something):

| kind | choices | rows | min/max choices | scale |
|---|---|---|---|---|
| SINGLE | 2+ | — | — | — |
| MULTIPLE | 2+ | — | how many may be chosen (default 1 … all) | — |
| TEXT | — | — | — | — |
| SCALE | — | — | — | ``scaleMin < scaleMax`` |
| RANKING | 2+ | — | how many are ranked (default all) | — |
| MATRIX | 2+ (columns) | 1+ | — | — |

A question may be shown only after given answers: ``showIf`` names an earlier
single- or multiple-choice question by its position (0 is the first) and the keys of
which any one shows it. Every problem is reported at once, each on its own field
(``questions.2.choices.1.key``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vmeste.platform.errors import ErrorCode, FieldError
from vmeste.platform.i18n import _
from vmeste.platform.polls.models import QuestionKind as K

#: Bounds that keep a poll answerable and its results' worst case priced (the API's
#: cost of a results read multiplies through them).
MAX_QUESTIONS = 100
MAX_CHOICES = 30
MAX_ROWS = 10
TITLE_MAX = 1000
CHOICE_TITLE_MAX = 500
#: The widest scale, and the furthest its ends may lie from 0.
SCALE_SPAN_MAX = 100
SCALE_BOUND = 1000
#: A key is part of the tallies' keys (``q12:a``), so it is short and plain.
KEY = re.compile(r"[A-Za-z0-9_-]{1,32}")

CHOOSING = frozenset({K.SINGLE, K.MULTIPLE, K.RANKING, K.MATRIX})
COUNTED = frozenset({K.MULTIPLE, K.RANKING})
#: What a question may be shown after: the keys of a choice.
CONDITIONS = frozenset({K.SINGLE, K.MULTIPLE})


@dataclass(frozen=True)
class Choice:
    key: str
    title: str


@dataclass(frozen=True)
class ShowIf:
    #: The position of an earlier question.
    question: int
    any_of: tuple[str, ...]


@dataclass(frozen=True)
class QuestionInput:
    kind: K
    title: str
    required: bool = True
    choices: tuple[Choice, ...] = ()
    rows: tuple[Choice, ...] = ()
    min_choices: int | None = None
    max_choices: int | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    show_if: ShowIf | None = None


@dataclass
class _Check:
    """The problems of one question, each on its field below ``questions.{index}``."""

    index: int
    errors: list[FieldError] = field(default_factory=list)

    def fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(f"questions.{self.index}.{name}", message,
                                      ErrorCode.INVALID))


def check_questions(questions: list[QuestionInput]) -> tuple[list[dict[str, Any]],
                                                             list[FieldError]]:
    """The questions as ``PollQuestion`` columns (limits filled in), and the problems."""
    errors: list[FieldError] = []
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        errors.append(FieldError("questions", _("A poll has 1 to {limit} questions",
                                                limit=MAX_QUESTIONS), ErrorCode.INVALID))
    columns = []
    for index, question in enumerate(questions):
        check = _Check(index)
        columns.append(_question(check, question, questions))
        errors += check.errors
    return columns, errors


def _question(check: _Check, q: QuestionInput, every: list[QuestionInput]) -> dict[str, Any]:
    if not q.title.strip():
        check.fail("title", _("A question needs a title"))
    elif len(q.title) > TITLE_MAX:
        check.fail("title", _("At most {limit} characters", limit=TITLE_MAX))
    _choices(check, "choices", q.choices, needed=q.kind in CHOOSING, minimum=2,
             maximum=MAX_CHOICES)
    _choices(check, "rows", q.rows, needed=q.kind == K.MATRIX, minimum=1, maximum=MAX_ROWS)
    low, high = _counts(check, q)
    _scale(check, q)
    if q.show_if is not None:
        _condition(check, q.show_if, every)
    return {"kind": q.kind, "title": q.title.strip(), "required": q.required,
            "choices": [{"key": c.key, "title": c.title.strip()} for c in q.choices],
            "rows": [{"key": r.key, "title": r.title.strip()} for r in q.rows],
            "min_choices": low, "max_choices": high, "scale_min": q.scale_min,
            "scale_max": q.scale_max,
            "show_if": None if q.show_if is None else {
                "question": q.show_if.question, "anyOf": list(q.show_if.any_of)}}


def _choices(check: _Check, name: str, items: tuple[Choice, ...], *, needed: bool,
             minimum: int, maximum: int) -> None:
    if not needed:
        if items:
            check.fail(name, _("This kind of question takes no {name}", name=name))
        return
    if not minimum <= len(items) <= maximum:
        check.fail(name, _("From {low} to {high} are needed", low=minimum, high=maximum))
    seen: set[str] = set()
    for position, item in enumerate(items):
        if not KEY.fullmatch(item.key):
            check.fail(f"{name}.{position}.key", _(
                "A key is 1 to 32 Latin letters, digits, «_» or «-»"))
        elif item.key in seen:
            check.fail(f"{name}.{position}.key", _("The key is used twice"))
        seen.add(item.key)
        if not item.title.strip():
            check.fail(f"{name}.{position}.title", _("A title is needed"))
        elif len(item.title) > CHOICE_TITLE_MAX:
            check.fail(f"{name}.{position}.title", _("At most {limit} characters",
                                                     limit=CHOICE_TITLE_MAX))


def _counts(check: _Check, q: QuestionInput) -> tuple[int | None, int | None]:
    """How many choices an answer holds: chosen (multiple) or ranked (ranking)."""
    if q.kind not in COUNTED:
        for name, value in (("minChoices", q.min_choices), ("maxChoices", q.max_choices)):
            if value is not None:
                check.fail(name, _("This kind of question takes no {name}", name=name))
        return None, None
    n = len(q.choices)
    low = q.min_choices if q.min_choices is not None else (1 if q.kind == K.MULTIPLE else n)
    high = q.max_choices if q.max_choices is not None else n
    if not 1 <= low <= n:
        check.fail("minChoices", _("From 1 to the number of choices"))
    if not low <= high <= n:
        check.fail("maxChoices", _("From minChoices to the number of choices"))
    return low, high


def _scale(check: _Check, q: QuestionInput) -> None:
    if q.kind != K.SCALE:
        for name, value in (("scaleMin", q.scale_min), ("scaleMax", q.scale_max)):
            if value is not None:
                check.fail(name, _("This kind of question takes no {name}", name=name))
        return
    if q.scale_min is None or q.scale_max is None:
        check.fail("scaleMin" if q.scale_min is None else "scaleMax",
                   _("A scale needs both ends"))
        return
    if not (-SCALE_BOUND <= q.scale_min < q.scale_max <= SCALE_BOUND
            and q.scale_max - q.scale_min <= SCALE_SPAN_MAX):
        check.fail("scaleMax", _(
            "A scale runs from a lower to a higher end, at most {span} apart and within "
            "±{bound}", span=SCALE_SPAN_MAX, bound=SCALE_BOUND))


def _condition(check: _Check, show_if: ShowIf, every: list[QuestionInput]) -> None:
    if not 0 <= show_if.question < check.index:
        check.fail("showIf.question", _("showIf names an earlier question by its position "
                                        "(0 is the first)"))
        return
    earlier = every[show_if.question]
    if earlier.kind not in CONDITIONS:
        check.fail("showIf.question", _("A question can be shown after a single or multiple "
                                        "choice only"))
        return
    keys = {c.key for c in earlier.choices}
    if not show_if.any_of:
        check.fail("showIf.anyOf", _("Name the answers that show the question"))
    for position, key in enumerate(show_if.any_of):
        if key not in keys:
            check.fail(f"showIf.anyOf.{position}", _("The earlier question has no such choice"))
