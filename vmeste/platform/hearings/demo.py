"""The hearings of ``vmeste demo``: a public discussion of an amendment to the city's
land-use rules taking proposals (from residents, a right-holder and people from
elsewhere), a public hearing on a planning project carried through to its published
conclusion (protocol and conclusion as PDF), and a direct line of the mayor with
near-duplicate questions merged and some answered on air.

Every step goes through the same functions the API calls, as the system acting for the
organiser, so the demo's history, audit trail and documents are what real use leaves.
"""

from __future__ import annotations

from datetime import timedelta

from vmeste.platform.hearings import documents, drafts, duplicates, lines, participants
from vmeste.platform.hearings import proposals as offered
from vmeste.platform.hearings import questions as asked
from vmeste.platform.hearings.drafts import VersionInput
from vmeste.platform.hearings.hearings import Announcement, HearingInput, HearingServices
from vmeste.platform.hearings.line_models import LineQuestion, QuestionStatus
from vmeste.platform.hearings.lines import LineInput
from vmeste.platform.hearings.models import (
    DraftSection,
    HearingKind,
    ParticipantClass,
    Proposal,
    ProposalChannel,
    ProposalStatus,
    Recommendation,
)
from vmeste.platform.hearings.proposals import ProposalInput, StaffEntry
from vmeste.platform.hearings.recommendations import recommend
from vmeste.platform.identity.principal import SYSTEM, Principal
from vmeste.platform.participation.demo import demo_residents
from vmeste.platform.reference.models import Organization, OrganizationKind
from vmeste.platform.runtime import Runtime

CITY = "33701000"
RESIDENTS = 40
LAND_USE = """# Изменения в правила землепользования и застройки города Кирова

## 1. Общие положения
1.1. Настоящие изменения вносятся в карту градостроительного зонирования.

1.2. Изменения вступают в силу со дня официального опубликования.

## 2. Зона Ж-3 (многоэтажная жилая застройка)
2.1. Предельная высота зданий увеличивается с 40 до 60 метров.

2.2. Минимальная доля озеленения участка — 25 процентов.

## 3. Зона Р-1 (парки и скверы)
3.1. Сквер у Дворца творчества включается в зону Р-1.

"""
PLANNING = """# Проект планировки квартала в границах улиц Ленина, Труда и Профсоюзной

## 1. Жилая застройка
1.1. Размещение двух жилых домов высотой до 9 этажей.

1.2. Подземная парковка на 120 мест.

## 2. Социальная инфраструктура
2.1. Детский сад на 220 мест в центре квартала.

"""
#: Proposals on the discussion: (section number, quote or "", text, who), who being
#: "resident", "other" or "right_holder".
LAND_USE_PROPOSALS = (
    ("2.1", "с 40 до 60 метров", "Оставить предельную высоту 40 метров: дома в 20 этажей "
     "закроют солнце старым дворам.", "resident"),
    ("2.2", "", "Поднять долю озеленения до 30 процентов.", "resident"),
    ("3.1", "", "Включить в зону Р-1 и сквер на улице Милицейской.", "other"),
    ("2.1", "", "Разрешить 60 метров только на участках у проспекта Октябрьского.",
     "right_holder"),
    ("1.2", "", "Опубликовать карту зон в открытом формате.", "other"),
)
PLANNING_PROPOSALS = (
    ("1.2", "Увеличить парковку до 200 мест: во дворах уже нет мест.", "resident",
     Recommendation.TAKE_INTO_ACCOUNT, "Парковка будет расширена за счёт второго уровня."),
    ("2.1", "Построить вместо детского сада школу.", "other", Recommendation.DECLINE,
     "Потребность в местах в детских садах квартала подтверждена расчётом; школа есть "
     "в соседнем квартале."),
)
#: The mayor's direct line: paraphrases of one question merge into one.
QUESTIONS = (
    ("Когда отремонтируют дорогу на улице Ленина?", "Дороги"),
    ("Будет ли ремонт дороги по ул. Ленина в этом году?", "Дороги"),
    ("Когда починят дорогу на Ленина, там сплошные ямы?", "Дороги"),
    ("Почему на улице Ленина не горят фонари?", "Освещение"),
    ("Когда откроют новую поликлинику в Нововятском районе?", "Здравоохранение"),
    ("Пустят ли автобус 14 по вечерам чаще?", "Транспорт"),
)


async def _organiser() -> Organization:
    """The city's administration: the municipal body on the city's territory."""
    body = await Organization.filter(territory__code=CITY, kind=OrganizationKind.MUNICIPAL,
                                     name__startswith="Администрация").first()
    assert body is not None, "the demo reference data has the city administration"
    return body


async def _sections(version_id: int) -> dict[str, int]:
    return dict(await DraftSection.filter(version_id=version_id).values_list("number", "id"))


async def _propose(runtime: Runtime, hearing_id: int, people: dict[str, list[Principal]],
                   ) -> None:
    version = await drafts.current_version(hearing_id)
    assert version is not None
    numbers = await _sections(version.id)
    for number, (point, quote, text, who) in enumerate(LAND_USE_PROPOSALS):
        author = people[who][number % len(people[who])]
        if who == "right_holder":
            await participants.register(author, hearing_id, cadastral_number="43:40:000123:45",
                                        right_document="Выписка ЕГРН № 43/001/2026-1")
        await offered.submit(author, runtime.resolver, hearing_id, ProposalInput(
            text=text, section_id=numbers[point], quote=quote or None), now=runtime.clock())
    await _publish_pending(runtime, hearing_id)


async def _publish_pending(runtime: Runtime, hearing_id: int) -> None:
    """The moderator's decisions on what the chain left for a person."""
    for proposal in await Proposal.filter(hearing_id=hearing_id, status=ProposalStatus.PENDING):
        await offered.decide(SYSTEM, proposal.id, publish=True, reason="",
                             now=runtime.clock())


async def _discussion(runtime: Runtime, services: HearingServices, body: Organization,
                      people: dict[str, list[Principal]]) -> None:
    hearing = await services.create(SYSTEM, HearingInput(
        title="Изменения в правила землепользования и застройки города Кирова",
        territory_code=CITY, kind=HearingKind.PUBLIC_DISCUSSION,
        document_type="land_use_rules", organiser_id=body.id,
        exposition_place="г. Киров, ул. Воровского, 39, холл первого этажа",
        exposition_hours="пн–пт 9:00–17:00"))
    await drafts.add_version(SYSTEM, hearing.id, VersionInput(
        title="Проект изменений", markdown=LAND_USE), now=runtime.clock())
    await services.announce(SYSTEM, hearing.id, Announcement(
        notice_text="Администрация города Кирова оповещает о начале общественных "
                    "обсуждений проекта изменений в правила землепользования и застройки.",
        published_where="Газета «Наш город», № 41; сайт администрации города Кирова"))
    await services.open_exposition(SYSTEM, hearing.id)
    await _propose(runtime, hearing.id, people)


async def _finished_hearing(runtime: Runtime, services: HearingServices, body: Organization,
                            people: dict[str, list[Principal]]) -> None:
    now = runtime.clock()
    hearing = await services.create(SYSTEM, HearingInput(
        title="Проект планировки квартала в границах улиц Ленина, Труда и Профсоюзной",
        territory_code=CITY, kind=HearingKind.PUBLIC_HEARING,
        document_type="planning_project", organiser_id=body.id,
        exposition_place="г. Киров, ул. Воровского, 39", exposition_hours="пн–пт 9:00–17:00",
        meeting_place="г. Киров, ул. Воровского, 39, актовый зал",
        meeting_at=now + timedelta(days=10)))
    await drafts.add_version(SYSTEM, hearing.id, VersionInput(
        title="Проект планировки", markdown=PLANNING), now=now)
    await services.announce(SYSTEM, hearing.id, Announcement(
        notice_text="Администрация города Кирова оповещает о проведении публичных слушаний "
                    "по проекту планировки квартала.",
        published_where="Газета «Наш город», № 38"))
    await services.open_exposition(SYSTEM, hearing.id)
    await services.hold_meeting(SYSTEM, hearing.id)
    version = await drafts.current_version(hearing.id)
    assert version is not None  # published with the exposition
    numbers = await _sections(version.id)
    made = []
    for point, text, who, recommendation, reason in PLANNING_PROPOSALS:
        author = people[who][0]
        if who == "resident":
            made.append((await offered.submit(author, runtime.resolver, hearing.id,
                                              ProposalInput(text=text,
                                                            section_id=numbers[point]),
                                              now=now), recommendation, reason))
        else:  # said at the meeting, entered by the organiser
            made.append((await offered.record_entry(SYSTEM, runtime.resolver, hearing.id,
                                                    StaffEntry(
                channel=ProposalChannel.MEETING, name="Смирнов Олег Петрович",
                participant_class=ParticipantClass.OTHER,
                proposal=ProposalInput(text=text, section_id=numbers[point])), now=now),
                recommendation, reason))
    await _publish_pending(runtime, hearing.id)
    await services.close_proposals(SYSTEM, hearing.id)
    for proposal, recommendation, reason in made:
        await recommend(SYSTEM, proposal.id, recommendation, reason, now=now)
    await documents.generate_protocol(SYSTEM, hearing.id, now=now)
    await services.sign_protocol(SYSTEM, hearing.id)
    await documents.generate_conclusion(
        SYSTEM, hearing.id, "Публичные слушания признаны состоявшимися. Проект рекомендован "
        "к утверждению с учётом предложения о парковке.", now=now)
    await services.publish(SYSTEM, hearing.id, "Газета «Наш город», № 44; сайт администрации")


async def _direct_line(runtime: Runtime, body: Organization, people: list[Principal]) -> None:
    now = runtime.clock()
    line = await lines.create_line(SYSTEM, LineInput(
        title="Прямая линия с главой города", official_name="Глава города Кирова",
        official_position="Глава муниципального образования", organization_ogrn=body.ogrn,
        territory_code=CITY, starts_at=now + timedelta(days=2),
        topics=["Дороги", "Транспорт", "Здравоохранение", "Освещение"]), now)
    await lines.announce(SYSTEM, line.id, now)
    made = [await asked.ask(people[n % len(people)], line.id, text, topic,
                            resolver=runtime.resolver, now=now)
            for n, (text, topic) in enumerate(QUESTIONS)]
    for question in made:
        if (await LineQuestion.get(id=question.id)).status is QuestionStatus.PENDING:
            await asked.moderate_question(SYSTEM, question.id, publish=True, reason="",
                                          now=now)
    for n, question in enumerate(made):
        for supporter in people[len(QUESTIONS) + n:len(QUESTIONS) + n + 3 * (n + 1)]:
            await asked.support(supporter, question.id)
    similar = [found.id for found, _score in await duplicates.candidates(SYSTEM, made[0].id)]
    if similar:
        await duplicates.merge(SYSTEM, made[0].id, similar)
    await lines.start(SYSTEM, line.id, now)
    for question in (made[0], made[4]):
        await asked.mark_answered(SYSTEM, question.id, now)


async def load_demo_hearings(runtime: Runtime) -> str:
    services = runtime.service(HearingServices)
    body = await _organiser()
    residents = [r for r in await demo_residents(RESIDENTS, runtime.clock().date())
                 if r.user is not None and r.user.verified]
    people = {"resident": [r for r in residents if r.user and r.user.address_oktmo == CITY],
              "other": [r for r in residents if r.user and r.user.address_oktmo != CITY]}
    people["right_holder"] = people["other"][-1:]
    await _discussion(runtime, services, body, people)
    await _finished_hearing(runtime, services, body, people)
    await _direct_line(runtime, body, residents)
    return ("2 hearings (a discussion taking proposals, a hearing published with its "
            "protocol and conclusion), 1 direct line on air")
