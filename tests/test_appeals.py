"""The appeal lifecycle through GraphQL, as applicants and staff use it."""

from typing import Any

import pytest
import pytest_asyncio

from tests.appeal_world import (
    INSIDE,
    OUTSIDE,
    SETTLEMENT_A,
    SUBMIT,
    AppealWorld,
    seed_appeal_world,
    submit_input,
)
from tests.worlds import (
    MUNICIPALITY_A,
    ORG_A,
    ORG_A_SCHOOL,
    ORG_B,
    REGION_A,
    count_queries,
    ok_data,
    user_error_codes,
)
from vmeste.platform.appeals.models import Appeal, AppealEvent
from vmeste.platform.identity.authenticate import Authenticator
from vmeste.platform.plugins import build_plugin_manager

EVENTS = """query($id: ID!) { appeal(id: $id) { status reworkCount rating answer
  events { action fromStatus toStatus reason actor } } }"""


@pytest_asyncio.fixture
async def appeal_world(world) -> AppealWorld:
    return await seed_appeal_world()


@pytest_asyncio.fixture
async def citizen(appeal_world, make_token) -> str:
    return await make_token("citizen", sub="ivanova")


async def submit(graphql, token: str, **changes: Any) -> dict[str, Any]:
    body = ok_data(await graphql(SUBMIT, submit_input(**changes), token=token))
    return body["submitAppeal"]


async def step(graphql, token: str, mutation: str, input_type: str, **fields: Any
               ) -> dict[str, Any]:
    document = (f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ "
                "appeal { status } userErrors { field code message } } }")
    return ok_data(await graphql(document, {"input": fields}, token=token))[mutation]


async def test_submitted_appeal_is_moderated_and_routed_with_a_trace(graphql, citizen,
                                                                      appeal_world):
    payload = await submit(graphql, citizen)
    appeal = payload["appeal"]
    assert payload["userErrors"] == []
    assert appeal["status"] == "ROUTED"
    assert appeal["organization"] == {"ogrn": appeal_world.city_admin}
    table = next(s for s in appeal["routingTrace"] if s["strategy"] == "competence-table")
    assert [r["verdict"] for r in table["rules"]] == ["winner"]
    body = ok_data(await graphql(EVENTS, {"id": appeal["id"]}, token=citizen))
    steps = [(e["action"], e["toStatus"]) for e in body["appeal"]["events"]]
    assert steps == [("submit", "MODERATION"), ("moderate", "MODERATION"),
                     ("route", "ROUTED")]
    assert all(e["actor"] is None for e in body["appeal"]["events"]), "hidden from applicants"


async def test_repeated_submit_with_the_same_key_returns_the_first_appeal(graphql, citizen):
    first = await submit(graphql, citizen, idempotencyKey="k-1")
    again = await submit(graphql, citizen, idempotencyKey="k-1", text="Другой текст " * 3)
    assert first["appeal"]["id"] == again["appeal"]["id"]
    assert await Appeal.all().count() == 1


@pytest.mark.parametrize(("text", "status", "code"), [
    ("Яма", "REJECTED", "too_short"),
    ("Какая-то хуйня с дорогой, когда починят?", "MODERATION", "obscene"),
])
async def test_moderation_rejects_or_holds_with_a_recorded_reason(graphql, citizen, text,
                                                                  status, code):
    appeal = (await submit(graphql, citizen, text=text))["appeal"]
    assert appeal["status"] == status
    event = await AppealEvent.filter(action="moderate").first()
    assert event.payload["code"] == code and event.reason
    assert event.actor == "system:moderation/basic"


async def test_the_same_text_again_is_rejected_as_a_repeat(graphql, citizen):
    first = (await submit(graphql, citizen))["appeal"]
    second = (await submit(graphql, citizen))["appeal"]
    assert second["status"] == "REJECTED"
    event = await AppealEvent.filter(action="moderate").order_by("-id").first()
    assert event.payload["code"] == "repeated"
    assert first["status"] == "ROUTED"


async def test_without_a_rule_the_appeal_waits_in_the_regions_queue(graphql, citizen,
                                                                      make_token):
    appeal = (await submit(graphql, citizen, categoryCode="snow"))["appeal"]
    assert appeal["status"] == "UNROUTED" and appeal["organization"] is None
    assert appeal["routingTrace"][-1]["strategy"] == "moderation-queue"
    moderator = await make_token("moderator", territory=REGION_A)
    queue = ok_data(await graphql('{ appeals(filter: {status: [UNROUTED]}) { totalCount } }',
                                  token=moderator))
    assert queue["appeals"]["totalCount"] == 1
    moved = await step(graphql, moderator, "redirectAppeal", "RedirectAppealInput",
                       appealId=appeal["id"], organizationOgrn=ORG_A,
                       reason="Уборка снега на региональных дорогах")
    assert moved == {"appeal": {"status": "ROUTED"}, "userErrors": []}


async def test_widget_target_wins_when_competent_and_is_skipped_when_not(graphql, citizen):
    widget = await submit(graphql, citizen, channel="WIDGET", targetOrganizationOgrn=ORG_A)
    assert widget["appeal"]["organization"] == {"ogrn": ORG_A}
    assert widget["appeal"]["routingTrace"][0]["strategy"] == "widget-target"
    other = await submit(graphql, citizen, channel="WIDGET", targetOrganizationOgrn=ORG_B,
                         text="Ещё одна яма на соседней улице, глубокая и опасная.")
    assert other["appeal"]["organization"]["ogrn"] != ORG_B


async def test_a_point_inside_a_boundary_refines_the_territory(graphql, citizen, appeal_world):
    inside = await submit(graphql, citizen, **INSIDE)
    assert inside["appeal"]["organization"] == {"ogrn": ORG_A_SCHOOL}
    assert inside["appeal"]["territory"] == {"code": MUNICIPALITY_A}
    geo = next(s for s in inside["appeal"]["routingTrace"] if s["strategy"] == "geo-boundary")
    assert geo["territory_code"] == "33701000001"
    outside = await submit(graphql, citizen, text="Яма у остановки, вторую неделю не могут "
                           "заделать.", **OUTSIDE)
    assert outside["appeal"]["organization"] == {"ogrn": appeal_world.city_admin}


async def test_a_point_alone_places_the_appeal_in_the_territory_that_holds_it(
        graphql, citizen, appeal_world):
    placed = await submit(graphql, citizen, territoryCode=None, **INSIDE)
    assert placed["userErrors"] == []
    assert placed["appeal"]["territory"] == {"code": SETTLEMENT_A}
    nowhere = await submit(graphql, citizen, territoryCode=None, text="Яма у остановки, "
                           "вторую неделю не могут заделать.", **OUTSIDE)
    assert [(e["field"], e["code"]) for e in nowhere["userErrors"]] == [("latitude",
                                                                        "NOT_FOUND")]


async def test_complaints_never_reach_the_body_complained_about(graphql, citizen,
                                                                appeal_world, make_token):
    appeal = (await submit(graphql, citizen,
                           complainedOrganizationOgrn=appeal_world.city_admin))["appeal"]
    assert appeal["organization"] == {"ogrn": ORG_A}
    admin = await make_token("org_admin", org=ORG_A)
    refused = await step(graphql, admin, "redirectAppeal", "RedirectAppealInput",
                         appealId=appeal["id"], organizationOgrn=appeal_world.city_admin,
                         reason="По подведомственности")
    assert user_error_codes(refused) == ["FORBIDDEN"]


async def test_the_whole_life_with_clarification_rework_and_reopening(
        graphql, citizen, appeal_world, make_token):
    org = appeal_world.city_admin
    appeal_id = (await submit(graphql, citizen))["appeal"]["id"]
    operator = await make_token("operator", org=org)
    executor = await make_token("executor", org=org, sub="petrov")
    admin = await make_token("org_admin", org=org)
    assert (await step(graphql, operator, "assignExecutor", "AssignExecutorInput",
                       appealId=appeal_id, executorSubject="petrov",
                       executorIssuer="vmeste-dev"))["appeal"]["status"] == "IN_PROGRESS"
    assert (await step(graphql, executor, "requestClarification",
                       "RequestClarificationInput", appealId=appeal_id,
                       question="Укажите номер дома"))["appeal"]["status"] == \
        "CLARIFICATION_REQUESTED"
    assert (await step(graphql, citizen, "clarifyAppeal", "AppealTextInput",
                       appealId=appeal_id, text="Дом 5"))["appeal"]["status"] == "IN_PROGRESS"
    assert (await step(graphql, executor, "answerAppeal", "AppealTextInput",
                       appealId=appeal_id, text="Яму заделаем до пятницы."))[
        "appeal"]["status"] == "ANSWERED"
    assert (await step(graphql, citizen, "rateAnswer", "RateAnswerInput", appealId=appeal_id,
                       rating=2, comment="Не заделали"))["appeal"]["status"] == "IN_PROGRESS"
    await step(graphql, executor, "answerAppeal", "AppealTextInput", appealId=appeal_id,
               text="Яма заделана, фото приложено.")
    assert (await step(graphql, citizen, "rateAnswer", "RateAnswerInput", appealId=appeal_id,
                       rating=5))["appeal"]["status"] == "CLOSED"
    assert (await step(graphql, admin, "reopenAppeal", "AppealReasonInput",
                       appealId=appeal_id, reason="Фото не приложено"))[
        "appeal"]["status"] == "IN_PROGRESS"
    body = ok_data(await graphql(EVENTS, {"id": appeal_id}, token=admin))["appeal"]
    assert body["reworkCount"] == 2 and body["rating"] == 5
    actions = [e["action"] for e in body["events"]]
    assert actions[3:] == ["assign_executor", "request_clarification", "clarify", "answer",
                           "rate", "answer", "rate", "reopen"]
    assert all(e["actor"] for e in body["events"]), "staff see who acted"


@pytest.mark.parametrize(("mutation", "input_type", "fields"), [
    ("rateAnswer", "RateAnswerInput", {"rating": 5}),
    ("clarifyAppeal", "AppealTextInput", {"text": "Дом 5"}),
    ("reopenAppeal", "AppealReasonInput", {"reason": "Ещё раз"}),
])
async def test_illegal_transitions_are_refused_with_a_code(graphql, citizen, make_token,
                                                           appeal_world, mutation,
                                                           input_type, fields):
    appeal_id = (await submit(graphql, citizen))["appeal"]["id"]
    token = await make_token("org_admin", org=appeal_world.city_admin) \
        if mutation == "reopenAppeal" else citizen
    result = await step(graphql, token, mutation, input_type, appealId=appeal_id, **fields)
    assert user_error_codes(result) == ["ILLEGAL_TRANSITION"]
    assert (await Appeal.get()).status == "routed"


async def test_only_the_applicant_withdraws(graphql, citizen, make_token):
    appeal_id = (await submit(graphql, citizen))["appeal"]["id"]
    stranger = await make_token("citizen", sub="stranger")
    refused = await step(graphql, stranger, "withdrawAppeal", "AppealReasonInput",
                         appealId=appeal_id)
    assert user_error_codes(refused) == ["FORBIDDEN"]
    done = await step(graphql, citizen, "withdrawAppeal", "AppealReasonInput",
                      appealId=appeal_id, reason="Сделали")
    assert done["appeal"]["status"] == "WITHDRAWN"


async def test_conversion_to_a_formal_appeal_keeps_the_history(graphql, citizen, make_token,
                                                               appeal_world):
    appeal_id = (await submit(graphql, citizen))["appeal"]["id"]
    operator = await make_token("operator", org=appeal_world.city_admin)
    document = """mutation($input: ConvertAppealInput!) { convertAppeal(input: $input) {
      appeal { legalTrack status } userErrors { code } } }"""
    result = ok_data(await graphql(document, {"input": {
        "appealId": appeal_id, "track": "APPEAL_59FZ", "reason": "Заявитель просит ответ по "
        "59-ФЗ"}}, token=operator))["convertAppeal"]
    assert result == {"appeal": {"legalTrack": "APPEAL_59FZ", "status": "ROUTED"},
                      "userErrors": []}
    assert await AppealEvent.filter(action="convert").count() == 1


async def test_bad_input_is_reported_field_by_field(graphql, citizen):
    payload = await submit(graphql, citizen, text=" ", categoryCode="nope",
                           territoryCode="99999999", latitude=10.0)
    fields = {(e["field"], e["code"]) for e in payload["userErrors"]}
    assert {("text", "REQUIRED"), ("categoryCode", "NOT_FOUND"),
            ("territoryCode", "NOT_FOUND"), ("latitude", "INVALID")} <= fields
    assert await Appeal.all().count() == 0


async def test_anonymous_cannot_submit(graphql, appeal_world):
    body = ok_data(await graphql(SUBMIT, submit_input()))
    assert user_error_codes(body["submitAppeal"]) == ["UNAUTHENTICATED"]


LIST = """{ appeals(first: 100) { edges { node { id status organization { name }
  category { name parent { name } } territory { name } events { action } } } } }"""


async def test_listing_appeals_costs_the_same_queries_for_5_and_30(graphql, make_token,
                                                                  appeal_world):
    staff = await make_token("moderator", territory=REGION_A)
    counts = []
    for total in (5, 30):
        while await Appeal.all().count() < total:
            number = await Appeal.all().count()
            author = await make_token("citizen", sub=f"author-{number}")
            await submit(graphql, author, text=f"Яма номер {number} на улице, опасно ездить.")
        with count_queries() as log:
            body = ok_data(await graphql(LIST, token=staff))
        assert len(body["appeals"]["edges"]) == total
        counts.append(len(log))
    assert counts[0] == counts[1], counts


async def test_the_auth_cache_reuses_a_principal_until_it_expires(db, make_token):
    token = await make_token("citizen", sub="cached")
    now = [1000.0]
    authenticate = Authenticator(db, build_plugin_manager(db), cache_seconds=30,
                                 clock=lambda: now[0])
    first = await authenticate(token)
    with count_queries() as log:
        again = await authenticate(token)
    assert again is first and len(log) == 0
    now[0] += 31
    with count_queries() as log:
        fresh = await authenticate(token)
    assert fresh is not first and len(log) > 0


async def test_the_body_complained_about_cannot_see_the_complaint(graphql, citizen, make_token):
    appeal_id = (await submit(graphql, citizen, complainedOrganizationOgrn=ORG_A_SCHOOL,
                              categoryCode="snow"))["appeal"]["id"]
    school = await make_token("org_admin", org=ORG_A_SCHOOL)
    body = ok_data(await graphql(EVENTS, {"id": appeal_id}, token=school))
    assert body["appeal"] is None
    listing = ok_data(await graphql("{ appeals { totalCount } }", token=school))
    assert listing["appeals"]["totalCount"] == 0


async def test_two_concurrent_steps_cannot_both_apply(graphql, citizen, make_token,
                                                      appeal_world):
    import asyncio

    appeal_id = (await submit(graphql, citizen))["appeal"]["id"]
    executor = await make_token("executor", org=appeal_world.city_admin, sub="petrov")
    results = await asyncio.gather(
        step(graphql, citizen, "withdrawAppeal", "AppealReasonInput", appealId=appeal_id),
        step(graphql, executor, "answerAppeal", "AppealTextInput", appealId=appeal_id,
             text="Сделано"))
    applied = [r for r in results if not r["userErrors"]]
    assert len(applied) == 1, results
    final = (await Appeal.get()).status
    assert final.value == applied[0]["appeal"]["status"].lower()
    assert await AppealEvent.filter(action__in=["withdraw", "answer"]).count() == 1


async def test_appeals_follow_their_territory_when_it_moves(graphql, citizen, make_token):
    from tests.worlds import REGION_B
    from vmeste.platform.identity.principal import SYSTEM
    from vmeste.platform.reference import services as ref

    await submit(graphql, citizen, **INSIDE)  # in the settlement below the municipality
    await ref.update_territory(SYSTEM, ref.TerritoryInput(code=MUNICIPALITY_A,
                                                          parent_code=REGION_B))
    appeal = await Appeal.get()
    assert appeal.territory_path == f"RU/{REGION_B}/{MUNICIPALITY_A}"
    queries = "{ appeals { totalCount } }"
    old_region = await make_token("moderator", territory=REGION_A)
    new_region = await make_token("moderator", territory=REGION_B)
    assert ok_data(await graphql(queries, token=old_region))["appeals"]["totalCount"] == 0
    assert ok_data(await graphql(queries, token=new_region))["appeals"]["totalCount"] == 1


async def test_unknown_codes_in_filters_match_nothing(graphql, citizen, make_token):
    await submit(graphql, citizen)
    staff = await make_token("moderator", territory=REGION_A)
    for condition in ('{categoryCode: "nope"}', '{territoryCode: "nope"}'):
        document = "{ appeals(filter: " + condition + ") { totalCount } }"
        body = ok_data(await graphql(document, token=staff))
        assert body["appeals"]["totalCount"] == 0


@pytest.mark.parametrize("raw", ["Appeal:²", "Appeal:99999999999999999999", "Territory:1"])
async def test_odd_appeal_ids_are_typed_errors(graphql, citizen, raw):
    from strawberry import relay

    type_name, node = raw.split(":")
    global_id = relay.to_base64(type_name, node)
    result = await step(graphql, citizen, "withdrawAppeal", "AppealReasonInput",
                        appealId=global_id)
    assert user_error_codes(result) == ["INVALID"]
