"""An operator files an appeal for a citizen: only within the operator's body's
territory, with the same answer whether the citizen is known or not, and with a
notice to the citizen."""

from typing import Any

import pytest_asyncio

from tests.appeal_world import SUBMIT, seed_appeal_world, submit_input
from tests.notification_world import fan_out_all
from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, REGION_A, ok_data, seed_policies
from vmeste.platform.appeals.models import Appeal, AppealEvent
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.models import User
from vmeste.platform.notifications.models import Notification

MY_APPEALS = "{ myAppeals { edges { node { id text channel } } } }"
INBOX = "{ myNotifications { edges { node { event subject body } } } }"


@pytest_asyncio.fixture
async def city(world, make_token) -> dict[str, Any]:
    """The city administration (in MUNICIPALITY_A) with an operator, and a known citizen."""
    appeal_world = await seed_appeal_world()
    operator = await make_token("operator", org=appeal_world.city_admin, sub="city-operator")
    citizen = await make_token("citizen", sub="ivanova")
    return {"ogrn": appeal_world.city_admin, "operator": operator, "citizen": citizen}


async def file_for(graphql, token: str, subject: str, **changes: Any) -> dict[str, Any]:
    variables = submit_input(channel="OPERATOR", onBehalfOfSubject=subject, **changes)
    return ok_data(await graphql(SUBMIT, variables, token=token))["submitAppeal"]


def shape(payload: dict[str, Any]) -> dict[str, Any]:
    """The answer without the new appeal's id: what tells one citizen from another."""
    appeal = dict(payload["appeal"])
    appeal.pop("id")
    return {"appeal": appeal, "userErrors": payload["userErrors"]}


async def test_an_operator_files_for_a_known_citizen_who_then_sees_it(graphql, city):
    payload = await file_for(graphql, city["operator"], "ivanova")

    assert payload["userErrors"] == []
    assert payload["appeal"]["status"] == "ROUTED"
    mine = ok_data(await graphql(MY_APPEALS, token=city["citizen"]))["myAppeals"]["edges"]
    assert [(e["node"]["id"], e["node"]["channel"]) for e in mine] == [
        (payload["appeal"]["id"], "OPERATOR")]
    submit = await AppealEvent.filter(action="submit").get()
    assert submit.actor == f"{DEV_ISSUER}:city-operator", "the operator is on the record"


async def test_an_unknown_citizen_gets_the_same_answer_as_a_known_one(graphql, city,
                                                                      make_token):
    known = await file_for(graphql, city["operator"], "ivanova")
    unknown = await file_for(graphql, city["operator"], "never-signed-in",
                             text="Во дворе дома 9 открытый люк, ребёнок чуть не упал.")

    assert shape(unknown) == shape(known)
    # The citizen is a user now, as their first sign-in would make them, and finds
    # the appeal when they do sign in.
    user = await User.get(issuer=DEV_ISSUER, subject="never-signed-in")
    assert (await Appeal.get(applicant_id=user.id)).channel == "operator"
    later = await make_token("citizen", sub="never-signed-in")
    mine = ok_data(await graphql(MY_APPEALS, token=later))["myAppeals"]["edges"]
    assert [e["node"]["id"] for e in mine] == [unknown["appeal"]["id"]]


async def test_verified_only_regions_answer_unknown_and_unverified_citizens_alike(
        graphql, city, vmeste_app):
    await seed_policies(vmeste_app.state.runtime.resolver)
    await User.filter(subject="ivanova").update(verified=False)

    unverified = await file_for(graphql, city["operator"], "ivanova")
    unknown = await file_for(graphql, city["operator"], "stranger",
                             text="Во дворе дома 9 открытый люк, ребёнок чуть не упал.")

    assert unverified["userErrors"] == [] and shape(unknown) == shape(unverified)


async def test_outside_the_bodys_territory_the_operator_is_refused_and_nothing_is_written(
        graphql, city):
    for territory in (MUNICIPALITY_B, REGION_A):
        for subject in ("ivanova", "nobody-yet"):
            payload = await file_for(graphql, city["operator"], subject,
                                     territoryCode=territory)
            assert payload["appeal"] is None
            assert [(e["code"], e["message"]) for e in payload["userErrors"]] == [
                ("FORBIDDEN", "Оператор подаёт обращения только по территории своей "
                              "организации")], (territory, subject)
    assert await Appeal.all().count() == 0
    assert not await User.exists(subject="nobody-yet")


async def test_the_citizen_is_told_an_operator_filed_in_their_name(graphql, city,
                                                                   vmeste_app):
    payload = await file_for(graphql, city["operator"], "ivanova", territoryCode=MUNICIPALITY_A)
    await fan_out_all(vmeste_app.state.runtime)

    inbox = ok_data(await graphql(INBOX, token=city["citizen"]))["myNotifications"]["edges"]
    events = [e["node"]["event"] for e in inbox]
    assert events == ["filed_on_behalf", "routed"]
    notice = inbox[0]["node"]
    number = (await Appeal.get()).id
    assert notice["subject"] == f"Обращение № {number} подано от вашего имени"
    assert "Оператор подал от вашего имени" in notice["body"]
    assert "city-operator" not in notice["body"] and "Тестов" not in notice["body"]
    operator_told = await Notification.filter(recipient__subject="city-operator",
                                              event="filed_on_behalf").count()
    assert operator_told == 0, "whoever took the step is not told about it"
    assert payload["userErrors"] == []


async def test_only_operators_write_for_others(graphql, city, make_token):
    executor = await make_token("executor", org=city["ogrn"], sub="city-executor")
    refused = await file_for(graphql, executor, "ivanova")
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
    portal = ok_data(await graphql(SUBMIT, submit_input(onBehalfOfSubject="ivanova"),
                                   token=city["operator"]))["submitAppeal"]
    assert [e["field"] for e in portal["userErrors"]] == ["onBehalfOf"]
    missing = await file_for(graphql, city["operator"], "  ")
    assert [e["code"] for e in missing["userErrors"]] == ["REQUIRED"]
    assert await Appeal.all().count() == 0


PROFILE = """mutation($input: SubmitAppealInput!) { submitAppeal(input: $input) {
  appeal { status applicant { lastName firstName verified } } userErrors { code } } }"""


async def test_the_answer_tells_nothing_of_the_named_citizens_history_or_name(
        graphql, city, submit_appeal):
    """A "repeated" verdict would name the citizen's appeal, and the profile their name."""
    text = "Во дворе дома 7 не горят фонари третью неделю, очень темно."
    await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A, citizen="ivanova",
                        text=text)
    await User.filter(subject="ivanova").update(last_name="Иванова", verified=True)
    answers = [ok_data(await graphql(PROFILE, submit_input(
        channel="OPERATOR", onBehalfOfSubject=subject, text=text), token=city["operator"])
    )["submitAppeal"] for subject in ("ivanova", "somebody-unknown")]
    assert answers[0] == answers[1] == {
        "appeal": {"status": "ROUTED", "applicant": None}, "userErrors": []}


async def test_an_operator_cannot_file_for_themself(graphql, city):
    payload = await file_for(graphql, city["operator"], "city-operator")
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        ("onBehalfOf", "INVALID")]
    assert not await Appeal.exists()


async def test_an_operator_names_no_applicant_under_an_open311_issuer(graphql, city):
    for issuer in ("open311", "open311:1", " open311:7"):
        refused = await file_for(graphql, city["operator"], "account:1",
                                 onBehalfOfIssuer=issuer)
        assert refused["appeal"] is None
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
            ("onBehalfOfIssuer", "INVALID")]
    assert not await User.filter(issuer__startswith="open311").exists()
    assert not await Appeal.exists()
