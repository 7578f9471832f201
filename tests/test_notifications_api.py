"""Notifications through GraphQL: the inbox, preferences, regional wording, webhooks
and the delivery log."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import httpx
import pytest_asyncio
from strawberry import relay

from tests.appeal_world import seed_appeal_world
from tests.notification_world import fan_out_all
from tests.worlds import COUNTRY, MUNICIPALITY_A, MUNICIPALITY_B, REGION_A, ok_data
from vmeste.app import create_app
from vmeste.platform.appeals.notify import EVENTS, SAMPLE_CONTEXT
from vmeste.platform.identity.models import User
from vmeste.platform.identity.services import load_principal
from vmeste.platform.notifications.models import (
    Notification,
    NotificationPreference,
    NotificationTemplate,
    WebhookSubscription,
)
from vmeste.platform.notifications.services import set_preference
from vmeste.platform.notifications.templates import render, render_default
from vmeste.testing import GraphQLClient

INBOX = """query($unread: Boolean) { myNotifications(unreadOnly: $unread) {
  totalCount edges { node { id event subject body readAt appealId } } } }"""
SET_TEMPLATE = """mutation($input: NotificationTemplateInput!) { setNotificationTemplate(
  input: $input) { template { id event channel subject territory { code } }
  userErrors { field code message } } }"""
DELIVERIES = """query($filter: DeliveryFilter) { notificationDeliveries(filter: $filter) {
  totalCount edges { node { event channel status recipient template templateError
  attempts attemptLog { number ok error } } } } }"""


@pytest_asyncio.fixture
async def city(world, make_token) -> dict[str, Any]:
    appeal_world = await seed_appeal_world()
    operator = await make_token("operator", org=appeal_world.city_admin, sub="city-operator")
    return {"ogrn": appeal_world.city_admin, "operator": operator}


async def _submit_and_fan_out(vmeste_app, submit_appeal, territory: str = MUNICIPALITY_A,
                              citizen: str = "ivanova") -> int:
    appeal = await submit_appeal(category="roads.pits", territory=territory, citizen=citizen)
    await fan_out_all(vmeste_app.state.runtime)
    return appeal.id


def test_every_event_has_a_default_wording_that_renders():
    for event, spec in EVENTS.items():
        assert spec.audiences and spec.description, event
        for staff in (False, True):
            subject, body = render_default(spec, {**SAMPLE_CONTEXT, "for_staff": staff})
            assert subject.strip() and body.strip(), event


async def test_the_inbox_lists_marks_read_and_hides_others(graphql, make_token, city,
                                                           vmeste_app, submit_appeal):
    appeal_id = await _submit_and_fan_out(vmeste_app, submit_appeal)
    citizen = await make_token("citizen", sub="ivanova")
    inbox = ok_data(await graphql(INBOX, token=citizen))["myNotifications"]
    assert [e["node"]["event"] for e in inbox["edges"]] == ["submitted", "routed"]
    assert inbox["edges"][0]["node"]["appealId"] == relay.to_base64("Appeal", appeal_id)
    routed = inbox["edges"][1]["node"]
    assert routed["subject"] == (f"Обращение № {appeal_id} направлено в "
                                 "Администрация города Кирова")
    operator_inbox = ok_data(await graphql(INBOX, token=city["operator"]))["myNotifications"]
    assert [e["node"]["event"] for e in operator_inbox["edges"]] == ["routed"]
    assert operator_inbox["edges"][0]["node"]["subject"].startswith("Новое обращение")
    mark = """mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) {
      updated userErrors { code } } }"""
    theirs = operator_inbox["edges"][0]["node"]["id"]
    body = ok_data(await graphql(mark, {"ids": [routed["id"], theirs]}, token=citizen))
    assert body["markNotificationsRead"] == {"updated": 1, "userErrors": []}
    unread = ok_data(await graphql(INBOX, {"unread": True}, token=citizen))["myNotifications"]
    assert [e["node"]["event"] for e in unread["edges"]] == ["submitted"]
    still = ok_data(await graphql(INBOX, {"unread": True}, token=city["operator"]))
    assert still["myNotifications"]["totalCount"] == 1, "another's id changed nothing"
    body = ok_data(await graphql(mark, {"ids": [relay.to_base64("Appeal", 1)]}, token=citizen))
    assert body["markNotificationsRead"]["userErrors"] == [{"code": "INVALID"}]


async def test_preferences_default_then_chosen_and_honoured(graphql, make_token, city,
                                                            vmeste_app, submit_appeal):
    citizen = await make_token("citizen", sub="ivanova")
    query = "{ myNotificationPreferences { event channel enabled chosen } }"
    prefs = ok_data(await graphql(query, token=citizen))["myNotificationPreferences"]
    assert {"event": "*", "channel": "inbox", "enabled": True, "chosen": False} in prefs
    assert {"event": "*", "channel": "sms", "enabled": False, "chosen": False} in prefs
    assert "webhook" not in {p["channel"] for p in prefs}
    set_pref = """mutation($input: NotificationPreferenceInput!) {
      setNotificationPreference(input: $input) { preference { event channel enabled chosen }
      userErrors { field code } } }"""
    body = ok_data(await graphql(set_pref, {"input": {"event": "routed", "channel": "inbox",
                                                      "enabled": False}}, token=citizen))
    assert body["setNotificationPreference"] == {"preference": {
        "event": "routed", "channel": "inbox", "enabled": False, "chosen": True},
        "userErrors": []}
    for bad, field, code in (({"event": "nonsense", "channel": "email"}, "event", "INVALID"),
                             ({"event": "*", "channel": "webhook"}, "channel", "INVALID"),
                             ({"event": "*", "channel": "carrier-pigeon"}, "channel",
                              "NOT_FOUND")):
        body = ok_data(await graphql(set_pref, {"input": {**bad, "enabled": True}},
                                     token=citizen))
        assert body["setNotificationPreference"]["userErrors"] == [
            {"field": field, "code": code}]
    await _submit_and_fan_out(vmeste_app, submit_appeal)
    inbox = ok_data(await graphql(INBOX, token=citizen))["myNotifications"]
    assert [e["node"]["event"] for e in inbox["edges"]] == ["submitted"]
    user = await User.get(subject="ivanova")
    skipped = await Notification.get(recipient_id=user.id, event="routed")
    assert skipped.status == "skipped"


async def test_regional_wording_overrides_down_the_tree_with_fallback(
        graphql, make_token, city, vmeste_app, submit_appeal):
    admin = await make_token("regional_admin", territory=REGION_A)
    federal = await make_token("federal_configurator", territory=COUNTRY)
    region = {"territoryCode": REGION_A, "event": "routed", "channel": "inbox",
              "subject": "Кировская область: обращение {{ appeal_id }} у {{ organization }}",
              "body": "{{ organization }} рассмотрит обращение."}
    body = ok_data(await graphql(SET_TEMPLATE, {"input": region}, token=admin))
    assert body["setNotificationTemplate"]["userErrors"] == []
    assert body["setNotificationTemplate"]["template"]["territory"] == {"code": REGION_A}
    broken = {**region, "territoryCode": MUNICIPALITY_A, "body": "{{ organization"}
    body = ok_data(await graphql(SET_TEMPLATE, {"input": broken}, token=admin))
    assert [(e["field"], e["code"]) for e in body["setNotificationTemplate"]["userErrors"]] \
        == [("body", "INVALID")]
    sandboxed = {**region, "body": "{{ ''.__class__.__mro__ }}"}
    body = ok_data(await graphql(SET_TEMPLATE, {"input": sandboxed}, token=admin))
    assert body["setNotificationTemplate"]["userErrors"][0]["code"] == "INVALID"
    elsewhere = {**region, "territoryCode": MUNICIPALITY_B}
    body = ok_data(await graphql(SET_TEMPLATE, {"input": elsewhere}, token=admin))
    assert body["setNotificationTemplate"]["userErrors"][0]["code"] == "FORBIDDEN"

    first = await _submit_and_fan_out(vmeste_app, submit_appeal, citizen="ivanova")
    subjects = await _routed_subjects("ivanova")
    assert subjects == [f"Кировская область: обращение {first} у Администрация города Кирова"]
    # A municipality's wording beats the region's; the email channel keeps the default.
    city_wording = {**region, "territoryCode": MUNICIPALITY_A,
                    "subject": "Киров: № {{ appeal_id }}"}
    body = ok_data(await graphql(SET_TEMPLATE, {"input": city_wording}, token=federal))
    assert body["setNotificationTemplate"]["userErrors"] == []
    second = await _submit_and_fan_out(vmeste_app, submit_appeal, citizen="petrova")
    assert await _routed_subjects("petrova") == [f"Киров: № {second}"]
    # A wording that fails on real values falls back to the default, and says so.
    template = await NotificationTemplate.get(territory__code=MUNICIPALITY_A)
    template.body = "{% if appeal_id != 123 and appeal_id is divisibleby(0) %}.{% endif %}"
    await template.save()
    third = await _submit_and_fan_out(vmeste_app, submit_appeal, citizen="sidorova")
    assert await _routed_subjects("sidorova") == [
        f"Обращение № {third} направлено в Администрация города Кирова"]
    log = ok_data(await graphql(DELIVERIES, {"filter": {
        "appealId": relay.to_base64("Appeal", third), "channel": "inbox"}}, token=admin))
    routed = [e["node"] for e in log["notificationDeliveries"]["edges"]
              if e["node"]["event"] == "routed"]
    assert {(n["template"], n["templateError"]) for n in routed} == {
        ("default", f"шаблон территории {MUNICIPALITY_A}: ZeroDivisionError")}
    # Deleting the municipality's wording brings the region's back.
    delete = """mutation($id: Int!) { deleteNotificationTemplate(id: $id) { deletedId
      userErrors { code } } }"""
    body = ok_data(await graphql(delete, {"id": template.id}, token=admin))
    assert body["deleteNotificationTemplate"] == {"deletedId": template.id, "userErrors": []}
    listed = ok_data(await graphql("{ notificationTemplates { totalCount } }", token=admin))
    assert listed["notificationTemplates"]["totalCount"] == 1


async def _routed_subjects(citizen: str) -> list[str]:
    user = await User.get(subject=citizen)
    return [n.subject for n in await Notification.filter(recipient_id=user.id, event="routed",
                                                         channel="inbox")]


async def test_webhook_secret_is_shown_once_and_the_log_shows_attempts(
        graphql, make_token, city, vmeste_app, submit_appeal):
    admin = await make_token("org_admin", org=city["ogrn"], sub="city-admin")
    create = """mutation($input: WebhookSubscriptionInput!) { createWebhookSubscription(
      input: $input) { webhookSubscription { id url events organization { ogrn } } secret
      userErrors { field code } } }"""
    body = ok_data(await graphql(create, {"input": {
        "organizationOgrn": city["ogrn"], "url": "http://127.0.0.1:9/hook",
        "events": ["routed"]}}, token=admin))["createWebhookSubscription"]
    assert body["userErrors"] == [] and len(body["secret"]) == 64
    assert body["webhookSubscription"]["organization"] == {"ogrn": city["ogrn"]}
    bad = ok_data(await graphql(create, {"input": {
        "organizationOgrn": city["ogrn"], "url": "ftp://x", "events": ["nope"]}},
        token=admin))["createWebhookSubscription"]
    assert {(e["field"], e["code"]) for e in bad["userErrors"]} == {
        ("url", "INVALID"), ("events", "INVALID")}
    listed = ok_data(await graphql("{ webhookSubscriptions { edges { node { id url } } } }",
                                   token=admin))
    assert "secret" not in str(listed)
    appeal_id = await _submit_and_fan_out(vmeste_app, submit_appeal)
    log = ok_data(await graphql(DELIVERIES, {"filter": {"channel": "webhook"}},
                                token=city["operator"]))["notificationDeliveries"]
    assert [(n["node"]["event"], n["node"]["status"], n["node"]["recipient"])
            for n in log["edges"]] == [("routed", "PENDING", "webhook")]
    # The old enum's spelling still finds the channel (it was WEBHOOK before channels
    # became open names).
    shouted = ok_data(await graphql(DELIVERIES, {"filter": {"channel": "WEBHOOK"}},
                                    token=city["operator"]))["notificationDeliveries"]
    assert shouted == log
    from vmeste.platform.notifications.delivery import DeliveryError, deliver

    note = await Notification.get(channel="webhook", subject_type="appeal",
                                  subject_id=appeal_id)
    try:
        await deliver(vmeste_app.state.runtime, note.id, last_attempt=False)
    except DeliveryError:
        pass
    log = ok_data(await graphql(DELIVERIES, {"filter": {"status": "RETRYING"}},
                                token=city["operator"]))["notificationDeliveries"]
    node = log["edges"][0]["node"]
    assert node["attempts"] == 1
    assert node["attemptLog"] == [{"number": 1, "ok": False, "error": "webhook: ConnectError"}]
    delete = """mutation($id: Int!) { deleteWebhookSubscription(id: $id) { deletedId
      userErrors { code } } }"""
    hook_id = body["webhookSubscription"]["id"]
    assert ok_data(await graphql(delete, {"id": hook_id}, token=admin))[
        "deleteWebhookSubscription"] == {"deletedId": hook_id, "userErrors": []}


async def test_a_region_policy_switches_a_channel_off(graphql, make_token, city, vmeste_app,
                                                      submit_appeal, region_policy):
    await region_policy(REGION_A, "notification", "webhook")
    await _submit_and_fan_out(vmeste_app, submit_appeal)
    assert not await Notification.filter(channel="inbox").exists()


HEAVY_TEMPLATES = [
    "{{ ('{0:99999}' * 10000).format(1) }}",
    '{% set x = "a" * 99999 %}{{ "" ~ {}.fromkeys(range(100000), x) }}',
    "{{ answer|replace('', answer) }}",
    "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "{{ 'x' * 10**8 }}",
    "{{ 10 ** 10 ** 10 }}",
    "{% set s = 'x' * 50000 %}{{ s.replace('', s) }}",
    "{{ 'x'|center(1000000000) }}",
    "{% set s = 'x' * 60000 %}{% set s = s ~ s %}{{ s }}",
    "{{ '{:>1000000000}'.format(1) }}",
    "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}",
    "{% for a in range(20000) %}{{ answer }}{% endfor %}",
]


async def test_a_template_that_would_freeze_the_server_is_refused_at_once(
        graphql, make_token, city):
    admin = await make_token("regional_admin", territory=REGION_A)
    for heavy in HEAVY_TEMPLATES:
        started = time.monotonic()
        body = ok_data(await graphql(SET_TEMPLATE, {"input": {
            "territoryCode": REGION_A, "event": "routed", "channel": "inbox",
            "subject": "Обращение {{ appeal_id }}", "body": heavy}}, token=admin))
        errors = body["setNotificationTemplate"]["userErrors"]
        assert [(e["field"], e["code"]) for e in errors] == [("body", "INVALID")], heavy
        assert "не принят" in errors[0]["message"], heavy
        assert time.monotonic() - started < 5, heavy
    assert not await NotificationTemplate.exists()


def test_a_heavy_stored_template_falls_back_to_the_default_when_sending():
    for heavy in HEAVY_TEMPLATES:
        started = time.monotonic()
        rendered = render(EVENTS["routed"], SAMPLE_CONTEXT, [(REGION_A, "Тема", heavy)])
        assert rendered.source == "default" and "RenderLimit" in rendered.error, heavy
        assert rendered.body == render_default(EVENTS["routed"], SAMPLE_CONTEXT)[1]
        assert time.monotonic() - started < 2, heavy
    # Ordinary wording with conditions, text filters and ``~`` still renders.
    fine = render(EVENTS["routed"], {**SAMPLE_CONTEXT, "appeal_id": 123456789}, [(
        REGION_A, "№ {{ appeal_id }}",
        "{{ answer|upper|truncate(13, true, '…') }} {% if rating is number and rating > 3 %}"
        "{{ 'спасибо за ' ~ rating|string }}{% else %}—{% endif %}")])
    assert fine.error == "" and fine.subject == "№ 123456789"
    assert fine.body == "ЯМУ ЗАДЕЛАЕМ… спасибо за 5"


async def test_a_double_click_on_a_preference_is_not_an_error(city, make_token, vmeste_app):
    await make_token("citizen", sub="ivanova")
    principal = await load_principal(await User.get(subject="ivanova"))
    runtime = vmeste_app.state.runtime
    args = (principal, runtime.notifications, runtime.channels, "routed", "sms")
    first, second = await asyncio.gather(set_preference(*args, False),
                                         set_preference(*args, False))
    assert first == second and not first.enabled
    await set_preference(*args, True)
    rows = await NotificationPreference.filter(event="routed", channel="sms")
    assert [row.enabled for row in rows] == [True]


CREATE_WEBHOOK = """mutation($input: WebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) { webhookSubscription { id }
  userErrors { field code message } } }"""


async def test_webhooks_cannot_point_into_the_platforms_network(db, city, make_token):
    admin = await make_token("org_admin", org=city["ogrn"])
    app = create_app(replace(db, webhook_allow_private=False), manage_database=False)
    refused = ["http://127.0.0.1:8080/hook", "http://169.254.169.254/latest/meta-data",
               "http://10.0.0.7/hook", "http://[::1]/hook", "http://[::ffff:127.0.0.1]/h",
               "http://localhost/hook", "http://0.0.0.0/hook", "http://224.0.0.1/hook",
               "https://user:password@93.184.216.34/hook", "ftp://93.184.216.34/hook",
               "http://no-such-host.invalid/hook",
               # NAT64 and 6to4 addresses that lead to the metadata service and loopback
               "http://[64:ff9b::a9fe:a9fe]/hook", "http://[2002:7f00:1::1]/hook"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as http:
        client = GraphQLClient(http)
        for url in refused:
            body = ok_data(await client(CREATE_WEBHOOK, {"input": {
                "organizationOgrn": city["ogrn"], "url": url, "events": ["routed"]}},
                token=admin))
            errors = body["createWebhookSubscription"]["userErrors"]
            assert [(e["field"], e["code"]) for e in errors] == [("url", "INVALID")], url
            assert "password" not in errors[0]["message"]
        public = ok_data(await client(CREATE_WEBHOOK, {"input": {
            "organizationOgrn": city["ogrn"], "url": "https://93.184.216.34/hook",
            "events": ["routed"]}}, token=admin))
    assert public["createWebhookSubscription"]["userErrors"] == []
    assert await WebhookSubscription.all().count() == 1


def test_a_pinned_webhook_request_names_the_real_host_in_ascii():
    """The request goes to the checked address; Host and the TLS name carry the real
    host, a Cyrillic domain in its IDNA form (a raw one cannot go into a header)."""
    from vmeste.platform.notifications.addresses import Target
    from vmeste.plugins.notify_webhook import pinned

    target = Target(host="xn--e1afmkfd.xn--p1ai", port=8443, address="93.184.216.34")
    url, headers = pinned("https://пример.рф:8443/hook?a=1", target)
    assert url == "https://93.184.216.34:8443/hook?a=1"
    assert headers == {"Host": "xn--e1afmkfd.xn--p1ai:8443"}
    url, headers = pinned("https://пример.рф/hook", replace(target, port=443))
    assert (url, headers) == ("https://93.184.216.34:443/hook", {"Host": "xn--e1afmkfd.xn--p1ai"})


async def test_a_complaints_log_is_hidden_from_its_body_even_with_a_regional_role(
        city, vmeste_app, submit_appeal):
    """The delivery log follows its appeal's visibility: staff of the body complained
    about never read the complaint's log, a regional role besides included."""
    from vmeste.platform.appeals.models import Appeal
    from vmeste.platform.identity.models import Role
    from vmeste.platform.identity.principal import Grant, Principal
    from vmeste.platform.notifications.services import visible_deliveries
    from vmeste.platform.reference.models import Organization, Territory

    complaint = await _submit_and_fan_out(vmeste_app, submit_appeal, citizen="k")
    other = await _submit_and_fan_out(vmeste_app, submit_appeal, citizen="o")
    body = await Organization.get(ogrn=city["ogrn"])
    await Appeal.filter(id=complaint).update(complained_organization_id=body.id)
    region = await Territory.get(code=REGION_A)
    staff = await User.get(subject="city-operator")
    both = Principal(user=staff, grants=(Grant(Role.ORG_ADMIN, organization_id=body.id),
                                        Grant(Role.REGIONAL_ADMIN, territory_path=region.path)))
    catalog = vmeste_app.state.runtime.notifications
    seen = set(await Notification.filter(await visible_deliveries(both, catalog)).values_list(
        "subject_id", flat=True))
    assert seen == {other}


PAGE = """query($first: Int, $after: String, $last: Int, $before: String, $newest: Boolean!) {
  myNotifications(first: $first, after: $after, last: $last, before: $before,
                  newestFirst: $newest) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id } } } }"""


async def _pages(graphql: GraphQLClient, token: str, **direction: Any) -> list[list[str]]:
    """Every page of the inbox, walking forwards (first/after) or backwards
    (last/before) in the chosen order."""
    backwards = "last" in direction
    variables: dict[str, Any] = {"first": None, "after": None, "last": None, "before": None,
                                 **direction}
    pages = []
    while True:
        page = ok_data(await graphql(PAGE, variables, token=token))["myNotifications"]
        pages.append([edge["node"]["id"] for edge in page["edges"]])
        info = page["pageInfo"]
        if not (info["hasPreviousPage"] if backwards else info["hasNextPage"]):
            return pages
        variables["before" if backwards else "after"] = (
            info["startCursor"] if backwards else info["endCursor"])


async def test_the_inbox_lists_newest_first_with_keyset_pages_both_ways(
        graphql, make_token, city, vmeste_app, submit_appeal):
    for number in range(3):
        await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A, citizen="ivanova",
                            text=f"{('Яма', 'Лужа', 'Люк')[number]} у дома {number}, "
                                 f"{('опасно', 'не пройти', 'открыт')[number]} уже неделю.")
    await fan_out_all(vmeste_app.state.runtime)
    citizen = await make_token("citizen", sub="ivanova")
    oldest_first = [i for page in await _pages(graphql, citizen, first=100, newest=False)
                    for i in page]
    assert len(oldest_first) == 6

    forwards = await _pages(graphql, citizen, first=4, newest=True)
    backwards = await _pages(graphql, citizen, last=4, newest=True)

    assert forwards == [oldest_first[::-1][:4], oldest_first[::-1][4:]]
    assert backwards == [oldest_first[::-1][2:], oldest_first[::-1][:2]]
    newest = ok_data(await graphql(PAGE, {"first": 1, "after": None, "last": None,
                                          "before": None, "newest": True}, token=citizen))
    assert newest["myNotifications"]["totalCount"] == 6
