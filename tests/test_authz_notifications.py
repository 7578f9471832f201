"""Every role × every notifications operation, as one table (the notifications part of
``test_authz_matrix.py``, whose completeness check counts this table too).

Each case seeds, in the target region, an appeal with an inbox notification (in region
A it belongs to the caller-citizen and sits at ORG_A, where the organization roles are
held; in region B to someone else at ORG_B), a template on the region and a webhook of
the region's body. Territory roles are held on region A. Cells mean what they mean in
the main matrix; for mutations, ``empty`` is an answer without ``userErrors`` that
changed nothing (another person's notification marked read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.test_authz_matrix import (
    REFUSALS,
    assert_query_outcome,
    caller_token,
    parse_table,
    result_of,
)
from tests.worlds import (
    MUNICIPALITY_A,
    MUNICIPALITY_B,
    ORG_A,
    ORG_B,
    REGION_A,
    REGION_B,
    World,
    seed_world,
    user_error_codes,
)
from vmeste.platform.appeals.models import Appeal, AppealStatus, ApplicantType, Channel
from vmeste.platform.identity.dev_tokens import dev_claims
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.services import upsert_user
from vmeste.platform.identity.tokens import claims_to_identity
from vmeste.platform.notifications.models import (
    Notification,
    NotificationStatus,
    NotificationTemplate,
    WebhookSubscription,
)
from vmeste.platform.reference.models import Territory
from vmeste.testing import GraphQLClient

TABLE = """
myNotifications            self unauth ok     empty  empty  empty  empty  empty  empty  empty
myNotificationPreferences  self unauth ok     ok     ok     ok     ok     ok     ok     ok
notificationChannels       A    ok     ok     ok     ok     ok     ok     ok     ok     ok
notificationChannels       B    ok     ok     ok     ok     ok     ok     ok     ok     ok
notificationDeliveries     A    unauth forbid ok     ok     ok     forbid ok     ok     ok
notificationDeliveries     B    unauth forbid empty  empty  empty  forbid empty  ok     empty
notificationTemplates      A    unauth forbid forbid forbid forbid forbid ok     ok     forbid
notificationTemplates      B    unauth forbid forbid forbid forbid forbid empty  ok     forbid
webhookSubscriptions       A    unauth forbid forbid forbid ok     forbid forbid forbid forbid
webhookSubscriptions       B    unauth forbid forbid forbid empty  forbid forbid forbid forbid
markNotificationsRead      self unauth ok     empty  empty  empty  empty  empty  empty  empty
setNotificationPreference  self unauth ok     ok     ok     ok     ok     ok     ok     ok
setNotificationTemplate    A    unauth forbid forbid forbid forbid forbid ok     ok     forbid
setNotificationTemplate    B    unauth forbid forbid forbid forbid forbid forbid ok     forbid
deleteNotificationTemplate A    unauth forbid forbid forbid forbid forbid ok     ok     forbid
deleteNotificationTemplate B    unauth forbid forbid forbid forbid forbid forbid ok     forbid
createWebhookSubscription  A    unauth forbid forbid forbid ok     forbid forbid forbid forbid
createWebhookSubscription  B    unauth forbid forbid forbid forbid forbid forbid forbid forbid
deleteWebhookSubscription  A    unauth forbid forbid forbid ok     forbid forbid forbid forbid
deleteWebhookSubscription  B    unauth forbid forbid forbid absent forbid forbid forbid forbid
"""

EXPECTED = parse_table(TABLE)
AUTHOR_A, AUTHOR_B = "caller-citizen", "someone-else"


@dataclass(frozen=True)
class Seeded:
    region: str
    notification: str
    template_id: int
    webhook_id: int
    world: World


@dataclass(frozen=True)
class Case:
    kind: str  # "query" or "mutation"
    document: str
    variables: Callable[[Seeded], dict[str, Any]]
    #: Queries: whether the target is in the answer. Mutations: whether it changed.
    visible: Callable[[Any, Seeded], bool] = lambda result, _: bool(result)


def _edges(result: Any) -> list[dict[str, Any]]:
    return [edge["node"] for edge in result["edges"]]


def _mutation(name: str, arguments: str, selection: str) -> str:
    return (f"mutation{arguments} {{ {name}{_call(arguments)} {{ {selection} "
            "userErrors { field code message } } }")


def _call(arguments: str) -> str:
    names = [part.split(":")[0].strip().lstrip("$") for part in arguments.strip("()").split(",")]
    return "(" + ", ".join(f"{n}: ${n}" for n in names) + ")"


def _code(seeded: Seeded, a: str, b: str) -> str:
    return a if seeded.region == "A" else b


CASES: dict[str, Case] = {
    "myNotifications": Case(
        "query", "{ myNotifications { edges { node { id } } } }", lambda s: {},
        lambda r, s: s.notification in {n["id"] for n in _edges(r)}),
    "myNotificationPreferences": Case(
        "query", "{ myNotificationPreferences { event channel enabled } }", lambda s: {}),
    # Which channels exist and where they are on is no secret: a settings page shows it.
    "notificationChannels": Case(
        "query", "query($c: String) { notificationChannels(territoryCode: $c) { name active } }",
        lambda s: {"c": _code(s, MUNICIPALITY_A, MUNICIPALITY_B)},
        lambda r, s: {"name": "inbox", "active": True} in r),
    "notificationDeliveries": Case(
        "query", "{ notificationDeliveries { edges { node { id } } } }", lambda s: {},
        lambda r, s: s.notification in {n["id"] for n in _edges(r)}),
    "notificationTemplates": Case(
        "query", "{ notificationTemplates { edges { node { id } } } }", lambda s: {},
        lambda r, s: s.template_id in {n["id"] for n in _edges(r)}),
    "webhookSubscriptions": Case(
        "query", "{ webhookSubscriptions { edges { node { id } } } }", lambda s: {},
        lambda r, s: s.webhook_id in {n["id"] for n in _edges(r)}),
    "markNotificationsRead": Case(
        "mutation", _mutation("markNotificationsRead", "($ids: [ID!]!)", "updated"),
        lambda s: {"ids": [s.notification]}, lambda r, s: r["updated"] == 1),
    "setNotificationPreference": Case(
        "mutation", _mutation("setNotificationPreference",
                              "($input: NotificationPreferenceInput!)", "preference { event }"),
        lambda s: {"input": {"event": "*", "channel": "inbox", "enabled": False}},
        lambda r, s: r["preference"] is not None),
    "setNotificationTemplate": Case(
        "mutation", _mutation("setNotificationTemplate", "($input: NotificationTemplateInput!)",
                              "template { id }"),
        lambda s: {"input": {"territoryCode": _code(s, MUNICIPALITY_A, MUNICIPALITY_B),
                             "event": "answered", "channel": "inbox",
                             "subject": "Ответ № {{ appeal_id }}", "body": "{{ answer }}"}},
        lambda r, s: r["template"] is not None),
    "deleteNotificationTemplate": Case(
        "mutation", _mutation("deleteNotificationTemplate", "($id: Int!)", "deletedId"),
        lambda s: {"id": s.template_id}, lambda r, s: r["deletedId"] == s.template_id),
    "createWebhookSubscription": Case(
        "mutation", _mutation("createWebhookSubscription", "($input: WebhookSubscriptionInput!)",
                              "webhookSubscription { id } secret"),
        lambda s: {"input": {"organizationOgrn": _code(s, ORG_A, ORG_B),
                             "url": "http://127.0.0.1:9/hook"}},
        lambda r, s: bool(r["secret"])),
    "deleteWebhookSubscription": Case(
        "mutation", _mutation("deleteWebhookSubscription", "($id: Int!)", "deletedId"),
        lambda s: {"id": s.webhook_id}, lambda r, s: r["deletedId"] == s.webhook_id),
}


async def _seed(region: str) -> Seeded:
    world = await seed_world()
    subject = AUTHOR_A if region == "A" else AUTHOR_B
    author = await upsert_user(claims_to_identity(dev_claims(subject, Role.CITIZEN)))
    municipality = MUNICIPALITY_A if region == "A" else MUNICIPALITY_B
    territory = await Territory.get(code=municipality)
    organization = world.organizations[ORG_A if region == "A" else ORG_B]
    appeal = await Appeal.create(
        applicant=author, applicant_type=ApplicantType.PERSON, channel=Channel.PORTAL,
        category_id=world.categories["roads.pits"], territory=territory,
        territory_path=territory.path, text="Яма на дороге", status=AppealStatus.ROUTED,
        organization_id=organization)
    note = await Notification.create(
        dedupe_key=f"authz:{region}", event="routed", channel="inbox",
        recipient=author, subject_type="appeal", subject_id=appeal.id,
        territory_path=territory.path, subject="Тема", body="Текст",
        status=NotificationStatus.SENT)
    template = await NotificationTemplate.create(
        territory_id=world.territories[REGION_A if region == "A" else REGION_B],
        event="routed", channel="inbox", subject="Тема", body="Текст")
    hook = await WebhookSubscription.create(organization_id=organization,
                                            url="https://crm.example.org/in", secret="x" * 64)
    return Seeded(region, relay.to_base64("Notification", note.id), template.id, hook.id,
                  world)


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_notifications_authorisation_matrix(
        operation: str, target: str, db: Any, make_token: Any,
) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        async with in_transaction():
            seeded = await _seed("A" if target == "self" else target)
            _, token = await caller_token(make_token, role)
        body = await graphql(case.document, case.variables(seeded), token=token)
        result = result_of(body, operation)
        if case.kind == "query":
            assert_query_outcome(body, operation, expected,
                                 lambda found: case.visible(found, seeded))
            return
        assert "errors" not in body, body
        if expected in REFUSALS:
            assert user_error_codes(result) == [REFUSALS[expected]], result
            assert await NotificationTemplate.filter(id=seeded.template_id).exists()
            assert await WebhookSubscription.filter(id=seeded.webhook_id).exists()
            return
        assert result["userErrors"] == [], result
        assert ("ok" if case.visible(result, seeded) else "empty") == expected, result

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
