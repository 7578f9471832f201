"""The polls of ``vmeste demo``: the demo region's population (so results show the
R-score and weighted shares), a regional poll on public transport answered across age
bands and published, and a city poll on courtyards still open.

Residents answer by their age and gender with a plausible lean (younger people ride
buses more and ask for apps; older people ask for low-floor buses), so the breakdowns
and the weighting have something to show.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from vmeste.platform.identity.principal import SYSTEM, Principal
from vmeste.platform.participation.demo import demo_residents
from vmeste.platform.participation.population import import_population
from vmeste.platform.polls.answers import AnswerInput, MatrixCell
from vmeste.platform.polls.models import PollQuestion, PollTextAnswer, QuestionKind
from vmeste.platform.polls.questions import Choice, QuestionInput, ShowIf
from vmeste.platform.polls.services import PollInput, PollServices
from vmeste.platform.reference.demo import DEMO_REGION_CODE
from vmeste.platform.runtime import Runtime

RESIDENTS = 360
SEED = 12
#: The demo region by age band and gender (thousands, rounded as a statistics office
#: publishes them).
POPULATION = {"14-17": (22, 21), "18-24": (36, 34), "25-34": (70, 68),
              "35-44": (78, 80), "45-59": (105, 120), "60+": (110, 175)}
CITY = "33701000"
TEXTS = ("Пустите больше автобусов по вечерам.", "Нужно приложение с расписанием.",
         "Остановки без навесов, зимой холодно.", "Спасибо водителям маршрута 14!")


def _population_csv() -> str:
    lines = ["territory_code,age_band,gender,count"]
    for band, (male, female) in POPULATION.items():
        lines += [f"{DEMO_REGION_CODE},{band},male,{male * 1000}",
                  f"{DEMO_REGION_CODE},{band},female,{female * 1000}"]
    return "\n".join(lines) + "\n"


def _choices(*titles: str) -> tuple[Choice, ...]:
    return tuple(Choice(key=f"c{number}", title=title) for number, title in enumerate(titles))


TRANSPORT = PollInput(
    title="Общественный транспорт Кировской области", territory_code=DEMO_REGION_CODE,
    min_age=14, description="Как вы пользуетесь автобусами и что изменить в первую очередь.",
    questions=[
        QuestionInput(kind=QuestionKind.SINGLE, title="Как часто вы ездите на автобусе?",
                      choices=_choices("Каждый день", "Несколько раз в неделю", "Редко",
                                       "Никогда")),
        QuestionInput(kind=QuestionKind.MULTIPLE, title="Что улучшить в первую очередь?",
                      min_choices=1, max_choices=2,
                      choices=_choices("Чаще рейсы", "Низкопольные автобусы",
                                       "Приложение с расписанием", "Тёплые остановки"),
                      show_if=ShowIf(question=0, any_of=("c0", "c1", "c2"))),
        QuestionInput(kind=QuestionKind.SCALE, title="Оцените транспорт от 1 до 5",
                      scale_min=1, scale_max=5),
        QuestionInput(kind=QuestionKind.TEXT, title="Ваши предложения", required=False),
    ])
COURTYARD = PollInput(
    title="Каким должен быть ваш двор", territory_code=CITY, min_age=14,
    questions=[
        QuestionInput(kind=QuestionKind.RANKING, title="Расставьте по важности",
                      choices=_choices("Освещение", "Детская площадка", "Парковка",
                                       "Озеленение")),
        QuestionInput(kind=QuestionKind.MATRIX, title="Оцените, что есть сейчас",
                      rows=(Choice("light", "Освещение"), Choice("benches", "Скамейки")),
                      choices=_choices("Хорошо", "Плохо")),
    ])


def _transport(rng: random.Random, resident: Principal, ids: Sequence[int], number: int
               ) -> list[AnswerInput]:
    young = resident.user is not None and resident.user.birth_date is not None and (
        datetime.now(UTC).year - resident.user.birth_date.year < 35)
    often = rng.choices(["c0", "c1", "c2", "c3"], weights=[5, 3, 2, 1] if young
                        else [2, 3, 3, 2])[0]
    answers = [AnswerInput(ids[0], choice_keys=(often,))]
    if often != "c3":
        wished = rng.sample(["c0", "c2", "c3"] if young else ["c0", "c1", "c3"], k=2)
        answers.append(AnswerInput(ids[1], choice_keys=tuple(wished[:rng.randint(1, 2)])))
    answers.append(AnswerInput(ids[2], value=rng.choices([1, 2, 3, 4, 5],
                                                         weights=[1, 2, 4, 3, 1])[0]))
    if number % 7 == 0:
        answers.append(AnswerInput(ids[3], text=TEXTS[number % len(TEXTS)]))
    return answers


def _courtyard(rng: random.Random, resident: Principal, ids: Sequence[int], number: int
               ) -> list[AnswerInput]:
    order = rng.sample(["c0", "c1", "c2", "c3"], k=4)
    cells = tuple(MatrixCell(row, rng.choice(["c0", "c1"])) for row in ("light", "benches"))
    return [AnswerInput(ids[0], ranking=tuple(order)), AnswerInput(ids[1], matrix=cells)]


Make = Callable[[random.Random, Principal, Sequence[int], int], list[AnswerInput]]


async def _answer(services: PollServices, poll_id: int, residents: Sequence[Principal],
                  make: Make) -> int:
    ids = list(await PollQuestion.filter(poll_id=poll_id).order_by("position")
               .values_list("id", flat=True))
    rng = random.Random(SEED + poll_id)
    for number, resident in enumerate(residents):
        await services.responses.submit(resident, poll_id, make(rng, resident, ids, number),
                                        f"demo-{number}")
    return len(residents)


async def load_demo_polls(runtime: Runtime) -> str:
    services = runtime.service(PollServices)
    await import_population(io.StringIO(_population_csv()), bands=runtime.settings.age_bands,
                            actor="demo")
    residents = [r for r in await demo_residents(RESIDENTS, datetime.now(UTC).date())
                 if r.user is not None and r.user.verified]
    transport = await services.create(SYSTEM, TRANSPORT)
    await services.open(SYSTEM, transport.pk)
    answered = await _answer(services, transport.pk, residents, _transport)
    for number, text in enumerate(await PollTextAnswer.filter(poll_id=transport.pk)):
        await services.moderate_text(SYSTEM, text.id, approve=number % 5 != 4,
                                     reason="" if number % 5 != 4 else "Не по теме опроса")
    await services.close(SYSTEM, transport.pk)
    await services.publish(SYSTEM, transport.pk)
    courtyard = await services.create(SYSTEM, COURTYARD)
    await services.open(SYSTEM, courtyard.pk)
    city = [r for r in residents if r.user is not None and r.user.address_oktmo == CITY]
    answered += await _answer(services, courtyard.pk, city[:len(city) // 2], _courtyard)
    return f"2 polls (1 published, 1 open), {answered} responses, population of the region"
