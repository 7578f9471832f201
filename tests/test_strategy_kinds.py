"""Strategy kinds: every declared kind has a Protocol (or says it takes settings only),
a description, a section in ``docs/plugins.md`` and a test named ``test_kind_<name>``;
the suite fails when one is missing. Then each built-in kind's contract: shared
settings merged before ``validate`` and before the handler, refused at save time, and
``default`` alike for every kind."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette

from tests.appeal_world import seed_appeal_world
from tests.plugin_fixtures import plugin as regional_plugin
from tests.worlds import COUNTRY, MUNICIPALITY_A, MUNICIPALITY_B, REGION_A, World, ok_data
from vmeste.platform.appeals.models import Appeal, AppealEvent
from vmeste.platform.appeals.moderation import ModerationRequest, ModerationResult, Verdict
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.deadlines.clock import CalendarDays, Policy
from vmeste.platform.deadlines.policy import COMMON_DEFAULTS, DeadlineRequest
from vmeste.platform.deadlines.watchdog import run_watchdog
from vmeste.platform.hookspecs import ChannelSpec, StrategySpec, hookimpl
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.plugins import build_plugin_manager, strategy_catalog, strategy_owners
from vmeste.platform.policies.services import PolicyResolver, RegionPolicyInput, set_region_policy
from vmeste.platform.settings import Settings, load_settings
from vmeste.platform.strategies import (
    StrategyKindError,
    call_signature,
    check_strategies,
    is_handler_protocol,
    kind_registry,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
KINDS = kind_registry(build_plugin_manager(load_settings({})))
M_POLICY = """mutation($i: RegionPolicyInput!) { setRegionPolicy(input: $i) {
  regionPolicy { settings } userErrors { field code message } } }"""


def doc_section(kind: str) -> str:
    """The text under ``#### Kind `<kind>` `` up to the next heading."""
    found = re.search(rf"^#### Kind `{re.escape(kind)}`\n(.*?)(?=^#)", DOCS, re.M | re.S)
    return found.group(1) if found else ""


def test_every_kind_has_a_protocol_and_a_description():
    assert {"routing", "moderation", "deadline", "notification"} <= set(KINDS)
    for kind in KINDS.values():
        assert kind.handler is None or is_handler_protocol(kind.handler), kind.name
        assert kind.description.strip(), kind.name


def test_every_kind_is_documented():
    for kind in KINDS.values():
        section = doc_section(kind.name)
        assert section, f"docs/plugins.md has no section '#### Kind `{kind.name}`'"
        assert f"Mode `{kind.mode.value}`" in section, kind.name
        if kind.handler is None:
            assert "No handler" in section, kind.name
        else:
            assert f"`{kind.handler.__name__}`" in section, kind.name
            for parameter in call_signature(kind.handler).parameters:
                assert f"{parameter}" in section, (kind.name, parameter)
        for setting in kind.defaults:
            assert f"`{setting}`" in section, (kind.name, setting)


def test_every_kind_has_a_test():
    tests = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").glob("*.py"))
    missing = [name for name in KINDS
               if f"def test_kind_{name.replace('-', '_')}(" not in tests]
    assert not missing, missing


def test_a_handler_that_ignores_its_protocol_fails_the_start():
    class Sloppy:
        @hookimpl
        def vmeste_strategies(self) -> list[StrategySpec]:
            return [StrategySpec(kind="moderation", name="sloppy", description="…",
                                 handler=lambda request: None)]

    pm = build_plugin_manager(load_settings({}))
    pm.register(Sloppy(), name="sloppy")
    with pytest.raises(StrategyKindError, match=r"'sloppy'.*moderation/sloppy.*ModerationHandler"):
        check_strategies(pm)


# --- deadline: a strategy that declares only its own term ----------------------------

KIROV = ZoneInfo("Europe/Kirov")
REGISTERED = datetime(2025, 10, 28, 10, 0, tzinfo=KIROV)


def five_calendar_days(request: DeadlineRequest, settings: Mapping[str, Any]) -> Policy:
    return CalendarDays(settings["n"])


class ShortDeadlines:
    @hookimpl
    def vmeste_strategies(self) -> list[StrategySpec]:
        return [StrategySpec(kind="deadline", name="short", description="Короткий срок",
                             defaults={"n": 5}, handler=five_calendar_days)]


async def test_kind_deadline(world: World, vmeste_app: Starlette, submit_appeal: Any,
                             region_policy: Any) -> None:
    """A custom deadline strategy that knows nothing of reminders or escalation still
    drives the watchdog: the kind's shared settings are merged in by the platform."""
    runtime = vmeste_app.state.runtime
    runtime.plugins.register(ShortDeadlines(), name="short_deadlines")
    await seed_appeal_world()
    runtime.service(AppealServices).clock = lambda: REGISTERED
    await region_policy(REGION_A, "deadline", "short")
    [effective] = await runtime.resolver.resolve(MUNICIPALITY_A, "deadline")
    assert effective.settings == {**COMMON_DEFAULTS, "n": 5}
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    assert appeal.deadline_policy == "calendar-days:5"
    span = appeal.due_at - REGISTERED
    swept = [(await run_watchdog(runtime, moment))["appeals"] for moment in (
        REGISTERED + span * 0.55, REGISTERED + span * 0.85, appeal.due_at + timedelta(minutes=1))]
    assert [counts["reminders"] for counts in swept] == [1, 1, 0]
    assert swept[2]["overdue"] == 1
    assert (await Appeal.get(id=appeal.id)).reminders_sent == COMMON_DEFAULTS["reminders"]
    assert [e.action for e in await AppealEvent.filter(appeal_id=appeal.id).order_by("id")][
        -3:] == ["remind", "remind", "overdue"]


async def test_kind_deadline_shared_settings_are_refused_at_save_time(
        world: World, vmeste_app: Starlette, graphql: Any, federal: str) -> None:
    vmeste_app.state.plugins.register(ShortDeadlines(), name="short_deadlines")
    body = await graphql(M_POLICY, {"i": {"territoryCode": REGION_A, "kind": "deadline",
                                          "plugin": "short",
                                          "settings": {"reminders": [1.5]}}}, token=federal)
    [error] = ok_data(body)["setRegionPolicy"]["userErrors"]
    assert (error["field"], error["code"]) == ("settings", "INVALID")
    assert error["message"].startswith("reminders")


# --- moderation: validate sees the merged settings ------------------------------------

class Recording:
    """A moderation strategy whose ``validate`` records what it was given."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def validate(self, settings: Mapping[str, Any]) -> list[str]:
        self.seen.append(dict(settings))
        return [] if settings["limit"] > settings["floor"] else ["limit — больше floor"]

    @hookimpl
    def vmeste_strategies(self) -> list[StrategySpec]:
        return [StrategySpec(kind="moderation", name="recording", description="…",
                             defaults={"limit": 10, "floor": 1}, validate=self.validate,
                             handler=accept)]


def accept(request: ModerationRequest, settings: Mapping[str, Any]) -> ModerationResult:
    return ModerationResult(Verdict.ACCEPT)


async def test_kind_moderation(world: World, vmeste_app: Starlette, graphql: Any,
                               federal: str) -> None:
    """``validate`` gets defaults and the levels above, so a check across settings
    holds for what the strategy will really run with; ``order`` is checked for it."""
    recording = Recording()
    vmeste_app.state.plugins.register(recording, name="recording")

    async def save(code: str, settings: dict[str, Any]) -> list[tuple[str, str]]:
        body = await graphql(M_POLICY, {"i": {"territoryCode": code, "kind": "moderation",
                                              "plugin": "recording", "settings": settings}},
                             token=federal)
        return [(e["field"], e["code"]) for e in ok_data(body)["setRegionPolicy"]["userErrors"]]

    assert await save(COUNTRY, {"floor": 5}) == []
    assert await save(REGION_A, {"limit": 3}) == [("settings", "INVALID")]
    assert recording.seen[-1] == {"limit": 3, "floor": 5}
    assert await save(REGION_A, {"limit": 30, "order": "early"}) == [("settings", "INVALID")]
    assert await save(REGION_A, {"limit": 30, "order": 5}) == []


# --- notification: default means what it means elsewhere -----------------------------

class SmsGateway:
    """A regional SMS gateway, off until a region's policy switches it on."""

    @hookimpl
    def vmeste_notification_channels(self, settings: Settings) -> list[ChannelSpec]:
        async def send(message: Any) -> None:
            return None

        return [ChannelSpec(name="sms", description="SMS-шлюз", send=send,
                            address=lambda user: user.phone)]

    @hookimpl
    def vmeste_strategies(self) -> list[StrategySpec]:
        return [StrategySpec(kind="notification", name="sms", description="SMS-шлюз")]


async def test_kind_notification(world: World, db: Settings, region_policy: Any) -> None:
    """Installing a channel does not switch it on nationwide: the gateway's own
    ``default=False`` wins over the dev sink's strategy of the same name."""
    pm = build_plugin_manager(db)
    pm.register(SmsGateway(), name="sms_gateway")
    resolver = PolicyResolver(pm)

    async def active(code: str) -> set[str]:
        return {s.plugin for s in await resolver.resolve(code, "notification")}

    assert "sms" not in await active(MUNICIPALITY_A)
    assert await active(MUNICIPALITY_B) == {"inbox", "webhook", "push"}  # e-mail needs SMTP
    for plugin in ("inbox", "sms"):
        await set_region_policy(SYSTEM, resolver, RegionPolicyInput(REGION_A, "notification",
                                                                    plugin))
    assert await active(MUNICIPALITY_A) == {"inbox", "sms"}
    assert "sms" not in await active(MUNICIPALITY_B)


class HandInbox:
    """A v1-style plugin declaring a strategy by hand for a channel it does not own."""

    @hookimpl
    def vmeste_strategies(self) -> list[StrategySpec]:
        return [StrategySpec(kind="notification", name="inbox", description="вручную",
                             default=False)]


def test_a_channels_own_strategy_wins_its_name(db: Settings) -> None:
    """Else a hand-declared spec would switch a default channel off and drop the
    channel's settings schema (and its refusal of secrets in policies)."""
    pm = build_plugin_manager(db)
    pm.register(HandInbox(), name="hand_inbox")
    spec = strategy_catalog(pm)[("notification", "inbox")]
    assert spec.default is True and spec.validate is not None
    assert strategy_owners(pm)[("notification", "inbox")] != "hand_inbox"
    assert strategy_catalog(pm)[("notification", "inbox")].description != "вручную"


# --- routing ---------------------------------------------------------------------------

async def test_kind_routing(world: World, vmeste_app: Starlette, graphql: Any,
                            federal: str) -> None:
    """A policy's ``order`` reorders the chain, and a non-integer order is refused."""
    router = vmeste_app.state.runtime.service(AppealServices).router
    names = [name for name, _, _ in await router.chain(MUNICIPALITY_A)]
    assert names == ["widget-target", "geo-boundary", "competence-table", "moderation-queue"]
    body = await graphql(M_POLICY, {"i": {"territoryCode": REGION_A, "kind": "routing",
                                          "plugin": "geo-boundary",
                                          "settings": {"order": 2.5}}}, token=federal)
    assert [(e["field"], e["code"]) for e in ok_data(body)["setRegionPolicy"]["userErrors"]
            ] == [("settings", "INVALID")]
    for plugin, order in (("competence-table", 5), ("geo-boundary", 60)):
        body = await graphql(M_POLICY, {"i": {"territoryCode": REGION_A, "kind": "routing",
                                              "plugin": plugin, "settings": {"order": order}}},
                             token=federal)
        assert ok_data(body)["setRegionPolicy"]["userErrors"] == []
    assert [name for name, _, _ in await router.chain(MUNICIPALITY_A)] == [
        "competence-table", "geo-boundary"]


# --- settings-only kinds ---------------------------------------------------------------

class AnotherQuota:
    @hookimpl
    def vmeste_strategies(self) -> list[StrategySpec]:
        return [StrategySpec(kind="submission_quota", name="regional", description="…")]


async def test_kind_submission_quota(world: World, vmeste_app: Starlette, graphql: Any,
                                     federal: str) -> None:
    """A quota strategy that declares no settings gets the kind's limit, and the
    kind's validator guards it though the strategy has no ``validate``."""
    vmeste_app.state.plugins.register(AnotherQuota(), name="another_quota")
    resolver = vmeste_app.state.runtime.resolver
    body = await graphql(M_POLICY, {"i": {"territoryCode": REGION_A, "kind": "submission_quota",
                                          "plugin": "regional",
                                          "settings": {"max_submissions_per_hour": 0}}},
                         token=federal)
    assert [(e["field"], e["code"]) for e in ok_data(body)["setRegionPolicy"]["userErrors"]
            ] == [("settings", "INVALID")]
    body = await graphql(M_POLICY, {"i": {"territoryCode": REGION_A, "kind": "submission_quota",
                                          "plugin": "regional"}}, token=federal)
    assert ok_data(body)["setRegionPolicy"] == {
        "regionPolicy": {"settings": {}}, "userErrors": []}
    assert [s.settings for s in await resolver.resolve(MUNICIPALITY_A, "submission_quota")
            ] == [{"max_submissions_per_hour": 20}]


async def test_kind_identity(world: World, vmeste_app: Starlette, graphql: Any,
                             federal: str) -> None:
    vmeste_app.state.plugins.register(regional_plugin, name="kirov")
    body = await graphql(M_POLICY, {"i": {"territoryCode": REGION_A, "kind": "identity",
                                          "plugin": "kirov-idp",
                                          "settings": {"require_verified": "yes"}}},
                         token=federal)
    assert [(e["field"], e["code"]) for e in ok_data(body)["setRegionPolicy"]["userErrors"]
            ] == [("settings", "INVALID")]
    body = await graphql(M_POLICY, {"i": {"territoryCode": REGION_A, "kind": "identity",
                                          "plugin": "dev"}}, token=federal)
    assert ok_data(body)["setRegionPolicy"]["userErrors"] == []
    resolved = await vmeste_app.state.runtime.resolver.resolve(MUNICIPALITY_A, "identity")
    assert [(s.plugin, s.settings) for s in resolved] == [("dev", {"require_verified": False})]


async def test_strategy_kinds_query(graphql: Any) -> None:
    body = await graphql("{ strategyKinds { name mode handler defaults } }")
    kinds = {k["name"]: k for k in ok_data(body)["strategyKinds"]}
    assert kinds["deadline"] == {"name": "deadline", "mode": "first",
                                 "handler": "DeadlineHandler",
                                 "defaults": dict(COMMON_DEFAULTS)}
    assert kinds["notification"]["mode"] == "switches"
    assert kinds["notification"]["handler"] is None
