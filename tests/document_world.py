"""A hearing seeded straight into the stage its documents are made in, with a draft, its
sections, participants of every class and their proposals (rows made with the ORM, so
these tests depend on nothing but the models).

The hearing is a public hearing on the land-use rules of the city of Kirov (region A's
municipality), organised by region A's ministry; ``B`` puts the same hearing in region
B's municipality, organised by region B's department.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from tortoise.transactions import in_transaction

from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, ORG_A, ORG_B
from vmeste.platform.hearings.models import (
    DraftSection,
    DraftVersion,
    Hearing,
    HearingKind,
    HearingParticipant,
    HearingStatus,
    ParticipantClass,
    ProcedureTemplate,
    Proposal,
    ProposalChannel,
    ProposalStatus,
    Recommendation,
)
from vmeste.platform.hearings.protocol import IN_DOCUMENTS
from vmeste.platform.hearings.recommendations import recommend
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.reference.models import Organization, Territory

NOTICE = ("Оповещение о начале публичных слушаний по проекту изменений в правила "
          "землепользования и застройки города Кирова. Экспозиция открыта в здании "
          "администрации, ул. Воровского, 39.")
NOTICE_WHERE = "газета «Наш город», № 48; официальный сайт администрации города Кирова"
NOTICE_AT = datetime(2026, 10, 1, 7, 0, tzinfo=UTC)
MEETING_AT = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
MEETING_PLACE = "г. Киров, ул. Воровского, 39, актовый зал"
EXPOSITION = {"starts_on": "2026-10-08", "ends_on": "2026-10-28", "length": 21,
              "unit": "calendar_days"}
TITLE = "Публичные слушания по проекту изменений в правила землепользования и застройки"
DRAFT_TITLE = "Проект изменений в правила землепользования и застройки города Кирова"
LEGAL_BASIS = "Градостроительный кодекс РФ, статьи 5.1 и 28"
DATED = date(2026, 11, 2)

#: (participant, class, user subject or None, channel, proposal, section position,
#:  status, recommendation, reason); the two pending ones are settled unless a test asks
#:  for them pending (:data:`SETTLED`).
PROPOSALS = (
    ("Иванова Мария Петровна", ParticipantClass.RESIDENT, "resident-ivanova",
     ProposalChannel.ONLINE, "Сохранить сквер у дома 12 как зону рекреации.", 0,
     ProposalStatus.PUBLISHED, Recommendation.TAKE_INTO_ACCOUNT,
     "Сквер отвечает нормативу озеленения квартала."),
    ("ООО «Вятка-Строй»", ParticipantClass.RIGHT_HOLDER, "holder-vyatka",
     ProposalChannel.WRITTEN, "Увеличить предельную высоту застройки до 9 этажей.", 1,
     ProposalStatus.PENDING, Recommendation.DECLINE,
     "Противоречит генеральному плану в части плотности."),
    ("Петров Андрей Сергеевич", ParticipantClass.OTHER, None,
     ProposalChannel.MEETING, "Предусмотреть велодорожку вдоль набережной.", 1,
     ProposalStatus.PUBLISHED, None, ""),
    ("Иванова Мария Петровна", ParticipantClass.RESIDENT, "resident-ivanova",
     ProposalChannel.ONLINE, "Запретить размещение автостоянок во дворах.", 1,
     ProposalStatus.PUBLISHED, Recommendation.DECLINE, "Вопрос не регулируется правилами."),
    ("Сидоров Олег", ParticipantClass.RESIDENT, "resident-sidorov",
     ProposalChannel.ONLINE, "Отклонённый модерацией текст.", 0,
     ProposalStatus.REJECTED, None, ""),
    ("Сидоров Олег", ParticipantClass.RESIDENT, "resident-sidorov",
     ProposalChannel.ONLINE, "Ещё не прошедший модерацию текст.", 0,
     ProposalStatus.PENDING, None, ""),
)

#: What moderation decided on the pending proposals once it is over: the letter is
#: published, the online text rejected (so the documents list the same four).
SETTLED = {2: ProposalStatus.PUBLISHED, 6: ProposalStatus.REJECTED}
#: The recommendation :func:`recommend_the_rest` records where none was.
DEFAULT_RECOMMENDATION = (Recommendation.TAKE_INTO_ACCOUNT, "Учесть при доработке проекта.")


@dataclass
class DocumentWorld:
    hearing: Hearing
    version: DraftVersion
    participants: dict[str, HearingParticipant] = field(default_factory=dict)
    proposals: list[Proposal] = field(default_factory=list)


async def user(subject: str) -> User:
    found = await User.get_or_none(subject=subject)
    return found or await User.create(issuer="test", subject=subject)


async def seed_hearing(status: HearingStatus = HearingStatus.PROTOCOL, *, region: str = "A",
                       kind: HearingKind = HearingKind.PUBLIC_HEARING,
                       proposals: bool = True, pending: bool = False) -> DocumentWorld:
    """The hearing in ``status`` (the world of ``tests.worlds`` seeded first), its
    proposals moderated unless ``pending``."""
    async with in_transaction():
        return await _seed(status, region, kind, proposals, pending)


async def recommend_the_rest(world: DocumentWorld) -> None:
    """The organiser's recommendation, through the service, on every proposal the
    protocol lists that has none (the hearing at the protocol or conclusion stage)."""
    listed = await Proposal.filter(IN_DOCUMENTS, hearing_id=world.hearing.id,
                                   recommendation__isnull=True).values_list("id", flat=True)
    for proposal_id in listed:
        await recommend(SYSTEM, proposal_id, *DEFAULT_RECOMMENDATION,
                        now=datetime(2026, 11, 3, tzinfo=UTC))


async def _seed(status: HearingStatus, region: str, kind: HearingKind, proposals: bool,
                pending: bool) -> DocumentWorld:
    municipality = await Territory.get(code=MUNICIPALITY_A if region == "A" else
                                       MUNICIPALITY_B)
    organiser = await Organization.get(ogrn=ORG_A if region == "A" else ORG_B)
    seeded = await ProcedureTemplate.filter(territory=municipality).count()
    template = await ProcedureTemplate.create(
        code=f"land_use_rules_{seeded + 1}", kind=kind, document_type="land_use_rules",
        title="Правила землепользования и застройки", legal_basis=LEGAL_BASIS,
        territory=municipality, territory_path=municipality.path, created_by="test",
        stages=[], total={})
    hearing = await Hearing.create(
        title=TITLE, kind=kind, document_type="land_use_rules", template=template,
        territory=municipality, territory_path=municipality.path, organiser=organiser,
        status=status, notice_text=NOTICE, notice_published_where=NOTICE_WHERE,
        notice_published_at=NOTICE_AT, exposition_place="ул. Воровского, 39, холл",
        meeting_place=MEETING_PLACE, meeting_at=MEETING_AT,
        schedule={"notice": {"starts_on": "2026-10-01", "ends_on": "2026-10-07", "length": 7,
                             "unit": "calendar_days"},
                  "exposition": EXPOSITION}, created_by="test")
    old = await DraftVersion.create(hearing=hearing, number=1, title="Первая редакция",
                                    created_by="test")
    version = await DraftVersion.create(hearing=hearing, number=2, title=DRAFT_TITLE,
                                        created_by="test")
    sections = [await DraftSection.create(version=version, position=i, number=number,
                                          heading=heading, text="…")
                for i, (number, heading) in enumerate(
                    (("1", "Зона рекреации Р-1"), ("2.3", "Жилая зона Ж-2")))]
    world = DocumentWorld(hearing=hearing, version=version)
    if not proposals:
        return world
    for n, (name, cls, subject, channel, text, section, state, recommendation, reason
            ) in enumerate(PROPOSALS, start=1):
        participant = world.participants.get(name)
        if participant is None:
            participant = await HearingParticipant.create(
                hearing=hearing, user=await user(subject) if subject else None,
                display_name=name, participant_class=cls, channel=channel,
                territory_path=municipality.path if cls == ParticipantClass.RESIDENT else "",
                cadastral_number="43:40:000000:1" if cls == ParticipantClass.RIGHT_HOLDER
                else "")
            world.participants[name] = participant
        world.proposals.append(await Proposal.create(
            hearing=hearing, number=n, participant=participant, participant_class=cls,
            version=version if n > 1 else old, section=sections[section], text=text,
            quote="высота не более 5 этажей" if n == 2 else "", channel=channel,
            status=state if pending else SETTLED.get(n, state),
            recommendation=recommendation, recommendation_reason=reason))
    return world
