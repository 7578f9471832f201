"""Appeal fields and inputs added for clients: the number notifications quote, the
executor (shown to staff, never to the applicant), and assigning an executor by the
user's global id as well as by issuer and subject."""

from typing import Any

import pytest_asyncio
from strawberry import relay

from tests.appeal_world import SUBMIT, seed_appeal_world, submit_input
from tests.notification_world import fan_out_all
from tests.worlds import ORG_A, REGION_A, ok_data, user_error_codes
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.models import User
from vmeste.platform.notifications.models import Notification

ASSIGN = """mutation($input: AssignExecutorInput!) { assignExecutor(input: $input) {
  appeal { status executor { id subject issuer lastName } } userErrors { field code } } }"""
READ = """query($id: ID!) { appeal(id: $id) { number status executor { id subject } } }"""


@pytest_asyncio.fixture
async def city(world, make_token) -> dict[str, Any]:
    appeal_world = await seed_appeal_world()
    org = appeal_world.city_admin
    tokens = {"operator": await make_token("operator", org=org, sub="city-operator"),
              "executor": await make_token("executor", org=org, sub="petrov"),
              "citizen": await make_token("citizen", sub="ivanova"),
              "moderator": await make_token("moderator", territory=REGION_A),
              "other_operator": await make_token("operator", org=ORG_A, sub="region-operator")}
    await make_token("executor", org=ORG_A, sub="elsewhere")
    return {"ogrn": org, **tokens}


async def _submit(graphql, token: str) -> str:
    payload = ok_data(await graphql(SUBMIT, submit_input(), token=token))["submitAppeal"]
    assert payload["userErrors"] == []
    return str(payload["appeal"]["id"])


def _user_id(pk: int) -> str:
    return relay.to_base64("User", pk)


async def test_the_number_is_the_one_notifications_quote(graphql, city, vmeste_app):
    appeal_id = await _submit(graphql, city["citizen"])
    await fan_out_all(vmeste_app.state.runtime)

    number = ok_data(await graphql(READ, {"id": appeal_id}, token=city["citizen"]))[
        "appeal"]["number"]

    subjects = await Notification.filter(event="submitted").values_list("subject", flat=True)
    assert subjects == [f"Обращение № {number} получено"]
    assert relay.GlobalID.from_id(appeal_id).node_id == str(number)


async def test_assign_by_global_id_and_the_executor_is_shown_to_staff_only(graphql, city):
    appeal_id = await _submit(graphql, city["citizen"])
    petrov = await User.get(subject="petrov")

    assigned = ok_data(await graphql(ASSIGN, {"input": {
        "appealId": appeal_id, "executorId": _user_id(petrov.id)}},
        token=city["operator"]))["assignExecutor"]

    assert assigned["userErrors"] == []
    assert assigned["appeal"]["executor"] == {
        "id": _user_id(petrov.id), "subject": "petrov", "issuer": DEV_ISSUER,
        "lastName": petrov.last_name}
    for staff in ("operator", "executor", "moderator"):
        seen = ok_data(await graphql(READ, {"id": appeal_id}, token=city[staff]))["appeal"]
        assert seen["executor"] == {"id": _user_id(petrov.id),
                                    "subject": "petrov"}, staff
    own = ok_data(await graphql(READ, {"id": appeal_id}, token=city["citizen"]))["appeal"]
    assert own["status"] == "IN_PROGRESS" and own["executor"] is None, "hidden from applicants"


async def test_assign_by_issuer_and_subject_still_works(graphql, city):
    appeal_id = await _submit(graphql, city["citizen"])
    assigned = ok_data(await graphql(ASSIGN, {"input": {
        "appealId": appeal_id, "executorSubject": "petrov", "executorIssuer": DEV_ISSUER}},
        token=city["operator"]))["assignExecutor"]
    assert assigned["userErrors"] == [] and assigned["appeal"]["executor"]["subject"] == "petrov"


async def test_a_wrong_or_missing_executor_is_a_user_error(graphql, city):
    appeal_id = await _submit(graphql, city["citizen"])
    elsewhere = await User.get(subject="elsewhere")
    cases = [
        ({}, ("executorId", "REQUIRED")),
        ({"executorSubject": "petrov"}, ("executorId", "INVALID")),
        ({"executorId": _user_id(1), "executorSubject": "petrov",
          "executorIssuer": DEV_ISSUER}, ("executorId", "INVALID")),
        ({"executorId": relay.to_base64("Appeal", 1)}, ("executorId", "INVALID")),
        ({"executorId": _user_id(elsewhere.id)}, ("executorId", "NOT_FOUND")),
        ({"executorSubject": "elsewhere", "executorIssuer": DEV_ISSUER},
         ("executorSubject", "NOT_FOUND")),
    ]
    for fields, expected in cases:
        payload = ok_data(await graphql(ASSIGN, {"input": {"appealId": appeal_id, **fields}},
                                        token=city["operator"]))["assignExecutor"]
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [expected], fields
        assert payload["appeal"] is None


async def test_another_bodys_operator_cannot_assign_even_by_id(graphql, city):
    appeal_id = await _submit(graphql, city["citizen"])
    petrov = await User.get(subject="petrov")
    payload = ok_data(await graphql(ASSIGN, {"input": {
        "appealId": appeal_id, "executorId": _user_id(petrov.id)}},
        token=city["other_operator"]))["assignExecutor"]
    assert user_error_codes(payload) == ["FORBIDDEN"]
