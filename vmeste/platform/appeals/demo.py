"""Demo competence rules and appeals, on top of the reference demo data.

Rules are generated as CSV rows and go through the rules importer (validation,
drafts, atomic publish), and appeals go through the real lifecycle (moderation,
routing, every later step), so the demo shows the platform exactly as it behaves.
A few municipalities deliberately lack a rule for noise complaints, so the coverage
report and the manual-routing queue have something to show.

Time is replayed, so the statistics have something to show: the appeals are submitted
one after another over the :data:`SPAN` before the load, and each later step is taken
with the services' clock at its own moment (moderation hours after submission, the
answer some days after registration, on time or late by the term, the rating days
after the answer). A step whose moment is still ahead is not taken.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from vmeste.platform.appeals.models import Appeal, AppealStatus, Channel, LegalTrack
from vmeste.platform.appeals.router import Router, request_for
from vmeste.platform.appeals.rules_import import COLUMNS, upsert_rule_rows
from vmeste.platform.appeals.services import AppealServices, SubmitInput
from vmeste.platform.csvfiles import SourceRow
from vmeste.platform.errors import DomainError
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.dev_tokens import (
    DEMO_MAIL_DOMAIN,
    DevProfile,
    dev_claims,
    dev_subject,
    issue_dev_token,
)
from vmeste.platform.identity.models import Role, User
from vmeste.platform.identity.principal import ORGANIZATION_ROLES, SYSTEM, Principal
from vmeste.platform.identity.services import (
    AssignmentInput,
    assign_role,
    load_principal,
    upsert_user,
)
from vmeste.platform.identity.tokens import claims_to_identity
from vmeste.platform.policies.services import RegionPolicyInput, set_region_policy
from vmeste.platform.reference.demo import COUNTRY_CODE, DEMO_REGION_CODE
from vmeste.platform.reference.models import (
    PATH_SEPARATOR,
    Category,
    CompetenceLevel,
    Organization,
    Territory,
    TerritoryKind,
)
from vmeste.platform.settings import Settings

SEED = 2026
APPEALS = 320
CITIZENS = 40
#: The appeals are submitted evenly over this stretch before the load.
SPAN = timedelta(weeks=12)
MODERATED_AFTER = timedelta(hours=3)
ASSIGNED_AFTER = timedelta(hours=20)
RATED_AFTER = timedelta(days=2)
#: Which regional ministry handles which category group, by a word in its name.
MINISTRY_BY_GROUP = {
    "roads": "транспорт", "transport": "транспорт", "health": "здравоохранения",
    "education": "образования", "social": "социальн", "employment": "занятости",
    "housing": "жилищно", "garbage": "жилищно", "culture": "культуры",
    "ecology": "окружающей среды", "improvement": "окружающей среды",
    "communications": "информационных технологий",
}
#: Federal categories go to the federal body's office in the region, found by name.
FEDERAL_BODY = {
    "roads.federal_highways": "Росавтодор", "social.pensions": "Социального фонда",
    "employment.wage_arrears": "инспекция труда", "ecology.water_bodies": "Росприроднадзор",
    "communications": "Роскомнадзор",
}
NOISE = "ecology.noise"
#: Every appeal from this region waits for a human moderator (a region policy).
MANUAL_REVIEW_REGION = "92000000"
#: The README tour's appeal: a pothole in a settlement of the city of Kirov. The
#: printed staff tokens belong to the body it is routed to.
TOUR_CATEGORY = "roads.potholes"
TOUR_TERRITORY = "33701000001"
TEXTS = {
    "roads": "На улице Ленина у дома 12 большая яма на проезжей части, машины объезжают по "
             "встречной полосе. Просим отремонтировать покрытие.",
    "snow": "Третий день не убирают снег и наледь, пешеходы падают, дети идут в школу по "
            "проезжей части. Просим организовать уборку.",
    "garbage": "Контейнерная площадка во дворе переполнена, мусор не вывозят больше недели, "
               "появились крысы.",
    "social": "Не пришло пособие за прошлый месяц, в отделении соцзащиты не могут объяснить "
              "причину задержки.",
    "transport": "Автобус по маршруту номер 5 не приходит по расписанию, люди ждут на "
                 "остановке больше часа.",
    "health": "В поликлинике невозможно записаться к терапевту: запись открывается и сразу "
              "заканчивается.",
    "education": "В школе не работает отопление в кабинетах на втором этаже, дети сидят в "
                 "куртках.",
    "housing": "Управляющая компания не отвечает на заявки о протечке крыши над квартирой.",
    "culture": "Дом культуры закрыт на ремонт уже два года, работы не ведутся.",
    "employment": "Работодатель задерживает зарплату третий месяц, просим провести проверку.",
    "improvement": "Детская площадка во дворе сломана: качели без сидений, торчат болты.",
    "ecology": "Соседний цех шумит по ночам, спать невозможно, просим проверить.",
    "communications": "В деревне нет мобильной связи и интернета, не дозвониться до скорой.",
}


@dataclass(frozen=True)
class DemoAppealsSummary:
    rules: int
    appeals: int
    by_status: dict[str, int]


async def build_demo_rules() -> list[SourceRow]:
    categories = await Category.all().order_by("path").values_list(
        "code", "competence_level", "parent_id")
    parents = {code.split(".")[0] for code, _, parent in categories if parent is not None}
    leaves = [(code, level) for code, level, _ in categories
              if code not in parents or "." in code]
    bodies = await Organization.all().values_list("ogrn", "name", "kind", "territory__code",
                                                  "parent_id")
    regions = await Territory.filter(kind=TerritoryKind.REGION).order_by("code").values_list(
        "code", flat=True)
    rows: list[SourceRow] = []

    def add(category: str, territory: str, ogrn: str) -> None:
        cells = dict.fromkeys(COLUMNS, "")
        cells.update(category_code=category, territory_code=territory,
                     organization_ogrn=ogrn, priority="0")
        rows.append(SourceRow(len(rows) + 2, cells))

    def find(kind: str, territory: str, word: str) -> str | None:
        for ogrn, name, body_kind, code, _ in bodies:
            if body_kind == kind and code == territory and word.lower() in name.lower():
                return ogrn
        return None

    for region in regions:
        government = next(ogrn for ogrn, _, kind, code, parent in bodies
                          if kind == "regional" and code == region and parent is None)
        municipalities = await Territory.filter(
            kind=TerritoryKind.MUNICIPALITY, path__startswith=f"RU{PATH_SEPARATOR}{region}"
        ).order_by("code").values_list("code", flat=True)
        for code, level in leaves:
            group = code.split(".")[0]
            if level == CompetenceLevel.FEDERAL:
                word = FEDERAL_BODY.get(code) or FEDERAL_BODY.get(group, "")
                ogrn = find("federal", region, word) or find("federal", "RU", word)
                if ogrn:
                    add(code, region, ogrn)
            elif level == CompetenceLevel.REGIONAL:
                ministry = find("regional", region, MINISTRY_BY_GROUP.get(group, "\0"))
                add(code, region, ministry or government)
            else:
                for number, municipality in enumerate(municipalities):
                    if code == NOISE and number % 3 == 1:
                        continue
                    admin = next(ogrn for ogrn, _, kind, terr, parent in bodies
                                 if kind == "municipal" and terr == municipality
                                 and parent is None)
                    education = find("municipal", municipality, "образования")
                    add(code, municipality, education if group == "education" and education
                        else admin)
    return rows


async def _citizens(count: int) -> list[User]:
    users = []
    for number in range(count):
        subject = f"demo-citizen-{number:03d}"
        claims = dev_claims(subject, Role.CITIZEN, f"{subject}@{DEMO_MAIL_DOMAIN}")
        claims["family_name"] = ("Иванов", "Петрова", "Сидоров", "Кузнецова")[number % 4]
        users.append(await upsert_user(claims_to_identity(claims)))
    return users


async def load_demo_appeals(appeals: AppealServices) -> DemoAppealsSummary:
    """Rules for every demo region, a human-moderation policy for Tatarstan, then
    appeals driven into every status."""
    rows = await build_demo_rules()
    async with in_transaction() as conn:
        await upsert_rule_rows(rows, principal=SYSTEM, publish=True, conn=conn)
    appeals.router.table.invalidate()
    for strategy in ("basic", "manual-review"):
        await set_region_policy(SYSTEM, appeals.resolver, RegionPolicyInput(
            territory_code=MANUAL_REVIEW_REGION, kind="moderation", plugin=strategy))
    rng = random.Random(SEED)
    citizens = [await load_principal(user) for user in await _citizens(CITIZENS)]
    settlements = await Territory.filter(kind=TerritoryKind.SETTLEMENT).values_list(
        "code", flat=True)
    categories = [code for code in await Category.filter(parent_id__isnull=False)
                  .order_by("path").values_list("code", flat=True)]
    statuses: Counter[str] = Counter()
    now = appeals.clock()
    for number in range(APPEALS):
        citizen = citizens[number % len(citizens)]
        category = rng.choice(categories)
        text = TEXTS[category.split(".")[0]] + f" Обращение {number + 1}."
        if number % 37 == 0:
            text = "Яма"  # too short: the basic moderation strategy rejects it
        submitted = now - SPAN + SPAN * number / APPEALS
        appeal = await _at(appeals, submitted).submit(citizen, SubmitInput(
            text=text, category_code=category, channel=rng.choice([Channel.PORTAL,
                                                                   Channel.APP]),
            territory_code=rng.choice(settlements), idempotency_key=f"demo-{number}",
            legal_track=LegalTrack.APPEAL_59FZ if number % 5 == 0 else LegalTrack.MESSAGE))
        await _advance(_Replay(appeals, submitted, now), appeal.id, citizen, number)
        statuses[(await Appeal.get(id=appeal.id)).status.value] += 1
    return DemoAppealsSummary(rules=len(rows), appeals=APPEALS, by_status=dict(statuses))


def _at(appeals: AppealServices, moment: datetime) -> AppealServices:
    return replace(appeals, clock=lambda: moment)


@dataclass(frozen=True)
class _Replay:
    """One appeal's steps, each at its moment after the submission, up to ``now``."""

    appeals: AppealServices
    submitted: datetime
    now: datetime

    def after(self, delay: timedelta) -> AppealServices | None:
        """The services at ``delay`` after the submission; None while that is ahead."""
        moment = self.submitted + delay
        return _at(self.appeals, moment) if moment <= self.now else None


def answer_delay(number: int) -> timedelta:
    """How long after submission the demo appeal numbered ``number`` is answered: 1 to
    23 days and some hours, so some answers beat a term of 10 working days and some
    miss it."""
    return timedelta(days=number * 7 % 23 + 1, hours=number % 11)


async def _advance(replay: _Replay, appeal_id: int, citizen: Principal, number: int) -> None:
    """Walk the appeal a deterministic distance along its life."""
    stage = number % 9
    appeal = await Appeal.get(id=appeal_id)
    if appeal.status == AppealStatus.MODERATION:
        moderation = replay.after(MODERATED_AFTER)
        if number % 3 == 0 or moderation is None:
            return
        if number % 3 == 1:
            await moderation.moderate(SYSTEM, appeal_id, accept=False,
                                      reason="Обращение не содержит сути вопроса")
            return
        appeal = await moderation.moderate(SYSTEM, appeal_id, accept=True)
    if appeal.status != AppealStatus.ROUTED:
        return
    if stage == 0:
        return
    work = replay.after(ASSIGNED_AFTER)
    if work is None:
        return
    if stage == 1:
        await work.withdraw(citizen, appeal_id, reason="Проблему решили сами")
        return
    if stage == 2:
        await work.request_clarification(SYSTEM, appeal_id,
                                         question="Уточните, пожалуйста, точный адрес.")
        return
    executor = await _executor(appeal.organization_id)
    if executor is not None:
        await work.assign_executor(SYSTEM, appeal_id, executor_subject=executor.subject,
                                   executor_issuer=executor.issuer)
    answering = replay.after(answer_delay(number))
    if stage == 3 or answering is None:
        return
    await answering.answer(SYSTEM, appeal_id, text="Работы включены в план и будут выполнены "
                                                   "в течение двух недель.")
    rating = replay.after(answer_delay(number) + RATED_AFTER)
    if stage == 4 or rating is None:
        return
    await rating.rate(citizen, appeal_id, rating=_rating(number),
                      comment="Спасибо" if stage != 6 else "Ничего не сделано")
    if stage == 7:
        await rating.reopen(SYSTEM, appeal_id, reason="Ответ не по существу")


def _rating(number: int) -> int:
    """A 2 (rework) at stage 6, else 5, 4 or 3 by turns."""
    return 2 if number % 9 == 6 else (5, 4, 5, 3)[number // 9 % 4]


async def _executor(organization_id: int | None) -> User | None:
    """The body's demo executor, created on first need."""
    if organization_id is None:
        return None
    ogrn = (await Organization.get(id=organization_id)).ogrn
    user = await upsert_user(claims_to_identity(dev_claims(f"demo-executor-{ogrn}",
                                                           Role.EXECUTOR)))
    await assign_role(SYSTEM, AssignmentInput(user_issuer=user.issuer, user_subject=user.subject,
                                              role=Role.EXECUTOR, organization_ogrn=ogrn))
    return user


async def demo_tokens(settings: Settings, router: Router) -> dict[str, str]:
    """A dev token per role, each scoped so the README tour works with these alone:
    the body the tour's appeal is routed to for the body roles; the demo region (its
    competence rules, audit trail and queue of unrouted appeals) for the territory
    roles, with the moderator also over the region whose appeals all wait for a
    moderator; the country for the federal configurator."""
    try:
        request = await request_for(category_code=TOUR_CATEGORY,
                                    territory_code=TOUR_TERRITORY, applicant_type="person",
                                    channel=Channel.PORTAL.value, on=datetime.now(UTC).date())
    except DomainError as error:
        raise LookupError(f"not the demo data set: {error}") from None
    decision = await router.route(request)
    if decision.organization_id is None:
        raise LookupError(f"the demo rules route no {TOUR_CATEGORY} appeal in "
                          f"{TOUR_TERRITORY} to a body; start from an empty database")
    body = await Organization.get(id=decision.organization_id)
    tokens = {}
    for role in Role:
        if role == Role.FEDERAL_CONFIGURATOR:
            scope: dict[str, str] = {"territory_code": COUNTRY_CODE}
        elif role in ORGANIZATION_ROLES:
            scope = {"organization_ogrn": body.ogrn}
        elif role == Role.CITIZEN:
            scope = {}
        else:
            scope = {"territory_code": DEMO_REGION_CODE}
        tokens[role.value] = await issue_dev_token(
            settings, role, email=f"{role.value}@{DEMO_MAIL_DOMAIN}",
            # The citizen lives where the tour's appeal is and the demo's urban vote is.
            profile=DevProfile(complete=True, address_oktmo=TOUR_TERRITORY
                               if role == Role.CITIZEN else ""), **scope)
        if role == Role.MODERATOR:
            await assign_role(SYSTEM, AssignmentInput(
                user_issuer=DEV_ISSUER, user_subject=dev_subject(role, **scope), role=role,
                territory_code=MANUAL_REVIEW_REGION))
    return tokens
