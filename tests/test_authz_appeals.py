"""Every role × every appeals operation, as one table (the appeals half of
``test_authz_matrix.py``, whose completeness check counts both tables).

Each case seeds its target appeal straight into the state the operation needs: in
region A the appeal belongs to the caller-citizen and sits at ORG_A, where the
organization roles are held; in region B it belongs to someone else and sits at ORG_B.
Territory roles are held on region A. Cells mean what they mean in the main matrix;
``ok`` for a mutation is an applied step without ``userErrors``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
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
    ORG_A_SCHOOL,
    ORG_B,
    ORG_FEDERAL,
    REGION_A,
    REGION_B,
    seed_world,
    user_error_codes,
)
from vmeste.platform.appeals.models import (
    Appeal,
    AppealStatus,
    ApplicantType,
    Channel,
    CompetenceRule,
    LegalTrack,
    RuleStatus,
)
from vmeste.platform.identity.dev_tokens import dev_claims
from vmeste.platform.identity.models import Role, User
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.identity.services import upsert_user
from vmeste.platform.identity.tokens import claims_to_identity
from vmeste.platform.reference import services as ref
from vmeste.platform.reference.models import Category, CompetenceLevel, Organization, Territory
from vmeste.testing import GraphQLClient

TABLE = """
myAppeals              self   unauth ok     empty  empty  empty  empty  empty  empty  empty
appeal                 A      empty  ok     ok     ok     ok     ok     ok     empty  ok
appeal                 B      empty  empty  empty  empty  empty  empty  empty  empty  empty
appeals                A      unauth empty  ok     ok     ok     ok     ok     empty  ok
appeals                B      unauth empty  empty  empty  empty  empty  empty  empty  empty
competenceRules        A      unauth forbid forbid forbid forbid forbid ok     ok     ok
competenceRules        B      unauth forbid forbid forbid forbid forbid empty  ok     empty
simulateRouting        A      unauth forbid forbid forbid forbid ok     ok     ok     ok
simulateRouting        B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
routingCoverage        A      unauth forbid forbid forbid forbid forbid ok     ok     ok
routingCoverage        B      unauth forbid forbid forbid forbid forbid forbid ok     forbid
appealStatistics       A      empty  empty  ok     ok     ok     ok     ok     empty  ok
appealStatistics       B      empty  empty  empty  empty  empty  empty  empty  empty  empty
appealStatistics       A-published empty empty empty empty empty empty empty empty empty
submitAppeal           A      unauth ok     ok     ok     ok     ok     ok     ok     ok
submitAppeal           B      unauth ok     ok     ok     ok     ok     ok     ok     ok
submitAppeal           A-behalf unauth forbid ok   forbid forbid forbid forbid forbid forbid
submitAppeal           B-behalf unauth forbid forbid forbid forbid forbid forbid forbid forbid
moderateAppeal         A      unauth forbid forbid forbid forbid ok     ok     forbid forbid
moderateAppeal         B      unauth forbid forbid forbid forbid forbid forbid forbid forbid
assignExecutor         A      unauth forbid ok     forbid ok     forbid forbid forbid forbid
assignExecutor         B      unauth forbid forbid forbid forbid forbid forbid forbid forbid
assignExecutor         A-id   unauth forbid ok     forbid ok     forbid forbid forbid forbid
assignExecutor         B-id   unauth forbid forbid forbid forbid forbid forbid forbid forbid
requestClarification   A      unauth forbid ok     ok     ok     forbid forbid forbid forbid
requestClarification   B      unauth forbid forbid forbid forbid forbid forbid forbid forbid
clarifyAppeal          A      unauth ok     forbid forbid forbid forbid forbid forbid forbid
clarifyAppeal          B      unauth forbid forbid forbid forbid forbid forbid forbid forbid
answerAppeal           A      unauth forbid ok     ok     ok     forbid forbid forbid forbid
answerAppeal           B      unauth forbid forbid forbid forbid forbid forbid forbid forbid
rateAnswer             A      unauth ok     forbid forbid forbid forbid forbid forbid forbid
rateAnswer             B      unauth forbid forbid forbid forbid forbid forbid forbid forbid
redirectAppeal         A      unauth forbid ok     forbid ok     ok     ok     forbid forbid
redirectAppeal         B      unauth forbid forbid forbid forbid forbid forbid forbid forbid
reopenAppeal           A      unauth forbid forbid forbid ok     ok     ok     forbid forbid
reopenAppeal           B      unauth forbid forbid forbid forbid forbid forbid forbid forbid
withdrawAppeal         A      unauth ok     forbid forbid forbid forbid forbid forbid forbid
withdrawAppeal         B      unauth forbid forbid forbid forbid forbid forbid forbid forbid
convertAppeal          A      unauth forbid ok     forbid ok     ok     ok     forbid forbid
convertAppeal          B      unauth forbid forbid forbid forbid forbid forbid forbid forbid
extendAppealDeadline   A      unauth forbid ok     forbid ok     forbid forbid forbid forbid
extendAppealDeadline   B      unauth forbid forbid forbid forbid forbid forbid forbid forbid
upsertCompetenceRule   A      unauth forbid forbid forbid forbid forbid ok     forbid forbid
upsertCompetenceRule   B      unauth forbid forbid forbid forbid forbid forbid forbid forbid
upsertCompetenceRule   A-federal unauth forbid forbid forbid forbid forbid forbid ok  forbid
publishCompetenceRules A      unauth forbid forbid forbid forbid forbid ok     empty  forbid
publishCompetenceRules B      unauth forbid forbid forbid forbid forbid empty  empty  forbid
"""


EXPECTED = parse_table(TABLE)
AUTHOR_A, AUTHOR_B = "caller-citizen", "someone-else"
#: An input value "user-id:<subject>" stands for that user's global id, known only
#: once the case's users exist.
USER_ID = "user-id:"
S = AppealStatus


@dataclass(frozen=True)
class Case:
    kind: str  # "query" or "mutation"
    document: str
    #: The status the target appeal is seeded in; None seeds no appeal.
    status: AppealStatus | None
    variables: Callable[[str, str], dict[str, Any]]  # (region "A"/"B", appeal global id)
    visible: Callable[[Any, str], bool] = lambda result, _: result is not None
    #: Further columns of the seeded appeal (a 59-ФЗ track, a registration).
    extra: Mapping[str, Any] = field(default_factory=dict)


def _edge_ids(result: Any) -> set[str]:
    return {edge["node"]["id"] for edge in result["edges"]}


def _step(mutation: str, input_type: str, **fields: Any) -> Case:
    return Case("mutation", f"mutation($input: {input_type}!) {{ {mutation}(input: $input) "
                "{ appeal { id status } userErrors { field code message } } }", None,
                lambda region, appeal: {"input": {"appealId": appeal, **fields}})


def _on(case: Case, status: AppealStatus, **per_region: dict[str, Any]) -> Case:
    """The step case, seeded in ``status``, with region-specific input fields."""
    def variables(region: str, appeal: str) -> dict[str, Any]:
        values = case.variables(region, appeal)
        values["input"].update(per_region.get(region, {}))
        return values

    return Case(case.kind, case.document, status, variables)


def _municipality(region: str) -> str:
    return MUNICIPALITY_A if region.startswith("A") else MUNICIPALITY_B


RULE = """mutation($input: CompetenceRuleInput!) { upsertCompetenceRule(input: $input) {
  rule { id } userErrors { code } } }"""

CASES: dict[str, Case] = {
    "myAppeals": Case("query", "{ myAppeals { edges { node { id } } } }", S.ROUTED,
                      lambda region, appeal: {}, lambda r, appeal: appeal in _edge_ids(r)),
    "appeal": Case("query", "query($id: ID!) { appeal(id: $id) { id } }", S.ROUTED,
                   lambda region, appeal: {"id": appeal}),
    "appeals": Case("query", "{ appeals { edges { node { id } } } }", S.ROUTED,
                    lambda region, appeal: {}, lambda r, appeal: appeal in _edge_ids(r)),
    "competenceRules": Case(
        "query", "{ competenceRules { edges { node { territory { code } } } } }", None,
        lambda region, appeal: {},
        lambda r, region: (REGION_A if region == "A" else REGION_B) in {
            e["node"]["territory"]["code"] for e in r["edges"]}),
    "simulateRouting": Case(
        "query", "query($c: String!) { simulateRouting(input: {categoryCode: \"roads.pits\", "
        "territoryCode: $c}) { fallback } }", None,
        lambda region, appeal: {"c": _municipality(region)}),
    "routingCoverage": Case(
        "query", "query($c: String!) { routingCoverage(territoryCode: $c) { pairsChecked } }",
        None, lambda region, appeal: {"c": REGION_A if region == "A" else REGION_B}),
    # "-behalf": the operator channel, in the name of the other region's author (an
    # operator files only within their own body's territory).
    # "ok": the figures whole (the caller may read every counted appeal), "empty": the
    # public view, where the one appeal of the body is too few to publish.
    "appealStatistics": Case(
        "query", "query($o: String!, $p: Boolean!) { appealStatistics(filter: "
        "{organizationOgrn: $o}, published: $p) { published points { figures { appeals } } } }",
        S.ROUTED, lambda region, appeal: {"o": ORG_A if region.startswith("A") else ORG_B,
                                         "p": region.endswith("-published")},
        lambda r, appeal: not r["published"] and r["points"][0]["figures"]["appeals"] == 1),
    "submitAppeal": Case(
        "mutation", "mutation($input: SubmitAppealInput!) { submitAppeal(input: $input) "
        "{ appeal { id } userErrors { code } } }", None,
        lambda region, appeal: {"input": {
            "text": "Яма на дороге у дома 7, машины бьют колёса.",
            "categoryCode": "roads.pits", "territoryCode": _municipality(region),
            **({"channel": "OPERATOR", "onBehalfOfSubject": AUTHOR_B}
               if region.endswith("-behalf") else {})}}),
    "moderateAppeal": _on(_step("moderateAppeal", "ModerateAppealInput", accept=True),
                          S.MODERATION),
    # "-id": the executor named by their User global id instead of issuer and subject.
    "assignExecutor": Case(
        "mutation", _step("assignExecutor", "AssignExecutorInput").document, S.ROUTED,
        lambda region, appeal: {"input": {"appealId": appeal, **(
            {"executorId": f"{USER_ID}executor-{region[0].lower()}"} if region.endswith("-id")
            else {"executorSubject": f"executor-{region[0].lower()}",
                  "executorIssuer": "vmeste-dev"})}}),
    "requestClarification": _on(_step("requestClarification", "RequestClarificationInput",
                                      question="Какой дом?"), S.ROUTED),
    "clarifyAppeal": _on(_step("clarifyAppeal", "AppealTextInput", text="Дом 7"),
                         S.CLARIFICATION_REQUESTED),
    "answerAppeal": _on(_step("answerAppeal", "AppealTextInput", text="Заделаем яму."),
                        S.IN_PROGRESS),
    "rateAnswer": _on(_step("rateAnswer", "RateAnswerInput", rating=5), S.ANSWERED),
    "redirectAppeal": _on(_step("redirectAppeal", "RedirectAppealInput",
                                organizationOgrn=ORG_FEDERAL, reason="Федеральная дорога"),
                          S.ROUTED),
    "reopenAppeal": _on(_step("reopenAppeal", "AppealReasonInput", reason="Не сделано"),
                        S.CLOSED),
    "withdrawAppeal": _on(_step("withdrawAppeal", "AppealReasonInput"), S.ROUTED),
    "convertAppeal": _on(_step("convertAppeal", "ConvertAppealInput", track="APPEAL_59FZ",
                               reason="Просьба заявителя"), S.ROUTED),
    "extendAppealDeadline": replace(
        _on(_step("extendAppealDeadline", "ExtendAppealDeadlineInput", days=10,
                  reason="Нужна экспертиза"), S.IN_PROGRESS),
        extra={"legal_track": LegalTrack.APPEAL_59FZ,
               # A term still running: one past due cannot be extended.
               "registered_at": datetime.now(UTC) - timedelta(days=1),
               "deadline_policy": "calendar-days:30"}),
    "upsertCompetenceRule": Case(
        "mutation", RULE, None,
        lambda region, appeal: {"input": {
            "categoryCode": "post" if region == "A-federal" else "roads",
            "territoryCode": REGION_B if region == "B" else REGION_A,
            "organizationOgrn": ORG_FEDERAL if region == "A-federal"
            else ORG_B if region == "B" else ORG_A, "priority": 5}}),
    "publishCompetenceRules": Case(
        "mutation", "mutation { publishCompetenceRules { published userErrors { code } } }",
        None, lambda region, appeal: {}),
}


async def _seed(region: str) -> dict[str, Any]:
    """Authors, a federal category, a published rule in each region and a draft in
    the target's region; returns ids the appeals need."""
    await ref.create_category(SYSTEM, ref.CategoryInput(
        code="post", name="Почта", competence_level=CompetenceLevel.FEDERAL))
    users = {}
    for subject in (AUTHOR_A, AUTHOR_B):
        users[subject] = await upsert_user(claims_to_identity(dev_claims(subject,
                                                                         Role.CITIZEN)))
    orgs = dict(await Organization.all().values_list("ogrn", "id"))
    territories = {code: (pk, path) for pk, code, path in
                   await Territory.all().values_list("id", "code", "path")}
    categories = dict(await Category.all().values_list("code", "id"))
    draft = (MUNICIPALITY_A, ORG_A_SCHOOL) if region == "A" else (MUNICIPALITY_B, ORG_B)
    for region_code, org, status in ((REGION_A, ORG_A, RuleStatus.PUBLISHED),
                                     (REGION_B, ORG_B, RuleStatus.PUBLISHED),
                                     (*draft, RuleStatus.DRAFT)):
        await CompetenceRule.create(
            category_id=categories["roads" if status == RuleStatus.PUBLISHED else "roads.pits"],
            territory_id=territories[region_code][0],
            territory_path=territories[region_code][1], organization_id=orgs[org],
            status=status, author="test")
    return {"users": users, "orgs": orgs, "territories": territories,
            "category": categories["roads.pits"]}


async def _appeal(seeded: dict[str, Any], region: str, status: AppealStatus,
                  extra: Mapping[str, Any]) -> Appeal:
    municipality = _municipality(region)
    territory_id, path = seeded["territories"][municipality]
    author: User = seeded["users"][AUTHOR_A if region == "A" else AUTHOR_B]
    org = seeded["orgs"][ORG_A if region == "A" else ORG_B]
    return await Appeal.create(
        applicant=author, applicant_type=ApplicantType.PERSON, channel=Channel.PORTAL,
        category_id=seeded["category"], territory_id=territory_id, territory_path=path,
        text="Яма на дороге", status=status,
        organization_id=None if status == S.MODERATION else org, **extra)


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_appeals_authorisation_matrix(
        operation: str, target: str, db: Any, make_token: Any,
) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        region = target[0] if target != "self" else "A"
        async with in_transaction():
            await seed_world()
            seeded = await _seed(region)
            await make_token("executor", org=ORG_A, sub="executor-a")
            await make_token("executor", org=ORG_B, sub="executor-b")
            _, token = await caller_token(make_token, role)
            appeal_id = ""
            if case.status is not None:
                appeal = await _appeal(seeded, region, case.status, case.extra)
                appeal_id = relay.to_base64("Appeal", appeal.id)
        variables = case.variables(target if target != "self" else "A", appeal_id)
        for name, value in variables.get("input", {}).items():
            if isinstance(value, str) and value.startswith(USER_ID):
                user = await User.get(subject=value.removeprefix(USER_ID))
                variables["input"][name] = relay.to_base64("User", user.id)
        body = await graphql(case.document, variables, token=token)
        if case.kind == "query":
            probe = appeal_id if case.status is not None else region
            assert_query_outcome(body, operation, expected,
                                 lambda result: case.visible(result, probe))
            return
        assert "errors" not in body, body
        payload = result_of(body, operation)
        if expected in REFUSALS:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            if case.status is not None:
                assert (await Appeal.get(id=appeal.id)).status == case.status, "nothing changed"
            return
        assert payload["userErrors"] == [], payload
        if operation == "publishCompetenceRules":
            assert bool(payload["published"]) == (expected == "ok"), payload
        else:
            assert expected == "ok"
            assert any(v for k, v in payload.items() if k != "userErrors"), payload

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
