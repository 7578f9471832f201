"""Plugin manager, entry points, and the hooks themselves.

Every hookspec needs a test named ``test_hook_<name>`` here and a section in
``docs/plugins.md``; the first two tests fail the build when either is missing.
"""

import asyncio
import inspect
import re
from dataclasses import replace
from importlib.metadata import EntryPoint
from pathlib import Path

import httpx
import pytest

from tests.plugin_fixtures import plugin as regional_plugin
from vmeste.platform import hookspecs, plugins
from vmeste.platform.identity.authenticate import authenticate
from vmeste.platform.identity.tokens import TokenError
from vmeste.platform.reference.models import Territory
from vmeste.platform.settings import load_settings
from vmeste.platform.strategies import StrategyKindError, kind_registry

DOCS = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"
HOOK_NAMES = sorted(
    name for name, value in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("vmeste_")
)
BUILTIN = {"identity_oidc", "identity_dev", "routing", "moderation", "deadlines",
           "notify_inbox", "notify_email", "notify_webhook", "notify_dev", "voting",
           "connectors_vk", "connectors_ok", "connectors_telegram", "storage_local",
           "storage_s3", "scan_clamav"}
#: Always registered: the platform's own strategy kinds.
REGIONAL = EntryPoint(name="kirov", value="tests.plugin_fixtures:plugin", group="vmeste")
SERVICES = EntryPoint(name="kirov-services", value="tests.plugin_fixtures:services",
                      group="vmeste")


def test_every_hookspec_is_documented():
    headings = set(re.findall(r"^### (\w+)$", DOCS.read_text(encoding="utf-8"), re.M))
    assert HOOK_NAMES and set(HOOK_NAMES) <= headings, set(HOOK_NAMES) - headings


def test_every_hookspec_signature_matches_its_docs():
    """The signature line under each hook's heading names the same parameters, in the
    same order, as the hookspec (Datasette's test_plugin_hooks_have_tests discipline)."""
    text = DOCS.read_text(encoding="utf-8")
    for name in HOOK_NAMES:
        documented = re.search(rf"^### {name}\n\n`{name}\(([^)]*)\)", text, re.M)
        assert documented, f"{name}: no `{name}(...)` line under its heading"
        params = [part.split(":")[0].strip() for part in documented.group(1).split(",")
                  if part.strip()]
        assert params == list(inspect.signature(getattr(hookspecs, name)).parameters), name


def test_every_hookspec_has_a_test():
    missing = [name for name in HOOK_NAMES if f"test_hook_{name}" not in globals()]
    assert not missing, missing


def test_every_hookspec_has_a_docstring():
    for name in HOOK_NAMES:
        assert (getattr(hookspecs, name).__doc__ or "").strip(), name


@pytest.fixture
def with_regional_entry_point(monkeypatch):
    monkeypatch.setattr(plugins, "entry_points", lambda group: [REGIONAL] if group == "vmeste"
                        else [])


def names(pm):
    """Plugins other than the components (those are the platform, never blocked)."""
    return {name for name, _ in pm.list_name_plugin()
            if not name.startswith("vmeste.platform.")}


def test_builtin_plugins_and_entry_points_load(with_regional_entry_point):
    pm = plugins.build_plugin_manager(load_settings({}))
    assert names(pm) == {*BUILTIN, "kirov"}


def test_allow_list_filters_third_party_only(with_regional_entry_point):
    pm = plugins.build_plugin_manager(load_settings({"VMESTE_PLUGINS": "other"}))
    assert names(pm) == BUILTIN
    pm = plugins.build_plugin_manager(load_settings({"VMESTE_PLUGINS": "kirov"}))
    assert "kirov" in names(pm)


def test_block_list_removes_builtins_too(with_regional_entry_point):
    settings = load_settings({"VMESTE_DISABLE_PLUGINS": "identity_dev,kirov"})
    assert names(plugins.build_plugin_manager(settings)) == BUILTIN - {"identity_dev"}


async def test_first_result_awaits_each_implementation_in_order():
    blocked = load_settings({"VMESTE_DISABLE_PLUGINS": ",".join(BUILTIN)})
    pm = plugins.build_plugin_manager(blocked)
    calls = []

    class Late:
        @hookspecs.hookimpl
        async def vmeste_resolve_identity(self, token):
            calls.append("late")
            return None

    class Early:
        @hookspecs.hookimpl(trylast=True)
        def vmeste_resolve_identity(self, token):
            calls.append("early")
            return "found"

    pm.register(Early(), name="early")
    pm.register(Late(), name="late")
    settings = load_settings({})
    assert await plugins.first_result(pm.hook.vmeste_resolve_identity, token="t",
                                      settings=settings) == "found"
    assert calls == ["late", "early"]


async def test_hook_vmeste_resolve_identity(vmeste_app, graphql):
    vmeste_app.state.plugins.register(regional_plugin, name="kirov")
    body = await graphql("{ me { subject issuer lastName verified roles { role } } }",
                         token="kirov-idp:citizen-42")
    assert body["data"]["me"] == {"subject": "citizen-42", "issuer": "kirov-idp",
                                  "lastName": "Вятская", "verified": True, "roles": []}


async def test_unrecognised_token_is_refused_not_anonymous(client):
    response = await client.post("/graphql", json={"query": "{ me { subject } }"},
                                 headers={"Authorization": "Bearer kirov-idp:someone"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_dev_tokens_are_refused_outside_dev_mode(db, make_token):
    token = await make_token("citizen")
    pm = plugins.build_plugin_manager(db)
    production = replace(db, dev_mode=False)
    with pytest.raises(TokenError):
        await authenticate(token, production, pm)


async def test_hook_vmeste_strategies(vmeste_app, graphql, make_token):
    vmeste_app.state.plugins.register(regional_plugin, name="kirov")
    await Territory.create(code="RU", name="Россия", kind="country", timezone="Europe/Moscow",
                           path="RU")
    body = await graphql("{ strategies { kind name defaults } }")
    assert {"kind": "identity", "name": "kirov-idp",
            "defaults": {"require_verified": True, "level": 1}} in body["data"]["strategies"]
    token = await make_token("federal_configurator", territory="RU")
    body = await graphql(
        """mutation { setRegionPolicy(input: {territoryCode: "RU", kind: "identity",
           plugin: "kirov-idp", settings: {level: 2}}) { regionPolicy { plugin settings }
           userErrors { code } } }""", token=token)
    assert body["data"]["setRegionPolicy"] == {
        "regionPolicy": {"plugin": "kirov-idp", "settings": {"level": 2}}, "userErrors": []}
    body = await graphql('{ effectivePolicy(territoryCode: "RU", kind: "identity") '
                         "{ plugin settings decidedAt } }", token=token)
    assert body["data"]["effectivePolicy"] == [
        {"plugin": "kirov-idp", "settings": {"require_verified": True, "level": 2},
         "decidedAt": "RU"}]


def test_hook_vmeste_component(tmp_path):
    """Every platform package with a ``component`` module is registered and declares
    itself; a third-party component's models, topics and services reach the runtime."""
    from vmeste.platform.components import Component, declared
    from vmeste.platform.outbox.topics import Topic
    from vmeste.platform.runtime import build_runtime

    class Survey:
        def __init__(self, runtime) -> None:
            self.runtime = runtime

    async def handle(runtime, payload, last_attempt):
        return None

    async def scope(payload):
        return ""

    class Surveys:
        @hookspecs.hookimpl
        def vmeste_component(self):
            return Component(name="surveys", models=("vmeste.platform.audit.models",),
                             topics=(Topic("survey.closed", "x.closed", "surveys", handle,
                                           scope),), services=Survey)

    settings = load_settings({"VMESTE_DATABASE_URL": f"sqlite://{tmp_path / 'x.db'}"})
    pm = plugins.build_plugin_manager(settings)
    found = declared(pm)
    assert {"appeals", "identity", "reference", "notifications", "deadlines", "outbox",
            "policies", "audit"} <= set(found)
    assert "vmeste.platform.appeals.models" in found["appeals"].models
    pm.register(Surveys(), name="surveys")
    assert "surveys" in declared(pm)
    pm.register(Surveys(), name="twin")
    with pytest.raises(RuntimeError, match="two components"):
        declared(pm)
    pm.unregister(name="twin")
    runtime = build_runtime(settings, pm)
    assert runtime.topics["survey.closed"].queue == "surveys"
    assert runtime.service(Survey).runtime is runtime
    with pytest.raises(LookupError):
        runtime.service(dict)


def test_hook_vmeste_strategy_kinds(monkeypatch):
    """A plugin may bring a kind and strategies of it; a strategy of a kind nobody
    declares stops the plugin manager from being built, naming plugin and kind."""
    def installed(*points):
        monkeypatch.setattr(plugins, "entry_points", lambda group: list(points))

    installed(EntryPoint(name="classifier", value="tests.plugin_fixtures:classifier_plugin",
                         group="vmeste"))
    pm = plugins.build_plugin_manager(load_settings({}))
    kind = kind_registry(pm)["classifier"]
    spec = plugins.strategy_catalog(pm)[("classifier", "keywords")]
    assert spec.handler("Яма у дома", kind.settings(spec, {})) == "other"
    assert spec.handler("яма у дома", kind.settings(spec, {})) == "roads"
    installed(EntryPoint(name="votes", value="tests.plugin_fixtures:undeclared_kind_plugin",
                         group="vmeste"))
    with pytest.raises(StrategyKindError, match=r"plugin 'votes', strategy vote-method/"
                                                r"knapsack: unknown strategy kind"):
        plugins.build_plugin_manager(load_settings({}))


def test_path_copies_come_from_every_installed_component(monkeypatch):
    """A territory move rewrites what each component declares, a blocked third-party
    component included (its rows outlive the block); reference imports no component."""
    from vmeste.platform.components import Component, path_copies_of

    class Hearings:
        @hookspecs.hookimpl
        def vmeste_component(self):
            return Component(name="petitions", path_copies=(("petition", "territory_path"),))

    petition = EntryPoint(name="petitions", value="x:y", group="vmeste")
    monkeypatch.setattr(EntryPoint, "load", lambda self: Hearings())
    monkeypatch.setattr(plugins, "entry_points", lambda group: [petition])
    plugins.installed_components.cache_clear()
    try:
        copies = path_copies_of(plugins.installed_components())
    finally:
        plugins.installed_components.cache_clear()
    assert {("appeal", "territory_path"), ("competence_rule", "territory_path"),
            ("vote_ballot", "territory_path"), ("petition", "territory_path")} <= set(copies)
    assert list(copies) == sorted(set(copies))


async def test_hook_vmeste_notification_channels(db, monkeypatch):
    """A regional SMS gateway replaces the dev sink; e-mail needs an SMTP server."""
    # The built-in channels only: an installed example's channel is not this test's.
    monkeypatch.setattr(plugins, "entry_points", lambda group: [])
    from vmeste.platform.hookspecs import ChannelSpec
    from vmeste.platform.notifications.channels import channel_registry

    sent = []

    class Gateway:
        @hookspecs.hookimpl
        def vmeste_notification_channels(self, settings):
            async def send(message):
                sent.append(message.subject)

            return [ChannelSpec(name="sms", description="SMS-шлюз", send=send,
                                address=lambda user: user.phone)]

    pm = plugins.build_plugin_manager(db)
    assert set(channel_registry(pm, db)) == {"inbox", "webhook", "sms", "push"}
    pm.register(Gateway(), name="gateway")
    registry = channel_registry(pm, replace(db, smtp_url="smtp://127.0.0.1:25"))
    assert set(registry) == {"inbox", "email", "webhook", "sms", "push"}
    await registry["sms"].send(type("Message", (), {"subject": "Тест"})())
    assert sent == ["Тест"]
    production = channel_registry(plugins.build_plugin_manager(db), replace(db, dev_mode=False))
    assert set(production) == {"inbox", "webhook"}


@pytest.fixture
def with_regional_services(monkeypatch):
    monkeypatch.setattr(plugins, "entry_points", lambda group: [SERVICES] if group == "vmeste"
                        else [])
    monkeypatch.setenv("KIROV_GATEWAY_TOKEN", "secret")


async def test_hook_vmeste_http_routes(db, with_regional_services, make_token):
    """A plugin's route is served behind the platform's middlewares; a path the
    platform serves is refused, not shadowed."""
    from starlette.routing import Route

    from vmeste.app import create_app, plugin_routes

    app = create_app(db, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://vmeste.test") as http:
        anonymous = await http.get("/kirov/gateway/services.json")
        token = await make_token("citizen")
        signed = await http.get("/kirov/gateway/services.json",
                                headers={"Authorization": f"Bearer {token}"})
        forged = await http.get("/kirov/gateway/services.json",
                                headers={"Authorization": "Bearer forged"})
    assert anonymous.json() == {"services": ["roads"], "caller": None}
    assert signed.json()["caller"]
    assert forged.status_code == 401

    class Squatter:
        @hookspecs.hookimpl
        def vmeste_http_routes(self, settings):
            return [Route("/graphql", lambda request: None)]

    pm = plugins.build_plugin_manager(db)
    pm.register(Squatter(), name="squatter")
    with pytest.raises(RuntimeError, match="'/graphql'"):
        plugin_routes(pm, db, {"/graphql"})


async def test_hook_vmeste_startup_checks(db, with_regional_services, monkeypatch, capsys):
    """A broken plugin stops the API's start and the long-running commands, each
    problem named; mended, both start."""
    from argparse import Namespace

    from vmeste.app import create_app
    from vmeste.cli.common import check_startup, execute
    from vmeste.platform.startup import StartupRefused, startup_problems

    app = create_app(db, manage_database=False)
    async with app.router.lifespan_context(app):
        pass  # the token is set: it starts
    monkeypatch.delenv("KIROV_GATEWAY_TOKEN")
    problem = ("kirov-services: KIROV_GATEWAY_TOKEN is not set: the regional gateway "
               "cannot sign in")
    assert await startup_problems(app.state.plugins, db) == [problem]
    with pytest.raises(StartupRefused) as refused:
        async with app.router.lifespan_context(app):
            pass
    assert refused.value.problems == [problem]
    # The CLI runs its checks in a loop of its own, as a command does.
    code = await asyncio.to_thread(
        execute, lambda settings, args: check_startup(settings), lambda: db, Namespace())
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        problem, "vmeste: not starting: a plugin's configuration is broken"]


async def test_hook_vmeste_graphql_schema(db, with_regional_services):
    """A plugin's query joins the schema with its own DataLoader; a second loader of
    one name is refused."""
    from vmeste.app import create_app
    from vmeste.schema import build_schema
    from vmeste.schema.parts import SchemaPart
    from vmeste.testing import GraphQLClient

    moscow = await Territory.create(code="RU", name="Россия", kind="country",
                                    timezone="Europe/Moscow", path="RU")
    app = create_app(db, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://vmeste.test") as http:
        body = await GraphQLClient(http)(f"{{ kirovTitles(ids: [{moscow.id}, 0]) }}")
    assert body["data"] == {"kirovTitles": ["РОССИЯ", None]}

    class Twin:
        @hookspecs.hookimpl
        def vmeste_graphql_schema(self, settings):
            return SchemaPart(name="twin", loaders={"territory": dict})

    pm = plugins.build_plugin_manager(db)
    pm.register(Twin(), name="twin")
    with pytest.raises(RuntimeError, match="'territory' is declared twice"):
        build_schema(db, pm)


def test_hook_vmeste_cli_commands(with_regional_services, capsys):
    """A plugin's subcommand comes after the built-in ones and fails through the one
    error handler."""
    from vmeste.cli import areas, build_parser
    from vmeste.cli.common import execute

    assert [m.__name__ for m in areas()] == sorted(m.__name__ for m in areas())
    settings = load_settings({})
    parser = build_parser(plugins.build_plugin_manager(settings))
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert list(commands)[-1] == "kirov-sync" and "migrate" in commands
    assert execute(parser.parse_args(["kirov-sync", "--dry-run"]).func, lambda: settings,
                   parser.parse_args(["kirov-sync", "--dry-run"])) == 0
    assert capsys.readouterr().out == "kirov-sync: nothing to send\n"
    args = parser.parse_args(["kirov-sync"])
    assert execute(args.func, lambda: settings, args) == 1
    assert capsys.readouterr().err == "vmeste: the regional system is not reachable\n"
    assert "kirov-sync" not in next(a for a in build_parser()._actions
                                    if a.dest == "command").choices


class Listener:
    """A regional CRM: records what it hears; fails the first ``failures`` calls."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.heard: list = []

    @hookspecs.hookimpl
    async def vmeste_domain_event(self, event, runtime):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("CRM unavailable")
        self.heard.append(event)


async def run_jobs(runtime, topic: str) -> list:
    """Run every outbox message of ``topic`` once, as a worker would; returns them."""
    from vmeste.platform.outbox.models import OutboxMessage

    messages = await OutboxMessage.filter(topic=topic).order_by("id")
    for message in messages:
        await runtime.topics[topic].handle(runtime, message.payload, False)
    return messages


async def test_hook_vmeste_domain_event(world, vmeste_app, submit_appeal):
    """Every step reaches a subscribed plugin after it commits, as ids and statuses."""
    from tests.appeal_world import seed_appeal_world
    from tests.worlds import MUNICIPALITY_A
    from vmeste.platform.appeals.services import AppealServices
    from vmeste.platform.events.domain import DOMAIN_DELIVER, DOMAIN_EVENTS
    from vmeste.platform.identity.principal import SYSTEM

    await seed_appeal_world()
    runtime = vmeste_app.state.runtime
    crm = Listener()
    runtime.plugins.register(crm, name="crm")
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    await runtime.service(AppealServices).answer(SYSTEM, appeal.id, text="Яму заделали у дома 5")
    await run_jobs(runtime, DOMAIN_EVENTS)
    await run_jobs(runtime, DOMAIN_DELIVER)
    assert [e.name for e in crm.heard] == ["submit", "moderate", "route", "answer"]
    answer = crm.heard[-1]
    assert (answer.component, answer.subject_type, answer.subject_id) == (
        "appeals", "appeal", appeal.id)
    assert answer.territory_path == appeal.territory_path
    assert answer.payload == {"from_status": "routed", "to_status": "answered"}
    assert crm.heard[2].payload["organization_id"] == appeal.organization_id
    assert len({e.dedupe_key for e in crm.heard}) == 4


async def test_domain_events_are_delivered_at_least_once_per_subscriber(
        world, vmeste_app, submit_appeal):
    """A failing subscriber is retried alone; a redelivered event keeps its dedupe key."""
    from tests.appeal_world import seed_appeal_world
    from tests.worlds import MUNICIPALITY_A
    from vmeste.platform.events.domain import DOMAIN_DELIVER, DOMAIN_EVENTS
    from vmeste.platform.outbox.models import OutboxMessage

    await seed_appeal_world()
    runtime = vmeste_app.state.runtime
    crm, tsur = Listener(), Listener(failures=1)
    runtime.plugins.register(crm, name="crm")
    runtime.plugins.register(tsur, name="tsur")
    await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A)
    await run_jobs(runtime, DOMAIN_EVENTS)
    await run_jobs(runtime, DOMAIN_EVENTS)  # a retried fan-out queues nothing twice
    deliveries = await OutboxMessage.filter(topic=DOMAIN_DELIVER).order_by("id")
    assert len(deliveries) == 2 * 3
    handle = runtime.topics[DOMAIN_DELIVER].handle
    failed = 0
    for message in deliveries:
        try:
            await handle(runtime, message.payload, False)
        except ConnectionError:
            failed += 1
    assert failed == 1 and len(crm.heard) == 3 and len(tsur.heard) == 2
    # The broker retries the failed delivery only: the other subscriber hears nothing new.
    [retried] = [m for m in deliveries if m.payload["subscriber"] == "tsur"
                 and m.payload["event"]["event_id"] not in {e.event_id for e in tsur.heard}]
    await handle(runtime, retried.payload, False)
    assert len(crm.heard) == 3 and sorted(e.name for e in tsur.heard) == sorted(
        e.name for e in crm.heard)
    # A worker died after the call and before recording it: the event comes again,
    # with the same dedupe key, so the subscriber can tell.
    first = next(m for m in deliveries if m.payload["subscriber"] == "crm")
    await handle(runtime, first.payload, False)
    assert crm.heard[-1] == crm.heard[0] and crm.heard[-1].dedupe_key == crm.heard[0].dedupe_key
    assert len({e.dedupe_key for e in crm.heard}) == 3
