"""Every role × every operation on drafts, participants and proposals of hearings, as one
table (counted by the authorisation meta-test in ``test_authz_matrix.py``).

The target hearing lies in region A's municipality, organised by region A's ministry
(territory roles are held on region A, organisation roles in that ministry), or in
region B's, organised by region B's department. It is seeded straight into the status
the operation needs (``-published``: the exposition, with a published version and
proposal everyone reads), with a version of the draft and a proposal pending moderation
(published for a recommendation). Every caller is a verified person registered in
region A's municipality, and already registered for the hearing.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.proposal_world import hearing, moved, published
from tests.test_authz_matrix import (
    CALLER_SCOPES,
    REFUSALS,
    assert_query_outcome,
    parse_table,
    result_of,
)
from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, ORG_A, ORG_B, seed_world, user_error_codes
from vmeste.platform.hearings.models import (
    DraftSection,
    DraftVersion,
    HearingAttachment,
    HearingParticipant,
    HearingStatus,
    ParticipantClass,
    Proposal,
    ProposalChannel,
    ProposalStatus,
)
from vmeste.platform.identity.dev_tokens import DevProfile, issue_dev_token
from vmeste.platform.identity.models import Role, User
from vmeste.testing import GraphQLClient

TABLE = """
hearingDraft             A           empty  empty  ok     empty  ok     empty  ok     ok     ok
hearingDraft             B           empty  empty  empty  empty  empty  empty  empty  ok     empty
hearingDraft             A-published ok     ok     ok     ok     ok     ok     ok     ok     ok
hearingProposals         A           empty  empty  ok     empty  ok     ok     ok     ok     ok
hearingProposals         B           empty  empty  empty  empty  empty  empty  empty  ok     empty
hearingProposals         A-published ok     ok     ok     ok     ok     ok     ok     ok     ok
myHearingParticipation   A           unauth ok     ok     ok     ok     ok     ok     ok     ok
myHearingParticipation   B           unauth ok     ok     ok     ok     ok     ok     ok     ok
addHearingDraftVersion   A           unauth forbid forbid forbid ok     forbid ok     ok     forbid
addHearingDraftVersion   B           unauth forbid forbid forbid forbid forbid forbid ok     forbid
addHearingAttachment     A           unauth forbid forbid forbid ok     forbid ok     ok     forbid
addHearingAttachment     B           unauth forbid forbid forbid forbid forbid forbid ok     forbid
registerForHearing       A           unauth ok     ok     ok     ok     ok     ok     ok     ok
registerForHearing       B           unauth ok     ok     ok     ok     ok     ok     ok     ok
enterHearingParticipant  A           unauth forbid ok     forbid ok     forbid ok     ok     forbid
enterHearingParticipant  B           unauth forbid forbid forbid forbid forbid forbid ok     forbid
submitHearingProposal    A           unauth ok     ok     ok     ok     ok     ok     ok     ok
submitHearingProposal    B           unauth ok     ok     ok     ok     ok     ok     ok     ok
moderateHearingProposal  A           unauth forbid forbid forbid forbid ok     ok     ok     forbid
moderateHearingProposal  B           unauth forbid forbid forbid forbid forbid forbid ok     forbid
recordHearingProposal    A           unauth forbid ok     forbid ok     forbid ok     ok     forbid
recordHearingProposal    B           unauth forbid forbid forbid forbid forbid forbid ok     forbid
recommendHearingProposal A           unauth forbid forbid forbid ok     forbid ok     ok     forbid
recommendHearingProposal B           unauth forbid forbid forbid forbid forbid forbid ok     forbid
"""

EXPECTED = parse_table(TABLE)
S = HearingStatus
PDF = base64.b64encode(b"%PDF-1.7\n").decode()


@dataclass(frozen=True)
class Case:
    kind: str
    document: str
    status: HearingStatus
    #: Variables from the hearing's global id, the proposal's global id and a section id.
    variables: Any
    #: Whether a query's answer shows the target.
    visible: Any = lambda result, proposal: result is not None
    #: The table whose rows a refused mutation must leave as they were.
    model: Any = Proposal


def _mutation(name: str, input_type: str, selection: str) -> str:
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} "
            "userErrors { code } } }")


CASES: dict[str, Case] = {
    "hearingDraft": Case("query", "query($h: ID!) { hearingDraft(hearingId: $h) { number } }",
                         S.DRAFT, lambda h, p, s: {"h": h}),
    "hearingProposals": Case(
        "query", "query($h: ID!) { hearingProposals(hearingId: $h) { edges { node { id } } } }",
        S.EXPOSITION, lambda h, p, s: {"h": h},
        lambda result, proposal: proposal in {e["node"]["id"] for e in result["edges"]}),
    "myHearingParticipation": Case(
        "query", "query($h: ID!) { myHearingParticipation(hearingId: $h) { id } }",
        S.EXPOSITION, lambda h, p, s: {"h": h}),
    "addHearingDraftVersion": Case(
        "mutation", _mutation("addHearingDraftVersion", "AddHearingDraftVersionInput",
                              "version { number }"), S.EXPOSITION,
        lambda h, p, s: {"input": {"hearingId": h, "title": "Ред. 2", "markdown": "# Глава"}},
        model=DraftVersion),
    "addHearingAttachment": Case(
        "mutation", _mutation("addHearingAttachment", "AddHearingAttachmentInput",
                              "attachment { id }"), S.EXPOSITION,
        lambda h, p, s: {"input": {"hearingId": h, "name": "карта.pdf",
                                   "contentType": "application/pdf", "contentBase64": PDF}},
        model=HearingAttachment),
    "registerForHearing": Case(
        "mutation", _mutation("registerForHearing", "RegisterForHearingInput",
                              "participant { id }"), S.EXPOSITION,
        lambda h, p, s: {"input": {"hearingId": h}}, model=HearingParticipant),
    "enterHearingParticipant": Case(
        "mutation", _mutation("enterHearingParticipant", "EnterHearingParticipantInput",
                              "participant { id }"), S.EXPOSITION,
        lambda h, p, s: {"input": {"hearingId": h, "displayName": "Петров П. П.",
                                   "participantClass": "RESIDENT", "channel": "MEETING"}},
        model=HearingParticipant),
    "submitHearingProposal": Case(
        "mutation", _mutation("submitHearingProposal", "SubmitHearingProposalInput",
                              "proposal { id }"), S.EXPOSITION,
        lambda h, p, s: {"input": {"hearingId": h, "sectionId": s,
                                   "text": "Предлагаю сохранить сквер у школы."}}),
    "moderateHearingProposal": Case(
        "mutation", _mutation("moderateHearingProposal", "ModerateHearingProposalInput",
                              "proposal { id status }"), S.EXPOSITION,
        lambda h, p, s: {"input": {"id": p, "decision": "REJECT", "reason": "Не по теме"}}),
    "recordHearingProposal": Case(
        "mutation", _mutation("recordHearingProposal", "RecordHearingProposalInput",
                              "proposal { id }"), S.EXPOSITION,
        lambda h, p, s: {"input": {"hearingId": h, "channel": "WRITTEN",
                                   "text": "Письмо: сохранить сквер у школы.",
                                   "participant": {"displayName": "Сидоров С. С.",
                                                   "participantClass": "OTHER"}}}),
    "recommendHearingProposal": Case(
        "mutation", _mutation("recommendHearingProposal", "RecommendHearingProposalInput",
                              "proposal { id recommendation }"), S.PROTOCOL,
        lambda h, p, s: {"input": {"id": p, "recommendation": "DECLINE",
                                   "reason": "Противоречит генеральному плану"}}),
}


async def _seed(target: str, status: HearingStatus, caller: User | None) -> tuple[Any, Any]:
    """The target hearing with a version, a proposal and the caller's registration."""
    in_a = target.startswith("A")
    row = await hearing(S.EXPOSITION if status is S.PROTOCOL or target == "A-published"
                        else status, territory=MUNICIPALITY_A if in_a else MUNICIPALITY_B,
                        organiser=ORG_A if in_a else ORG_B)
    version = await published(row)
    author = await HearingParticipant.create(
        hearing_id=row.id, display_name="Автор", participant_class=ParticipantClass.OTHER,
        channel=ProposalChannel.WRITTEN)
    ready = status is S.PROTOCOL or target == "A-published"
    proposal = await Proposal.create(
        hearing_id=row.id, number=1, participant_id=author.id,
        participant_class=ParticipantClass.OTHER, version_id=version.id, text="Предложение",
        channel=ProposalChannel.WRITTEN,
        status=ProposalStatus.PUBLISHED if ready else ProposalStatus.PENDING)
    if caller is not None:
        await HearingParticipant.create(
            hearing_id=row.id, user_id=caller.id, display_name="Я",
            participant_class=ParticipantClass.RESIDENT)
    if status is S.PROTOCOL:
        await moved(row, S.PROTOCOL)
    return row, proposal


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_proposals_authorisation_matrix(operation: str, target: str, db: Any) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        status = S.EXPOSITION if target == "A-published" else case.status
        async with in_transaction():
            await seed_world()
            token = None if role == "anonymous" else await issue_dev_token(
                db, Role(role), subject=f"caller-{role}",
                organization_ogrn=CALLER_SCOPES[role].get("org"),
                territory_code=CALLER_SCOPES[role].get("territory"),
                profile=DevProfile(address_oktmo=MUNICIPALITY_A))
            caller = await User.get_or_none(subject=f"caller-{role}")
            row, proposal = await _seed(target, status, caller)
            # A registration to make is not there yet.
            if operation == "registerForHearing" and caller is not None:
                await HearingParticipant.filter(user_id=caller.id).delete()
            section = await version_section(row.id)
        proposal_id = relay.to_base64("HearingProposal", proposal.id)
        variables = case.variables(relay.to_base64("Hearing", row.id), proposal_id, section)
        rows_before = await case.model.all().count()
        body = await graphql(case.document, variables, token=token)
        if case.kind == "query":
            assert_query_outcome(body, operation, expected,
                                 lambda result: case.visible(result, proposal_id))
            return
        assert "errors" not in body, body
        payload = result_of(body, operation)
        if expected in REFUSALS:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            assert await case.model.all().count() == rows_before, "nothing added"
            stored = await Proposal.get(id=proposal.id)
            assert (stored.status, stored.recommendation) == (proposal.status, None)
            return
        assert expected == "ok" and payload["userErrors"] == [], payload
        assert any(v for k, v in payload.items() if k != "userErrors"), payload

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)


async def version_section(hearing_id: int) -> int:
    found = await DraftSection.filter(version__hearing_id=hearing_id).order_by("id").first()
    assert found is not None
    return found.id
