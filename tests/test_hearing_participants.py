"""Participants: classified once from the verified profile and the declaration (resident,
right-holder, other), registered once per hearing, refused without a verified account;
staff enter the meeting's and letters' participants."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry import relay

from tests.proposal_world import citizen, hearing
from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, ORG_A, REGION_A, World
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.errors import DomainError
from vmeste.platform.hearings.models import (
    HearingParticipant,
    HearingStatus,
    ParticipantClass,
    ProposalChannel,
)
from vmeste.platform.hearings.participants import enter_participant, register
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.settings import Settings

CADASTRAL = "43:40:000123:45"


def refusal(error: DomainError) -> list[tuple[str | None, str]]:
    return [(e.field, e.code.value) for e in error.errors]


async def test_residents_right_holders_and_others(world: World, db: Settings) -> None:
    row = await hearing(territory=MUNICIPALITY_A)
    resident = await register(await citizen(db, "resident", oktmo=MUNICIPALITY_A), row.id)
    holder = await register(await citizen(db, "holder", oktmo=MUNICIPALITY_B), row.id,
                            cadastral_number=CADASTRAL,
                            right_document="Выписка из ЕГРН № 43-01/2025")
    other = await register(await citizen(db, "other", oktmo=MUNICIPALITY_B), row.id)
    # A resident who also holds land nearby stays a resident, the declaration kept.
    both = await register(await citizen(db, "both", oktmo=MUNICIPALITY_A), row.id,
                          cadastral_number="43:40:0001234:7", right_document="Договор № 1")
    assert [(p.participant_class, p.channel) for p in (resident, holder, other, both)] == [
        (ParticipantClass.RESIDENT, ProposalChannel.ONLINE),
        (ParticipantClass.RIGHT_HOLDER, ProposalChannel.ONLINE),
        (ParticipantClass.OTHER, ProposalChannel.ONLINE),
        (ParticipantClass.RESIDENT, ProposalChannel.ONLINE)]
    assert (holder.cadastral_number, holder.right_document) == (
        CADASTRAL, "Выписка из ЕГРН № 43-01/2025")
    assert resident.territory_path.endswith(MUNICIPALITY_A)
    assert await AuditEvent.filter(action="hearing.register").count() == 4


async def test_a_region_wide_hearing_counts_its_municipalities_residents(
        world: World, db: Settings) -> None:
    row = await hearing(territory=REGION_A)
    found = await register(await citizen(db, "kirov", oktmo=MUNICIPALITY_A), row.id)
    assert found.participant_class == ParticipantClass.RESIDENT


async def test_registering_twice_gives_the_same_participant(world: World, db: Settings
                                                            ) -> None:
    row = await hearing()
    person = await citizen(db, "twice", oktmo=MUNICIPALITY_B)
    first = await register(person, row.id)
    again = await register(person, row.id, cadastral_number=CADASTRAL, right_document="Док")
    assert again.id == first.id and again.participant_class == ParticipantClass.OTHER
    assert await HearingParticipant.filter(hearing_id=row.id).count() == 1


@pytest.mark.parametrize(("number", "document", "expected"), [
    ("43-40-000123-45", "Док", [("cadastralNumber", "INVALID")]),
    ("43:40:123:45", "Док", [("cadastralNumber", "INVALID")]),
    (CADASTRAL, "", [("rightDocument", "REQUIRED")]),
])
async def test_a_declaration_must_have_a_cadastral_number_of_form_and_a_document(
        world: World, db: Settings, number: str, document: str,
        expected: list[tuple[str, str]]) -> None:
    row = await hearing()
    with pytest.raises(DomainError) as refused:
        await register(await citizen(db, "declarer", oktmo=MUNICIPALITY_B), row.id,
                       cadastral_number=number, right_document=document)
    assert refusal(refused.value) == expected
    assert not await HearingParticipant.exists()


async def test_unverified_accounts_and_closed_stages_are_refused(world: World, db: Settings
                                                                 ) -> None:
    row = await hearing()
    with pytest.raises(DomainError) as unverified:
        await register(await citizen(db, "unverified", verified=False), row.id)
    assert refusal(unverified.value) == [(None, "NOT_ELIGIBLE")]
    done = await hearing(HearingStatus.PROTOCOL)
    with pytest.raises(DomainError) as late:
        await register(await citizen(db, "late"), done.id)
    assert refusal(late.value) == [(None, "ILLEGAL_TRANSITION")]
    draft = await hearing(HearingStatus.DRAFT)
    with pytest.raises(DomainError) as hidden:
        await register(await citizen(db, "early"), draft.id)
    assert refusal(hidden.value) == [("hearingId", "NOT_FOUND")]
    assert not await HearingParticipant.exists()


async def test_staff_enter_meeting_and_written_participants(world: World) -> None:
    row = await hearing(HearingStatus.MEETING)
    entered = await enter_participant(SYSTEM, row.id, "ООО «Вятка»",
                                      ParticipantClass.RIGHT_HOLDER, ProposalChannel.WRITTEN)
    assert (entered.user_id, entered.channel, entered.entered_by) == (
        None, ProposalChannel.WRITTEN, SYSTEM.actor)
    with pytest.raises(DomainError) as online:
        await enter_participant(SYSTEM, row.id, "Иванов", ParticipantClass.OTHER,
                                ProposalChannel.ONLINE)
    assert refusal(online.value) == [("channel", "INVALID")]


REGISTER = """mutation($input: RegisterForHearingInput!) { registerForHearing(input: $input) {
  participant { id participantClass channel cadastralNumber } userErrors { field code } } }"""
MINE = """query($h: ID!) { myHearingParticipation(hearingId: $h) { id participantClass } }"""
ENTER = """mutation($input: EnterHearingParticipantInput!) { enterHearingParticipant(
  input: $input) { participant { displayName participantClass channel }
  userErrors { field code } } }"""


async def test_registration_over_graphql(world: World, db: Settings, graphql: Any,
                                         make_token: Any) -> None:
    from tests.vote_world import voter

    row = await hearing()
    hearing_id = relay.to_base64("Hearing", row.id)
    token = await voter(db, "gql", oktmo=MUNICIPALITY_B)
    assert (await graphql(MINE, {"h": hearing_id}, token=token))["data"][
        "myHearingParticipation"] is None
    done = (await graphql(REGISTER, {"input": {
        "hearingId": hearing_id, "cadastralNumber": CADASTRAL, "rightDocument": "Выписка"}},
        token=token))["data"]["registerForHearing"]
    assert done["userErrors"] == [] and done["participant"]["participantClass"] == "RIGHT_HOLDER"
    mine = (await graphql(MINE, {"h": hearing_id}, token=token))["data"]
    assert mine["myHearingParticipation"] == {"id": done["participant"]["id"],
                                              "participantClass": "RIGHT_HOLDER"}
    operator = await make_token("operator", org=ORG_A)
    entered = (await graphql(ENTER, {"input": {
        "hearingId": hearing_id, "displayName": "Петров П. П.", "participantClass": "RESIDENT",
        "channel": "MEETING"}}, token=operator))["data"]["enterHearingParticipant"]
    assert entered == {"participant": {"displayName": "Петров П. П.",
                                       "participantClass": "RESIDENT", "channel": "MEETING"},
                       "userErrors": []}
    refused = (await graphql(ENTER, {"input": {
        "hearingId": hearing_id, "displayName": "X", "participantClass": "OTHER",
        "channel": "WRITTEN"}}, token=token))["data"]["enterHearingParticipant"]
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
