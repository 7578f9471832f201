"""Every role × every operation on incidents, monitoring rules and their statistics, as
one table (counted by the authorisation meta-test in ``test_authz_matrix.py``).

The target is an incident in region A's municipality routed to region A's ministry
(``A``), or one in region B's routed to region B's department (``B``), brought to the
state the operation needs (a draft answer for approval, an answered one for a score, an
uncertain delivery to settle, two incidents to merge, two posts to split). Incidents
are for staff: the body's staff and the territory's monitors and auditors see them;
monitors triage, route, merge and keep the rules; the body drafts, its ``org_admin``
approves; the region's feed, the statistics and the topics follow the same view.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.test_authz_matrix import (
    CALLER_SCOPES,
    REFUSALS,
    _graphql_endpoint,
    _Request,
    assert_query_outcome,
    parse_table,
    result_of,
)
from tests.worlds import (
    MUNICIPALITY_A,
    MUNICIPALITY_B,
    ORG_A,
    ORG_A_SCHOOL,
    ORG_B,
    REGION_A,
    REGION_B,
    seed_world,
    user_error_codes,
)
from vmeste.platform.appeals.models import Appeal, AppealStatus, ApplicantType, Channel
from vmeste.platform.identity.authenticate import authenticate
from vmeste.platform.identity.dev_tokens import issue_dev_token
from vmeste.platform.identity.models import Role, User
from vmeste.platform.incidents import sla
from vmeste.platform.incidents.lifecycle import Action
from vmeste.platform.incidents.models import (
    Incident,
    IncidentEvent,
    IncidentReply,
    IncidentStatus,
    MonitoringRule,
    PostState,
    ReplyStatus,
    SocialPost,
)
from vmeste.platform.incidents.steps import INCIDENT_STEPS
from vmeste.platform.publics.models import OfficialPage
from vmeste.platform.reference.models import Category, Organization, Territory
from vmeste.schema import live
from vmeste.testing import GraphQLClient

TABLE = """
incident                   A  empty  empty  ok     ok     ok     ok     ok     empty  ok
incident                   B  empty  empty  empty  empty  empty  empty  empty  empty  empty
incidents                  A  empty  empty  ok     ok     ok     ok     ok     empty  ok
incidents                  B  empty  empty  empty  empty  empty  empty  empty  empty  empty
incidentTopics             -  ok     ok     ok     ok     ok     ok     ok     ok     ok
incidentStatistics         A  empty  empty  ok     ok     ok     ok     ok     empty  ok
incidentStatistics         B  empty  empty  empty  empty  empty  empty  empty  empty  empty
incidentBreakdown          A  empty  empty  ok     ok     ok     ok     ok     empty  ok
incidentBreakdown          B  empty  empty  empty  empty  empty  empty  empty  empty  empty
appealSocialPosts          A  empty  empty  ok     ok     ok     ok     ok     empty  ok
appealSocialPosts          B  empty  empty  empty  empty  empty  empty  empty  empty  empty
monitoringRules            A  empty  empty  empty  empty  empty  ok     ok     empty  ok
monitoringRules            B  empty  empty  empty  empty  empty  empty  empty  empty  empty
incidentUpdates            A  unauth empty  ok     ok     ok     ok     ok     empty  ok
incidentUpdates            B  unauth empty  empty  empty  empty  empty  empty  empty  empty
reactToIncident            A  unauth forbid forbid forbid forbid ok     ok     forbid forbid
reactToIncident            B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
dismissIncident            A  unauth forbid forbid forbid forbid ok     ok     forbid forbid
dismissIncident            B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
routeIncident              A  unauth forbid forbid forbid forbid ok     ok     forbid forbid
routeIncident              B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
setIncidentTopic           A  unauth forbid forbid forbid forbid ok     ok     forbid forbid
setIncidentTopic           B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
mergeIncidents             A  unauth forbid forbid forbid forbid ok     ok     forbid forbid
mergeIncidents             B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
splitIncident              A  unauth forbid forbid forbid forbid ok     ok     forbid forbid
splitIncident              B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
draftIncidentReply         A  unauth forbid ok     ok     ok     ok     ok     forbid forbid
draftIncidentReply         B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
approveIncidentReply       A  unauth forbid forbid forbid ok     ok     ok     forbid forbid
approveIncidentReply       B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
rejectIncidentReply        A  unauth forbid forbid forbid ok     ok     ok     forbid forbid
rejectIncidentReply        B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
settleIncidentReply        A  unauth forbid forbid forbid ok     ok     ok     forbid forbid
settleIncidentReply        B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
recordIncidentSatisfaction A  unauth forbid ok     ok     ok     ok     ok     forbid forbid
recordIncidentSatisfaction B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
convertIncidentToAppeal    A  unauth forbid ok     forbid forbid ok     ok     forbid forbid
convertIncidentToAppeal    B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
createMonitoringRule       A  unauth forbid forbid forbid forbid ok     ok     forbid forbid
createMonitoringRule       B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
updateMonitoringRule       A  unauth forbid forbid forbid forbid ok     ok     forbid forbid
updateMonitoringRule       B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
deactivateMonitoringRule   A  unauth forbid forbid forbid forbid ok     ok     forbid forbid
deactivateMonitoringRule   B  unauth forbid forbid forbid forbid forbid forbid forbid forbid
"""
EXPECTED = parse_table(TABLE)
NOW = datetime.now(UTC)
INCIDENT = "incident { id status } userErrors { code }"
REPLY = "reply { id status } userErrors { code }"
RULE = "rule { id active } userErrors { code }"
Targets = dict[str, Any]


@dataclass(frozen=True)
class Case:
    kind: str
    document: str
    #: The state the target incident is seeded in.
    status: IncidentStatus
    variables: Callable[[Targets], dict[str, Any]]
    visible: Callable[[Any, Targets], bool] = lambda result, t: result is not None
    #: The target's answer: "draft", "approved" (its delivery uncertain) or none.
    reply: str = ""


def _on_incident(name: str, status: IncidentStatus, arguments: str = "",
                 extra: Callable[[Targets], dict[str, Any]] = lambda t: {},
                 declared: str = "") -> Case:
    return Case("mutation", f"mutation($id: ID!{declared}) {{ {name}(id: $id{arguments}) "
                f"{{ {INCIDENT} }} }}", status, lambda t: {"id": t["incident"], **extra(t)})


def _on_reply(name: str, reply: str, arguments: str = "") -> Case:
    return Case("mutation", f"mutation($id: ID!) {{ {name}(id: $id{arguments}) {{ {REPLY} }} }}",
                IncidentStatus.ROUTED, lambda t: {"id": t["reply"]}, reply=reply)


N, R = IncidentStatus.NEW, IncidentStatus.ROUTED
CASES: dict[str, Case] = {
    "incident": Case("query", "query($id: ID!) { incident(id: $id) { id } }", R,
                     lambda t: {"id": t["incident"]}),
    "incidents": Case("query", "{ incidents(first: 50) { edges { node { id } } } }", R,
                      lambda t: {}, lambda result, t: t["incident"] in {
                          e["node"]["id"] for e in result["edges"]}),
    "incidentTopics": Case("query", "{ incidentTopics { code name } }", R, lambda t: {},
                           lambda result, t: len(result) == 10),
    "incidentStatistics": Case(
        "query", "query($r: String) { incidentStatistics(scope: {territoryCode: $r}) { "
        "incidents } }", R, lambda t: {"r": t["region"]},
        lambda result, t: result["incidents"] == 2),
    "incidentBreakdown": Case(
        "query", "{ incidentBreakdown(by: REGION) { key figures { incidents } } }", R,
        lambda t: {}, lambda result, t: t["region"] in {g["key"] for g in result}),
    "appealSocialPosts": Case(
        "query", "query($id: ID!) { appealSocialPosts(appealId: $id) { id } }",
        IncidentStatus.APPEALED, lambda t: {"id": t["appeal"]}, lambda result, t: bool(result)),
    "monitoringRules": Case(
        "query", "{ monitoringRules(first: 50) { edges { node { id } } } }", R, lambda t: {},
        lambda result, t: t["rule"] in {e["node"]["id"] for e in result["edges"]}),
    "incidentUpdates": Case("subscription", "subscription { incidentUpdates { action "
                            "incident { id } } }", R, lambda t: {}),
    "reactToIncident": Case(
        "mutation", "mutation($i: ReactToIncidentInput!) { reactToIncident(input: $i) "
        f"{{ {INCIDENT} }} }}", N, lambda t: {"i": {"id": t["incident"],
                                                    "categoryCode": "roads.pits"}}),
    "dismissIncident": _on_incident("dismissIncident", N, ', reason: "Реклама"'),
    "routeIncident": _on_incident("routeIncident", R, ', organizationId: $o, reason: "Ошибка"',
                                  lambda t: {"o": t["route_to"]}, ", $o: ID!"),
    "setIncidentTopic": _on_incident("setIncidentTopic", N, ', topic: "snow_removal"'),
    "mergeIncidents": Case(
        "mutation", "mutation($t: ID!, $s: ID!) { mergeIncidents(targetId: $t, sourceIds: "
        f"[$s]) {{ {INCIDENT} }} }}", N, lambda t: {"t": t["incident"], "s": t["other"]}),
    "splitIncident": Case(
        "mutation", "mutation($id: ID!, $p: ID!) { splitIncident(id: $id, postIds: [$p]) "
        f"{{ {INCIDENT} }} }}", N, lambda t: {"id": t["incident"], "p": t["second_post"]}),
    "draftIncidentReply": Case(
        "mutation", "mutation($id: ID!) { draftIncidentReply(incidentId: $id, text: "
        f'"Яму заделают до пятницы.") {{ {REPLY} }} }}', R, lambda t: {"id": t["incident"]}),
    "approveIncidentReply": _on_reply("approveIncidentReply", "draft"),
    "rejectIncidentReply": _on_reply("rejectIncidentReply", "draft", ', reason: "Неточно"'),
    "settleIncidentReply": _on_reply("settleIncidentReply", "approved", ', commentRef: "77"'),
    "recordIncidentSatisfaction": _on_incident("recordIncidentSatisfaction",
                                               IncidentStatus.ANSWERED, ", score: 5"),
    "convertIncidentToAppeal": _on_incident("convertIncidentToAppeal", R,
                                            ', categoryCode: "roads.pits"'),
    "createMonitoringRule": Case(
        "mutation", "mutation($i: CreateMonitoringRuleInput!) { createMonitoringRule("
        f"input: $i) {{ {RULE} }} }}", R, lambda t: {"i": {
            "name": "Дороги", "territoryCode": t["territory"], "keywords": ["яма"]}}),
    "updateMonitoringRule": Case(
        "mutation", "mutation($i: UpdateMonitoringRuleInput!) { updateMonitoringRule("
        f"input: $i) {{ {RULE} }} }}", R, lambda t: {"i": {"id": t["rule"],
                                                          "keywords": ["яма", "асфальт"]}}),
    "deactivateMonitoringRule": Case(
        "mutation", f"mutation($id: ID!) {{ deactivateMonitoringRule(id: $id) {{ {RULE} }} }}",
        R, lambda t: {"id": t["rule"]}),
}


async def _incident(territory: Territory, organization: int, page: OfficialPage,
                    status: IncidentStatus, posts: int = 1) -> Incident:
    row = await Incident.create(
        status=status, topic="road_repair", territory_id=territory.id,
        territory_path=territory.path, official_page_id=page.id,
        organization_id=organization if status is not IncidentStatus.NEW else None,
        post_count=posts, first_posted_at=NOW, last_posted_at=NOW,
        **sla.scheduled(NOW - timedelta(hours=1), territory.timezone),
        answered_at=NOW if status is IncidentStatus.ANSWERED else None)
    await SocialPost.bulk_create([SocialPost(
        network="vk", post_ref=f"{row.id}-{n}", page_ref=page.page_ref, author_ref="501",
        text="Яма на дороге у дома 102", posted_at=NOW, ingested_at=NOW,
        state=PostState.ATTACHED, topic="road_repair", incident_id=row.id)
        for n in range(posts)])
    await INCIDENT_STEPS.record(_conn(), row, "system:intake", Action.CREATE, None, status)
    return row


def _conn() -> Any:
    from tortoise import connections

    return connections.get("default")


async def _seed(in_a: bool, case: Case, db: Any) -> Targets:
    code = MUNICIPALITY_A if in_a else MUNICIPALITY_B
    territory = await Territory.get(code=code)
    organization = await Organization.get(ogrn=ORG_A if in_a else ORG_B)
    page = await OfficialPage.create(
        organization_id=organization.id, territory_id=territory.id,
        territory_path=territory.path, network="vk", page_ref="11" if in_a else "22",
        registered_name=organization.name, created_by="system")
    incident = await _incident(territory, organization.id, page, case.status,
                               posts=2 if case.document.find("splitIncident") >= 0 else 1)
    other = await _incident(territory, organization.id, page, case.status)
    rule = await MonitoringRule.create(name="Дороги", territory_id=territory.id,
                                       territory_path=territory.path, keywords=["яма"],
                                       created_by="system")
    targets = {"incident": relay.to_base64("Incident", incident.id),
               "other": relay.to_base64("Incident", other.id),
               "route_to": relay.to_base64("Organization", (await Organization.get(
                   ogrn=ORG_A_SCHOOL if in_a else ORG_A)).id),
               "rule": relay.to_base64("MonitoringRule", rule.id),
               "territory": code, "region": REGION_A if in_a else REGION_B, "pk": incident.id}
    posts = await SocialPost.filter(incident_id=incident.id).order_by("id")
    targets["second_post"] = relay.to_base64("SocialPost", posts[-1].id)
    if case.reply:
        reply = await IncidentReply.create(
            incident_id=incident.id, text="Яму заделают до пятницы.", parent_ref=posts[0].post_ref,
            written_by="system", status=ReplyStatus.DRAFT if case.reply == "draft"
            else ReplyStatus.APPROVED, uncertain=case.reply == "approved")
        targets["reply"] = relay.to_base64("IncidentReply", reply.id)
    if case.status is IncidentStatus.APPEALED:
        author = await User.create(issuer="social:vk", subject="501")
        category = await Category.get(code="roads.pits")
        appeal = await Appeal.create(
            applicant=author, applicant_type=ApplicantType.PERSON, channel=Channel.SOCIAL,
            category_id=category.id, territory_id=territory.id,
            territory_path=territory.path, text="Яма на дороге", status=AppealStatus.ROUTED,
            organization_id=organization.id)
        await Incident.filter(id=incident.id).update(appeal_id=appeal.id)
        targets["appeal"] = relay.to_base64("Appeal", appeal.id)
    return targets


async def _state() -> tuple[Any, ...]:
    return (await IncidentEvent.all().count(), await IncidentReply.all().count(),
            sorted(await IncidentReply.all().values_list("status", "comment_ref")),
            await MonitoringRule.filter(active=True).count(),
            sorted(await MonitoringRule.all().values_list("keywords", flat=True)))


async def _subscribe(app: Starlette, token: str | None, case: Case, incident_id: int,
                     monkeypatch: pytest.MonkeyPatch) -> tuple[str | None, bool]:
    """Whether the caller hears of a step of the target incident taken after subscribing."""
    polling = asyncio.Event()

    class Signalling:
        async def sleep(self, seconds: float) -> None:
            polling.set()
            await asyncio.sleep(0.01)

    monkeypatch.setattr(live, "asyncio", Signalling())
    principal = await authenticate(token, app.state.settings, app.state.plugins)
    endpoint = _graphql_endpoint(app)
    context = await endpoint.get_context(_Request(principal), None)
    stream = await endpoint.schema.subscribe(case.document, context_value=context)
    if not hasattr(stream, "__anext__"):
        return stream.errors[0].extensions.get("code"), False
    first = asyncio.ensure_future(stream.__anext__())
    waiting = asyncio.ensure_future(polling.wait())
    await asyncio.wait({first, waiting}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if first.done():
        result = first.result()
        await stream.aclose()
        return result.errors[0].extensions.get("code") if result.errors else None, True
    row = await Incident.get(id=incident_id)
    await INCIDENT_STEPS.record(_conn(), row, "system:test", Action.REMIND, None, row.status)
    try:
        result = await asyncio.wait_for(first, timeout=1)
    except TimeoutError:
        return None, False
    finally:
        await stream.aclose()
    if result.errors:
        return result.errors[0].extensions.get("code"), False
    return None, result.data["incidentUpdates"]["incident"]["id"] == relay.to_base64(
        "Incident", incident_id)


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_incidents_authorisation_matrix(operation: str, target: str, db: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        async with in_transaction():
            await seed_world()
            token = None if role == "anonymous" else await issue_dev_token(
                db, Role(role), subject=f"caller-{role}",
                organization_ogrn=CALLER_SCOPES[role].get("org"),
                territory_code=CALLER_SCOPES[role].get("territory"))
            targets = await _seed(target == "A", case, db)
        if case.kind == "subscription":
            code, heard = await _subscribe(vmeste_app, token, case, targets["pk"], monkeypatch)
            if expected in REFUSALS:
                assert code == REFUSALS[expected], (role, code)
            else:
                assert code is None and heard == (expected == "ok"), (role, code, heard)
            return
        before = await _state()
        body = await graphql(case.document, case.variables(targets), token=token)
        if case.kind == "query":
            assert_query_outcome(body, operation, expected,
                                 lambda result: case.visible(result, targets))
            return
        assert "errors" not in body, body
        payload = result_of(body, operation)
        if expected in REFUSALS:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            assert await _state() == before, "a refused change changes nothing"
            return
        assert expected == "ok" and payload["userErrors"] == [], payload
        assert any(v for k, v in payload.items() if k != "userErrors"), payload

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)

