"""Notifications serve every component, and channels are open: a third-party
``petitions`` component and a regional ``messenger`` channel, both installed through
entry points (``tests/notify_fixtures.py``), go through the same fan-out, templates,
preferences, region policies and delivery as appeals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from importlib.metadata import EntryPoint
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.notify_fixtures import EVENTS, MESSENGER_TOKEN, PETITION_EVENTS, SENT
from tests.worlds import MUNICIPALITY_A, REGION_A, REGION_B, ok_data, seed_world
from vmeste.app import create_app
from vmeste.platform import plugins
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.components import Component
from vmeste.platform.hookspecs import ChannelSpec, hookimpl
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.notifications.delivery import deliver
from vmeste.platform.notifications.models import Notification, NotificationStatus
from vmeste.platform.notifications.subjects import NotificationSubject
from vmeste.platform.policies.services import RegionPolicyInput, set_region_policy
from vmeste.platform.reference.models import Territory
from vmeste.platform.runtime import build_runtime
from vmeste.testing import GraphQLClient

S = NotificationStatus
ENTRY_POINTS = [EntryPoint(name=name, value=f"tests.notify_fixtures:{name}", group="vmeste")
                for name in ("messenger", "petitions")]
CHANNELS = """query($c: String) { notificationChannels(territoryCode: $c) {
  name defaultOn default personal active } }"""
SET_POLICY = """mutation($input: RegionPolicyInput!) { setRegionPolicy(input: $input) {
  regionPolicy { plugin } userErrors { field code message } } }"""
SET_TEMPLATE = """mutation($input: NotificationTemplateInput!) { setNotificationTemplate(
  input: $input) { template { id } userErrors { field code } } }"""
SET_PREFERENCE = """mutation($input: NotificationPreferenceInput!) {
  setNotificationPreference(input: $input) { preference { channel } userErrors { code } } }"""
DELIVERIES = """{ notificationDeliveries(filter: {subjectType: "petition"}) {
  edges { node { event channel status subjectType subjectId appealId } } } }"""


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "entry_points",
                        lambda group: ENTRY_POINTS if group == "vmeste" else [])
    monkeypatch.setenv(MESSENGER_TOKEN, "t0k-secret")
    SENT.clear()


@pytest_asyncio.fixture
async def app(db: Any, installed: None) -> Starlette:
    return create_app(db, manage_database=False)


@pytest_asyncio.fixture
async def gql(app: Starlette) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as http:
        yield GraphQLClient(http)


async def _policy(app: Starlette, code: str, plugin: str, settings: dict[str, Any]) -> None:
    await set_region_policy(SYSTEM, app.state.runtime.resolver, RegionPolicyInput(
        territory_code=code, kind="notification", plugin=plugin, settings=settings))


async def test_a_plugin_components_subjects_fan_out_are_worded_chosen_and_delivered(
        app, gql, make_token):
    await seed_world()
    admin = await make_token("regional_admin", territory=REGION_A, sub="kirov-admin")
    other = await make_token("regional_admin", territory=REGION_A, sub="kirov-admin-2")
    runtime = app.state.runtime
    territory = await Territory.get(code=MUNICIPALITY_A)

    async def step(opens: str) -> int:
        event = await AuditEvent.create(
            actor="system", action="exposition_opened", object_type="petition",
            object_id=str(territory.id), after={"opens": opens}, scope_path=territory.path)
        payload = {"petition_id": territory.id, "event_ids": [event.id]}
        created: int = await runtime.topics[PETITION_EVENTS].handle(runtime, payload, False)
        assert await runtime.topics[PETITION_EVENTS].handle(runtime, payload, False) == 0
        return created

    # Installed but not default: the messenger stays off until a policy switches it on.
    assert await step("") == 2
    rows = await Notification.filter(subject_type="petition")
    assert {(n.channel, n.status, n.subject_id) for n in rows} == {
        ("inbox", S.SENT, territory.id)}
    assert rows[0].subject == f"Экспозиция открыта: {territory.name}"
    assert rows[0].dedupe_key.startswith("petition-event:")

    # Region wording, a personal choice, and the policies switching the messenger on.
    wording = {"territoryCode": REGION_A, "event": "exposition_opened", "channel": "inbox",
               "subject": "Слушания: {{ territory }}", "body": "Открыто с {{ opens }}"}
    assert ok_data(await gql(SET_TEMPLATE, {"input": wording}, token=admin))[
        "setNotificationTemplate"]["userErrors"] == []
    unknown = ok_data(await gql(SET_TEMPLATE, {"input": {**wording, "channel": "telegraph"}},
                                token=admin))["setNotificationTemplate"]["userErrors"]
    assert unknown == [{"field": "channel", "code": "NOT_FOUND"}]
    opt_out = {"event": "exposition_opened", "channel": "messenger", "enabled": False}
    assert ok_data(await gql(SET_PREFERENCE, {"input": opt_out}, token=other))[
        "setNotificationPreference"]["userErrors"] == []
    await _policy(app, REGION_A, "messenger", {"api": "https://region.example"})
    await _policy(app, MUNICIPALITY_A, "messenger", {"chat": "kirov"})
    await _policy(app, MUNICIPALITY_A, "inbox", {})

    assert await step("1 июня") == 4
    fresh = await Notification.filter(subject_type="petition", id__gt=rows[-1].id)
    by_user = {(n.recipient_id, n.channel): n for n in fresh}
    admin_user = await User.get(subject="kirov-admin")
    other_user = await User.get(subject="kirov-admin-2")
    assert by_user[(other_user.id, "messenger")].status == S.SKIPPED
    assert by_user[(admin_user.id, "inbox")].body == "Открыто с 1 июня"
    pending = by_user[(admin_user.id, "messenger")]
    await deliver(runtime, pending.id, last_attempt=False)
    (message,) = SENT
    assert message.body == "Экспозиция проекта открыта с 1 июня."
    assert message.territory_path == territory.path
    assert message.settings == {"api": "https://region.example", "chat": "kirov"}
    assert message.secrets == {"token": "t0k-secret"}
    assert "t0k-secret" not in repr(message)
    assert (await Notification.get(id=pending.id)).status == S.SENT

    log = ok_data(await gql(DELIVERIES, token=admin))["notificationDeliveries"]["edges"]
    assert len(log) == 6
    assert {(e["node"]["subjectType"], e["node"]["subjectId"], e["node"]["appealId"])
            for e in log} == {("petition", str(territory.id), None)}


async def test_installed_channels_are_listed_with_where_they_are_on(app, gql, make_token):
    await seed_world()
    citizen = await make_token("citizen")
    await _policy(app, MUNICIPALITY_A, "messenger", {})
    everywhere = ok_data(await gql(CHANNELS, token=citizen))["notificationChannels"]
    assert {c["name"]: (c["defaultOn"], c["default"], c["personal"], c["active"])
            for c in everywhere} == {
        "inbox": (True, True, True, None), "webhook": (False, True, False, None),
        "sms": (False, True, True, None), "push": (False, True, True, None),
        "messenger": (True, False, True, None)}
    here = ok_data(await gql(CHANNELS, {"c": MUNICIPALITY_A}))["notificationChannels"]
    assert {c["name"] for c in here if c["active"]} == {"messenger"}
    elsewhere = ok_data(await gql(CHANNELS, {"c": REGION_B}))["notificationChannels"]
    assert {c["name"] for c in elsewhere if c["active"]} == {"inbox", "webhook", "sms",
                                                             "push"}


async def test_a_policy_cannot_carry_a_channels_secret_or_bad_settings(app, gql, make_token):
    await seed_world()
    admin = await make_token("regional_admin", territory=REGION_A)
    for settings, says in (({"token": "leaked"}, MESSENGER_TOKEN), ({"chat": 5}, "chat")):
        body = ok_data(await gql(SET_POLICY, {"input": {
            "territoryCode": REGION_A, "kind": "notification", "plugin": "messenger",
            "settings": settings}}, token=admin))["setRegionPolicy"]
        assert [(e["field"], e["code"]) for e in body["userErrors"]] == [
            ("settings", "INVALID")], settings
        assert says in body["userErrors"][0]["message"]
    assert "leaked" not in str(await AuditEvent.all().values_list("after", flat=True))


class _Clash:
    @hookimpl
    def vmeste_component(self) -> Component:
        return Component(name="clash", notifications=(NotificationSubject(
            type="clash", events={"routed": EVENTS["exposition_opened"]}, audiences={},
            source=None, sample_context={}),))  # type: ignore[arg-type]


class _BadChannel:
    @hookimpl
    def vmeste_notification_channels(self) -> list[ChannelSpec]:
        return [ChannelSpec(name="Messenger!", description="?")]


def test_event_names_and_channel_names_are_checked_at_start(db: Any) -> None:
    pm = plugins.build_plugin_manager(db)
    pm.register(_Clash(), name="clash")
    with pytest.raises(RuntimeError, match=r"notification event 'routed' of '(appeal|clash)'"):
        build_runtime(db, pm)
    pm.unregister(name="clash")
    pm.register(_BadChannel(), name="bad")
    with pytest.raises(RuntimeError, match="'Messenger!' does not match"):
        build_runtime(replace(db, dev_mode=True), pm)
