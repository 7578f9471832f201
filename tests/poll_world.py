"""Polls for the polls tests, on the shared small world (``tests/worlds.py``).

``every_kind`` is a poll input with one question of each kind and a conditional one;
``organised`` creates and opens a poll through the services as the platform would;
``respondent`` is a citizen's principal with a chosen profile (the facts eligibility
reads); ``answers_for`` fills a valid answer to every question of ``every_kind``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.vote_world import ADULT, voter
from tests.worlds import MUNICIPALITY_A, REGION_A
from vmeste.platform.errors import DomainError
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import SYSTEM, Principal
from vmeste.platform.identity.services import load_principal
from vmeste.platform.polls.answers import AnswerInput, MatrixCell
from vmeste.platform.polls.models import Poll, PollQuestion
from vmeste.platform.polls.models import QuestionKind as K
from vmeste.platform.polls.questions import Choice, QuestionInput, ShowIf
from vmeste.platform.polls.services import PollInput, PollServices
from vmeste.platform.settings import Settings

ABC = (Choice("a", "Парк"), Choice("b", "Сквер"), Choice("c", "Набережная"))
AB = ABC[:2]


def question(kind: K, **fields: Any) -> QuestionInput:
    return QuestionInput(kind, fields.pop("title", "Вопрос"), **fields)


def services_of(app: Any) -> PollServices:
    return app.state.runtime.service(PollServices)  # type: ignore[no-any-return]


def refusal(error: DomainError) -> list[tuple[str | None, str]]:
    return [(e.field, e.code.value) for e in error.errors]


def every_kind() -> list[QuestionInput]:
    """single (0), multiple (1), text (2), scale (3), ranking (4), matrix (5), and a
    text shown only after single = "b" (6)."""
    return [
        QuestionInput(K.SINGLE, "Что благоустроить?", choices=ABC),
        QuestionInput(K.MULTIPLE, "Что нужно во дворе?", choices=ABC, max_choices=2),
        QuestionInput(K.TEXT, "Ваши предложения", required=False),
        QuestionInput(K.SCALE, "Насколько вы довольны?", scale_min=1, scale_max=5),
        QuestionInput(K.RANKING, "Расставьте по важности", choices=ABC),
        QuestionInput(K.MATRIX, "Оцените", choices=(Choice("good", "Хорошо"),
                                                    Choice("bad", "Плохо")),
                      rows=(Choice("roads", "Дороги"), Choice("light", "Освещение"))),
        QuestionInput(K.TEXT, "Почему сквер?", show_if=ShowIf(0, ("b",))),
    ]


async def organised(services: PollServices, *, territory: str = REGION_A, open_it: bool = True,
                    questions: list[QuestionInput] | None = None, **fields: Any) -> Poll:
    poll = await services.create(SYSTEM, PollInput(
        title=fields.pop("title", "Городская среда"), territory_code=territory,
        questions=questions if questions is not None else every_kind(), **fields))
    return await services.open(SYSTEM, poll.id) if open_it else poll


async def respondent(settings: Settings, sub: str, *, oktmo: str = MUNICIPALITY_A,
                     birthdate: date = ADULT, gender: str = "male",
                     verified: bool = True) -> Principal:
    await voter(settings, sub, oktmo=oktmo, birthdate=birthdate, gender=gender,
                verified=verified)
    return await load_principal(await User.get(issuer=DEV_ISSUER, subject=sub))


async def questions_of(poll: Poll) -> list[PollQuestion]:
    return list(await PollQuestion.filter(poll_id=poll.id).order_by("position"))


def answers_for(questions: list[PollQuestion], *, single: str = "a", scale: int = 4,
                text: str | None = "Больше лавочек", why: str = "Там тень",
                ranking: tuple[str, ...] = ("c", "a", "b")) -> list[AnswerInput]:
    """Valid answers to ``every_kind``'s questions (the conditional one when shown)."""
    q = [question.id for question in questions]
    answers = [AnswerInput(q[0], choice_keys=(single,)),
               AnswerInput(q[1], choice_keys=("a", "c")),
               AnswerInput(q[3], value=scale),
               AnswerInput(q[4], ranking=ranking),
               AnswerInput(q[5], matrix=(MatrixCell("roads", "bad"),
                                         MatrixCell("light", "good")))]
    if text is not None:
        answers.append(AnswerInput(q[2], text=text))
    if single == "b":
        answers.append(AnswerInput(q[6], text=why))
    return answers
