"""Every role × every operation on procedure templates and hearings, as one table
(counted by the authorisation meta-test in ``test_authz_matrix.py``).

The target hearing lies in region A's municipality, organised by region A's ministry
(where the callers' roles are held), or in region B's, organised by its department;
it is seeded straight into the status the operation needs (``-open``: announced,
which everyone reads). Template targets are a regional template of region A or B, or
(``country``) the federal defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.test_authz_matrix import (
    CALLER_SCOPES,
    REFUSALS,
    assert_query_outcome,
    parse_table,
    result_of,
)
from tests.worlds import (
    COUNTRY,
    MUNICIPALITY_A,
    MUNICIPALITY_B,
    ORG_A,
    ORG_B,
    REGION_A,
    REGION_B,
    seed_world,
    user_error_codes,
)
from vmeste.platform.hearings import documents
from vmeste.platform.hearings.hearings import Announcement, HearingInput, HearingServices
from vmeste.platform.hearings.models import (
    DayUnit,
    Hearing,
    HearingKind,
    HearingStatus,
    HearingSubscription,
    ProcedureTemplate,
)
from vmeste.platform.hearings.templates import (
    Duration,
    StageRule,
    TemplateInput,
    create_template,
    ensure_federal,
)
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.dev_tokens import issue_dev_token
from vmeste.platform.identity.models import Role, User
from vmeste.platform.identity.principal import SYSTEM
from vmeste.testing import GraphQLClient

TABLE = """
procedureTemplates       -            ok     ok     ok     ok     ok     ok     ok     ok     ok
procedureTemplate        -            ok     ok     ok     ok     ok     ok     ok     ok     ok
createProcedureTemplate  A            unauth forbid forbid forbid forbid forbid ok     ok     forbid
createProcedureTemplate  B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
createProcedureTemplate  country      unauth forbid forbid forbid forbid forbid forbid ok     forbid
reviseProcedureTemplate  A            unauth forbid forbid forbid forbid forbid ok     ok     forbid
reviseProcedureTemplate  B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
reviseProcedureTemplate  country      unauth forbid forbid forbid forbid forbid forbid ok     forbid
hearing                  A            empty  empty  ok     empty  ok     empty  ok     ok     ok
hearing                  B            empty  empty  empty  empty  empty  empty  empty  ok     empty
hearing                  A-open       ok     ok     ok     ok     ok     ok     ok     ok     ok
hearings                 A            empty  empty  ok     empty  ok     empty  ok     ok     ok
hearings                 B            empty  empty  empty  empty  empty  empty  empty  ok     empty
hearings                 A-open       ok     ok     ok     ok     ok     ok     ok     ok     ok
createHearing            A            unauth forbid forbid forbid ok     forbid ok     ok     forbid
createHearing            B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
updateHearing            A            unauth forbid forbid forbid ok     forbid ok     ok     forbid
updateHearing            B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
announceHearing          A            unauth forbid forbid forbid ok     forbid ok     ok     forbid
announceHearing          B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
openHearingExposition    A            unauth forbid forbid forbid ok     forbid ok     ok     forbid
openHearingExposition    B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
holdHearingMeeting       A            unauth forbid forbid forbid ok     forbid ok     ok     forbid
holdHearingMeeting       B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
closeHearingProposals    A            unauth forbid forbid forbid ok     forbid ok     ok     forbid
closeHearingProposals    B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
signHearingProtocol      A            unauth forbid forbid forbid ok     forbid ok     ok     forbid
signHearingProtocol      B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
publishHearing           A            unauth forbid forbid forbid ok     forbid ok     ok     forbid
publishHearing           B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
cancelHearing            A            unauth forbid forbid forbid ok     forbid ok     ok     forbid
cancelHearing            B            unauth forbid forbid forbid forbid forbid forbid ok     forbid
subscribeToHearing       A            unauth absent ok     absent ok     absent ok     ok     ok
subscribeToHearing       B            unauth absent absent absent absent absent absent ok     absent
subscribeToHearing       A-open       unauth ok     ok     ok     ok     ok     ok     ok     ok
unsubscribeFromHearing   A            unauth absent ok     absent ok     absent ok     ok     ok
unsubscribeFromHearing   B            unauth absent absent absent absent absent absent ok     absent
unsubscribeFromHearing   A-open       unauth ok     ok     ok     ok     ok     ok     ok     ok
"""

EXPECTED = parse_table(TABLE)
S = HearingStatus
D = DayUnit.CALENDAR_DAYS


@dataclass(frozen=True)
class Case:
    kind: str
    document: str
    #: The status the target hearing is brought to; None seeds no hearing.
    status: HearingStatus | None
    #: Variables from the seeded targets (``hearing``, ``template``, ``territory``,
    #: ``region``, ``organiser``).
    variables: Any
    #: Whether a query's answer shows the target.
    visible: Any = lambda result, target: result is not None


def _step(name: str, status: HearingStatus) -> Case:
    return Case("mutation", f"mutation($id: ID!) {{ {name}(id: $id) {{ hearing {{ id status }} "
                "userErrors { code } } }", status, lambda t: {"id": t["hearing"]})


def _input(name: str, input_type: str, status: HearingStatus | None, fields: Any) -> Case:
    return Case("mutation", f"mutation($input: {input_type}!) {{ {name}(input: $input) "
                "{ hearing { id status } userErrors { code } } }", status,
                lambda t: {"input": fields(t)})


T_FIELDS = "template { id version current } userErrors { code }"
RULES = [{"stage": s, "min": 1, "max": 10} for s in
         ("NOTICE", "EXPOSITION", "PROTOCOL", "CONCLUSION", "PUBLICATION")]

CASES: dict[str, Case] = {
    "procedureTemplates": Case(
        "query", "{ procedureTemplates(first: 50) { edges { node { id code } } } }", None,
        lambda t: {}, lambda result, t: any(e["node"]["code"] == "master_plan_hearing"
                                            for e in result["edges"])),
    "procedureTemplate": Case("query", "query($id: ID!) { procedureTemplate(id: $id) { id } }",
                              None, lambda t: {"id": t["template"]}),
    "createProcedureTemplate": Case(
        "mutation", "mutation($input: CreateProcedureTemplateInput!) { "
        f"createProcedureTemplate(input: $input) {{ {T_FIELDS} }} }}", None,
        lambda t: {"input": {"code": "ppt_local", "kind": "PUBLIC_DISCUSSION",
                             "documentType": "planning_project", "title": "ППТ",
                             "territoryCode": t["region"], "stages": RULES,
                             "total": {"min": 5, "max": 50}}}),
    "reviseProcedureTemplate": Case(
        "mutation", "mutation($input: ReviseProcedureTemplateInput!) { "
        f"reviseProcedureTemplate(input: $input) {{ {T_FIELDS} }} }}", None,
        lambda t: {"input": {"id": t["template"], "title": "Новая редакция"}}),
    "hearing": Case("query", "query($id: ID!) { hearing(id: $id) { id } }", S.DRAFT,
                    lambda t: {"id": t["hearing"]}),
    "hearings": Case("query", "{ hearings(first: 50) { edges { node { id } } } }", S.DRAFT,
                     lambda t: {}, lambda result, t: t["hearing"] in {
                         e["node"]["id"] for e in result["edges"]}),
    "createHearing": _input("createHearing", "CreateHearingInput", None, lambda t: {
        "title": "Слушания", "territoryCode": t["territory"], "kind": "PUBLIC_HEARING",
        "documentType": "planning_project", "organiserOgrn": t["organiser"]}),
    "updateHearing": _input("updateHearing", "UpdateHearingInput", S.DRAFT, lambda t: {
        "id": t["hearing"], "title": "Новое название"}),
    "announceHearing": _input("announceHearing", "AnnounceHearingInput", S.DRAFT, lambda t: {
        "id": t["hearing"], "noticeText": "Оповещение", "publishedWhere": "Вестник"}),
    "openHearingExposition": _step("openHearingExposition", S.NOTICE),
    "holdHearingMeeting": _step("holdHearingMeeting", S.EXPOSITION),
    "closeHearingProposals": _step("closeHearingProposals", S.EXPOSITION),
    "signHearingProtocol": _step("signHearingProtocol", S.PROTOCOL),
    "publishHearing": _input("publishHearing", "PublishHearingInput", S.CONCLUSION,
                             lambda t: {"id": t["hearing"], "where": "Вестник"}),
    "cancelHearing": _input("cancelHearing", "CancelHearingInput", S.NOTICE,
                            lambda t: {"id": t["hearing"], "reason": "Проект отозван"}),
    "subscribeToHearing": _step("subscribeToHearing", S.DRAFT),
    "unsubscribeFromHearing": _step("unsubscribeFromHearing", S.DRAFT),
}

STEPS_TO = {S.DRAFT: (), S.NOTICE: (), S.EXPOSITION: ("open_exposition",),
            S.PROTOCOL: ("open_exposition", "close_proposals"),
            S.CONCLUSION: ("open_exposition", "close_proposals", "sign_protocol")}


async def _hearing(services: HearingServices, territory: str, organiser: str,
                   status: HearingStatus) -> Hearing:
    hearing = await services.create(SYSTEM, HearingInput(
        title="Слушания", territory_code=territory, kind=HearingKind.PUBLIC_HEARING,
        document_type="planning_project", organiser_ogrn=organiser))
    if status is not S.DRAFT:
        hearing = await services.announce(SYSTEM, hearing.id, Announcement(
            notice_text="Оповещение", published_where="Вестник"))
    now = datetime.now(UTC)
    for step in STEPS_TO[status]:
        if step == "sign_protocol":  # signing freezes the protocol generated before
            await documents.generate_protocol(SYSTEM, hearing.id, now=now)
        hearing = await getattr(services, step)(SYSTEM, hearing.id)
    if status is S.PROTOCOL:
        await documents.generate_protocol(SYSTEM, hearing.id, now=now)
    if status is S.CONCLUSION:  # publishing freezes the conclusion
        await documents.generate_conclusion(SYSTEM, hearing.id, "Выводы.", now=now)
    return hearing


async def _template(target: str) -> ProcedureTemplate:
    if target == "country":
        await ensure_federal()
        return await ProcedureTemplate.get(code="master_plan_hearing", current=True)
    return await create_template(SYSTEM, TemplateInput(
        code="ppt_region", kind=HearingKind.PUBLIC_DISCUSSION,
        document_type="planning_project", title="ППТ региона",
        territory_code=REGION_A if target == "A" else REGION_B,
        stages=[StageRule(r["stage"].lower(), 1, 10, D) for r in RULES],
        total=Duration(5, 50)))


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_hearings_authorisation_matrix(operation: str, target: str, db: Any) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        in_a = target != "B"
        status = S.NOTICE if target == "A-open" else case.status
        services = vmeste_app.state.runtime.service(HearingServices)
        async with in_transaction():
            await seed_world()
            token = None if role == "anonymous" else await issue_dev_token(
                db, Role(role), subject=f"caller-{role}",
                organization_ogrn=CALLER_SCOPES[role].get("org"),
                territory_code=CALLER_SCOPES[role].get("territory"))
            targets = {"territory": MUNICIPALITY_A if in_a else MUNICIPALITY_B,
                       "region": {"A": REGION_A, "B": REGION_B}.get(target, COUNTRY),
                       "organiser": ORG_A if in_a else ORG_B, "hearing": "", "template": ""}
            hearing = None
            if status is not None:
                hearing = await _hearing(services, targets["territory"],
                                         targets["organiser"], status)
                targets["hearing"] = relay.to_base64("Hearing", hearing.id)
            if operation in ("procedureTemplate", "reviseProcedureTemplate"):
                template = await _template("country" if target == "-" else target)
                targets["template"] = relay.to_base64("ProcedureTemplate", template.id)
            caller = await User.get_or_none(issuer=DEV_ISSUER, subject=f"caller-{role}")
            if operation == "unsubscribeFromHearing" and hearing is not None and caller is not None:
                await HearingSubscription.create(hearing_id=hearing.id, user_id=caller.id)
        templates_before = await ProcedureTemplate.all().count()
        body = await graphql(case.document, case.variables(targets), token=token)
        if case.kind == "query":
            assert_query_outcome(body, operation, expected,
                                 lambda result: case.visible(result, targets))
            return
        assert "errors" not in body, body
        payload = result_of(body, operation)
        if expected in REFUSALS:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            if hearing is not None:
                assert (await Hearing.get(id=hearing.id)).status == status, "nothing changed"
            assert await ProcedureTemplate.all().count() == templates_before
            return
        assert expected == "ok" and payload["userErrors"] == [], payload
        assert any(v for k, v in payload.items() if k != "userErrors"), payload
        if operation == "subscribeToHearing":
            assert await HearingSubscription.filter(hearing_id=hearing.id).count() == 1
        if operation == "unsubscribeFromHearing":
            assert not await HearingSubscription.filter(hearing_id=hearing.id).exists()

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
