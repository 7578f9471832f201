"""The data world of the compiled-reads differential test: appeals in every state the
read paths must tell apart, and callers who each see a different part of them.

Everything is made through the platform's own mutations (submission, routing,
moderation and every later step) on top of the shared small worlds (``tests/worlds.py``,
``tests/appeal_world.py``), so the rows are the ones a real installation would hold:

- bodies: the city administration X (in MUNICIPALITY_A, most appeals go there), the
  regional ministry ORG_A that supervises the school ORG_A_SCHOOL, ORG_B in region B;
- appeals in the moderation queue (held by moderation, or without a rule: organization
  NULL), rejected, routed, in progress, waiting for a clarification, answered, closed,
  reworked, withdrawn, converted to 59-ФЗ; on the portal, widget (with a target
  organization), app and operator channels (the operator's citizen's profile hidden);
  complaints about X and about the school; with and without a point; one past due;
- callers: anonymous, citizens A (most appeals) and B (region B), X's operator,
  executor and administrator, the supervising ministry's administrator, the school's
  executor (its complaint hidden from them), region A's moderator, regional
  administrator and auditor, and the federal configurator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from strawberry import relay
from tortoise.transactions import in_transaction

from tests import worlds
from tests.appeal_world import INSIDE, OUTSIDE, SUBMIT, rule_row, seed_appeal_world
from tests.worlds import MUNICIPALITY_A, ok_data
from vmeste.platform.appeals.models import Appeal
from vmeste.platform.appeals.rules_import import upsert_rule_rows
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.reference.models import Category, Organization, Territory
from vmeste.testing import GraphQLClient, TokenFactory
from vmeste.testkit import Clock

CITIZEN_A, CITIZEN_B, CITIZEN_C = "ivanova", "petrov", "sidorov"
EXECUTOR_X = "executor-x"
#: Role name → (role, scope keyword arguments of ``make_token``, subject); the scope
#: values naming the city administration are filled in once it exists.
CALLERS: dict[str, tuple[str, dict[str, str], str]] = {
    "citizen_a": ("citizen", {}, CITIZEN_A),
    "citizen_b": ("citizen", {}, CITIZEN_B),
    "operator_x": ("operator", {"org": "X"}, "operator-x"),
    "executor_x": ("executor", {"org": "X"}, EXECUTOR_X),
    "org_admin_x": ("org_admin", {"org": "X"}, "admin-x"),
    "supervisor": ("org_admin", {"org": worlds.ORG_A}, "admin-ministry"),
    "complained_staff": ("executor", {"org": worlds.ORG_A_SCHOOL}, "executor-school"),
    "moderator": ("moderator", {"territory": worlds.REGION_A}, "moderator-a"),
    "regional_admin": ("regional_admin", {"territory": worlds.REGION_A}, "regional-admin-a"),
    "auditor": ("auditor", {"territory": worlds.REGION_A}, "auditor-a"),
    "federal": ("federal_configurator", {"territory": worlds.COUNTRY}, "federal"),
}
ROLES = ("anonymous", *CALLERS)
#: Each appeal's text: different enough that moderation takes none for a repeat.
TEXTS = {
    "overdue": "Яма на дороге у дома 1 по улице Ленина, машины бьют колёса.",
    "routed": "Во дворе дома 5 провал асфальта, детям негде гулять.",
    "school": "Возле школы разбита дорожка, ученики спотыкаются каждое утро.",
    "outside": "На съезде с трассы выбоина глубиной в ладонь, уже две аварии.",
    "ministry": "Региональная дорога к посёлку разбита, автобус не ходит неделю.",
    "unrouted": "Снег с тротуаров на Октябрьском проспекте не убирают с понедельника.",
    "complaint_x": "Администрация города не отвечает на жалобы про ямы третий месяц.",
    "complaint_school": "Школа не пускает родителей, а у ворот огромная лужа и грязь.",
    "widget": "Через сайт министерства: мост на въезде в город требует ремонта.",
    "in_progress": "Канализационный люк открыт на перекрёстке Мира и Труда.",
    "clarification": "Светофор у рынка мигает жёлтым с прошлой пятницы, опасно.",
    "answered": "Остановку на Профсоюзной снесли, новую так и не поставили.",
    "closed": "Бордюр у подъезда 3 разрушен, коляску не завезти.",
    "reworked": "Лестница к набережной без перил, пожилые люди падают зимой.",
    "withdrawn": "Фонарь у гаражей не горит, вечером совсем темно и страшно.",
    "converted": "Прошу ответ по закону: почему на улице Свободы нет тротуара?",
    "operator": "Позвонила жительница: у дома 12 на Молодой Гвардии обвал ямы.",
    "region_b": "Севастополь: на улице Гагарина трещина через всю проезжую часть.",
    "region_b_queue": "Севастополь, Гагаринский округ: дворы не чистят от снега.",
}


@dataclass
class ReadWorld:
    city_admin: str
    #: Role name → bearer token (None: anonymous).
    tokens: dict[str, str | None] = field(default_factory=dict)
    #: Label → an appeal's global id.
    appeals: dict[str, str] = field(default_factory=dict)
    #: Primary keys by table, for cursors.
    keys: dict[str, list[int]] = field(default_factory=dict)
    #: Global ids of reference rows (Territory, Organization, Category).
    reference_ids: list[str] = field(default_factory=list)
    codes: dict[str, list[str]] = field(default_factory=dict)


class Seeder:
    """Submits and moves appeals through GraphQL, as their authors and handlers would."""

    def __init__(self, graphql: GraphQLClient, world: ReadWorld) -> None:
        self.graphql = graphql
        self.world = world

    async def submit(self, label: str, author: str, status: str, **fields: Any) -> str:
        data = {"text": TEXTS[label], "categoryCode": "roads.pits",
                "territoryCode": MUNICIPALITY_A, **fields}
        body = ok_data(await self.graphql(SUBMIT, {"input": data},
                                          token=self.world.tokens[author]))
        payload = body["submitAppeal"]
        assert payload["userErrors"] == [], (label, payload)
        assert payload["appeal"]["status"] == status, (label, payload)
        self.world.appeals[label] = payload["appeal"]["id"]
        return str(payload["appeal"]["id"])

    async def step(self, caller: str, mutation: str, input_type: str, label: str,
                   status: str, **fields: Any) -> None:
        document = (f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ "
                    "appeal { status } userErrors { field code message } } }")
        variables = {"input": {"appealId": self.world.appeals[label], **fields}}
        payload = ok_data(await self.graphql(document, variables,
                                             token=self.world.tokens[caller]))[mutation]
        assert payload == {"appeal": {"status": status}, "userErrors": []}, (label, payload)

    async def assign(self, label: str) -> None:
        await self.step("operator_x", "assignExecutor", "AssignExecutorInput", label,
                        "IN_PROGRESS", executorSubject=EXECUTOR_X, executorIssuer="vmeste-dev")

    async def answer(self, label: str, text: str) -> None:
        await self.step("executor_x", "answerAppeal", "AppealTextInput", label, "ANSWERED",
                        text=text)


async def seed_read_world(app: Starlette, graphql: GraphQLClient,
                          make_token: TokenFactory) -> ReadWorld:
    """The world, seeded through ``app`` (whose runtime clock it sets back for the
    appeal that is to be past due)."""
    async with in_transaction() as conn:
        await worlds.seed_world()
        city_admin = (await seed_appeal_world()).city_admin
        await upsert_rule_rows([rule_row(5, "roads", worlds.REGION_B, worlds.ORG_B)],
                               principal=SYSTEM, publish=True, conn=conn)
    world = ReadWorld(city_admin=city_admin, tokens={"anonymous": None})
    for name, (role, scope, subject) in CALLERS.items():
        scope = {k: city_admin if v == "X" else v for k, v in scope.items()}
        world.tokens[name] = await make_token(role, sub=subject, **scope)
    world.tokens["citizen_c"] = await make_token("citizen", sub=CITIZEN_C)
    await _appeals(app, Seeder(graphql, world), city_admin)
    del world.tokens["citizen_c"]  # an author, not one of the compared callers
    await _keys(world)
    return world


async def _appeals(app: Starlette, seed: Seeder, city_admin: str) -> None:
    runtime = app.state.runtime
    # Submitted 40 days ago: its 30-day term has run out while it waits.
    runtime.clock = Clock(datetime.now(UTC) - timedelta(days=40))
    await seed.submit("overdue", "citizen_a", "ROUTED", legalTrack="APPEAL_59FZ",
                      address="ул. Ленина, 1")
    runtime.clock = lambda: datetime.now(UTC)
    await seed.submit("routed", "citizen_a", "ROUTED", address="ул. Ленина, 5")
    await seed.submit("school", "citizen_a", "ROUTED", **INSIDE)
    await seed.submit("outside", "citizen_a", "ROUTED", channel="APP", **OUTSIDE)
    await seed.submit("ministry", "citizen_a", "ROUTED", categoryCode="roads")
    await seed.submit("unrouted", "citizen_a", "UNROUTED", categoryCode="snow")
    held = ok_data(await seed.graphql(SUBMIT, {"input": {
        "text": "Какая-то хуйня с дорогой, когда починят?", "categoryCode": "roads.pits",
        "territoryCode": MUNICIPALITY_A}}, token=seed.world.tokens["citizen_a"]))
    assert held["submitAppeal"]["appeal"]["status"] == "MODERATION", held
    seed.world.appeals["held"] = held["submitAppeal"]["appeal"]["id"]
    rejected = ok_data(await seed.graphql(SUBMIT, {"input": {
        "text": "Яма", "categoryCode": "roads.pits", "territoryCode": MUNICIPALITY_A}},
        token=seed.world.tokens["citizen_a"]))
    assert rejected["submitAppeal"]["appeal"]["status"] == "REJECTED", rejected
    seed.world.appeals["rejected"] = rejected["submitAppeal"]["appeal"]["id"]
    await seed.submit("complaint_x", "citizen_a", "ROUTED",
                      complainedOrganizationOgrn=city_admin)
    await seed.submit("complaint_school", "citizen_a", "ROUTED",
                      complainedOrganizationOgrn=worlds.ORG_A_SCHOOL, **INSIDE)
    await seed.submit("widget", "citizen_a", "ROUTED", channel="WIDGET",
                      targetOrganizationOgrn=worlds.ORG_A, categoryCode="roads")
    await seed.submit("in_progress", "citizen_c", "ROUTED")
    await seed.submit("clarification", "citizen_c", "ROUTED")
    await seed.submit("answered", "citizen_c", "ROUTED")
    await seed.submit("closed", "citizen_a", "ROUTED")
    await seed.submit("reworked", "citizen_a", "ROUTED")
    await seed.submit("withdrawn", "citizen_a", "ROUTED")
    await seed.submit("converted", "citizen_c", "ROUTED")
    await seed.submit("operator", "operator_x", "ROUTED", channel="OPERATOR",
                      onBehalfOfSubject=CITIZEN_A)
    await seed.submit("region_b", "citizen_b", "ROUTED", categoryCode="roads",
                      territoryCode=worlds.MUNICIPALITY_B)
    await seed.submit("region_b_queue", "citizen_b", "UNROUTED", categoryCode="snow",
                      territoryCode=worlds.MUNICIPALITY_B, channel="SOCIAL")
    await seed.assign("in_progress")
    await seed.step("executor_x", "requestClarification", "RequestClarificationInput",
                    "clarification", "CLARIFICATION_REQUESTED", question="Какой номер дома?")
    await seed.answer("answered", "Яму заделаем до пятницы.")
    await seed.answer("closed", "Яма заделана, фото приложено.")
    await seed.step("citizen_a", "rateAnswer", "RateAnswerInput", "closed", "CLOSED",
                    rating=5)
    await seed.answer("reworked", "Заделали.")
    await seed.step("citizen_a", "rateAnswer", "RateAnswerInput", "reworked", "ROUTED",
                    rating=2, comment="Не заделали")
    await seed.step("citizen_a", "withdrawAppeal", "AppealReasonInput", "withdrawn",
                    "WITHDRAWN", reason="Уже сделали")
    await seed.step("operator_x", "convertAppeal", "ConvertAppealInput", "converted",
                    "ROUTED", track="APPEAL_59FZ", reason="Просьба заявителя")


async def _keys(world: ReadWorld) -> None:
    world.keys = {"Appeal": sorted(await Appeal.all().values_list("id", flat=True))}
    for model in (Territory, Organization, Category):
        name = model.__name__
        world.keys[name] = sorted(await model.all().values_list("id", flat=True))
        world.reference_ids += [relay.to_base64(name, pk) for pk in world.keys[name][:3]]
    world.codes = {
        "territory": list(await Territory.all().order_by("id").values_list("code", flat=True)),
        "organization": list(await Organization.all().order_by("id").values_list(
            "ogrn", flat=True)),
        "inn": list(await Organization.all().order_by("id").values_list("inn", flat=True)),
        "category": list(await Category.all().order_by("id").values_list("code", flat=True)),
    }
