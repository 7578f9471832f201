"""The votes of ``vmeste demo``, so a newcomer sees open votes, results, breakdowns and
charts at once:

* the urban-improvement vote: a federal template (single choice, from 14, verified
  accounts), instantiated for three municipalities of the demo region with their own
  objects, open, with part of the residents already voted;
* the region's participatory budget (method of equal shares), voted, closed and
  published: its results, winners, breakdowns (one municipality's group is too small
  and is suppressed), CSV, Pabulib file and charts are public.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from vmeste.platform.identity.principal import SYSTEM, Principal
from vmeste.platform.participation.demo import demo_residents
from vmeste.platform.reference.demo import COUNTRY_CODE, DEMO_REGION_CODE
from vmeste.platform.runtime import Runtime
from vmeste.platform.votes.casting import cast
from vmeste.platform.votes.drafts import OptionInput, VoteInput
from vmeste.platform.votes.methods import Choice
from vmeste.platform.votes.models import Vote, VoteOption, WinnerRule
from vmeste.platform.votes.services import VoteServices

RESIDENTS = 360
SEED = 27
#: Share of a municipality's residents who have already voted in the urban vote.
TURNOUT = 0.45
URBAN_TITLE = "Всероссийское онлайн-голосование за объекты благоустройства 2027"
URBAN_OBJECTS = {
    "33701000": ("Сквер у Филармонии", "Набережная Хлыновка", "Парк имени С. М. Кирова",
                 "Дендропарк на Ленина"),
    "33707000": ("Парк Победы", "Сквер Химиков", "Набережная реки Вятки"),
    "33713000": ("Площадь Революции", "Сквер у Спасского собора", "Детский парк"),
}
BUDGET_PROJECTS = (
    ("Освещение пешеходных переходов у школ", 3_200_000),
    ("Спортивная площадка в Нововятском районе", 4_500_000),
    ("Ремонт тротуаров на улице Ленина", 5_800_000),
    ("Велодорожка вдоль набережной", 6_100_000),
    ("Новые остановочные павильоны", 2_400_000),
    ("Сенсорный сад при детской поликлинике", 1_900_000),
)
BUDGET = 12_000_000


async def _urban(services: VoteServices) -> list[Vote]:
    template = await services.create(SYSTEM, VoteInput(
        title=URBAN_TITLE, territory_code=COUNTRY_CODE, method="single", min_age=14,
        verified_only=True, is_template=True, description=(
            "Жители выбирают общественные пространства, которые благоустроят в следующем "
            "году. Голосовать могут граждане с 14 лет с подтверждённой учётной записью."),
        options=(OptionInput(title="Общественное пространство"),
                 OptionInput(title="Дизайн-проект"))))
    votes = []
    for code, objects in URBAN_OBJECTS.items():
        vote = await services.create(SYSTEM, VoteInput(
            title=URBAN_TITLE, territory_code=code, template_id=template.pk,
            options=tuple(OptionInput(title=name) for name in objects)))
        votes.append(await services.open(SYSTEM, vote.pk))
    return votes


async def _budget(services: VoteServices) -> Vote:
    vote = await services.create(SYSTEM, VoteInput(
        title="Народный бюджет Кировской области 2027", territory_code=DEMO_REGION_CODE,
        method="budget", budget=BUDGET, min_projects=1, max_projects=4,
        winner_rule=WinnerRule.EQUAL_SHARES, min_age=16, description=(
            "Жители распределяют 12 млн рублей между проектами; победителей определяет "
            "метод равных долей."),
        options=tuple(OptionInput(title=title, cost=cost) for title, cost in BUDGET_PROJECTS)))
    return await services.open(SYSTEM, vote.pk)


def _basket(rng: random.Random, options: Sequence[VoteOption]) -> list[Choice]:
    """Two to four projects within the budget, the cheap and popular ones more often."""
    chosen: list[VoteOption] = []
    spent = 0
    for option in rng.sample(list(options), k=len(options)):
        cost = option.cost or 0
        if len(chosen) < rng.randint(2, 4) and spent + cost <= BUDGET:
            chosen.append(option)
            spent += cost
    return [Choice(option.pk) for option in chosen]


def _favourite(rng: random.Random, options: Sequence[VoteOption]) -> list[Choice]:
    """One object, the first listed a little more often than the next."""
    weights = [len(options) - i for i in range(len(options))]
    return [Choice(rng.choices(list(options), weights=weights)[0].pk)]


Pick = Callable[[random.Random, Sequence[VoteOption]], list[Choice]]


async def _vote_all(runtime: Runtime, vote: Vote, voters: Sequence[Principal], pick: Pick
                    ) -> int:
    options = list(await VoteOption.filter(vote_id=vote.pk).order_by("position"))
    rng = random.Random(SEED + vote.pk)
    for number, voter in enumerate(voters):
        await cast(runtime, voter, vote.pk, pick(rng, options),
                   idempotency_key=f"demo-{number}")
    return len(voters)


def _residents_of(voters: Sequence[Principal], code: str) -> list[Principal]:
    return [v for v in voters if v.user is not None and v.user.address_oktmo == code
            and v.user.verified]


async def load_demo_votes(runtime: Runtime) -> str:
    services = runtime.service(VoteServices)
    today = datetime.now(UTC).date()
    voters = await demo_residents(RESIDENTS, today)
    ballots = 0
    urban = await _urban(services)
    for vote in urban:
        residents = _residents_of(voters, vote.territory_path.rsplit("/", 1)[-1])
        ballots += await _vote_all(runtime, vote, residents[:int(len(residents) * TURNOUT)],
                                   _favourite)
    budget = await _budget(services)
    adults = [v for v in voters if v.user is not None and v.user.verified
              and v.user.birth_date is not None and today.year - v.user.birth_date.year > 17]
    ballots += await _vote_all(runtime, budget, adults, _basket)
    await services.close(SYSTEM, budget.pk)
    await services.publish(SYSTEM, budget.pk)
    return (f"{len(urban) + 1} votes and 1 template ({len(urban)} open, 1 published), "
            f"{ballots} ballots")
