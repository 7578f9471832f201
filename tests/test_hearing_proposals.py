"""Proposals: anchored to a section of the current version (a quote must be in it), only
while proposals are taken, numbered without gaps or repeats under concurrency, their
author's class copied, moderated by the platform's chain and by moderators with reasons,
entered by staff from the meeting and letters, and given the organiser's reasoned
recommendation; the list, read by a compiled plan, agrees with the resolvers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from strawberry import relay

from tests.proposal_world import NOW, citizen, hearing, moved, published, sections_of
from tests.worlds import MUNICIPALITY_B, ORG_A, REGION_A, World
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.errors import DomainError
from vmeste.platform.hearings.drafts import VersionInput, add_version
from vmeste.platform.hearings.models import (
    HearingParticipant,
    HearingStatus,
    ParticipantClass,
    Proposal,
    ProposalChannel,
    ProposalStatus,
    Recommendation,
)
from vmeste.platform.hearings.proposals import (
    ProposalInput,
    StaffEntry,
    decide,
    record_entry,
    submit,
)
from vmeste.platform.hearings.recommendations import recommend
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.settings import Settings

TEXT = "Предлагаю сохранить сквер у школы и не менять зону на Ж-1."


def refusal(error: DomainError) -> list[tuple[str | None, str]]:
    return [(e.field, e.code.value) for e in error.errors]


def resolver_of(app: Any) -> Any:
    return app.state.runtime.resolver


async def test_a_proposal_is_anchored_to_a_section_of_the_current_version(
        world: World, db: Settings, vmeste_app: Any) -> None:
    row = await hearing()
    old = await published(row)
    current = await published(row)
    section = (await sections_of(current))[4]  # 2.1: «Жилая зона Ж-1: …»
    person = await citizen(db, "author", oktmo=MUNICIPALITY_B)
    resolver = resolver_of(vmeste_app)
    with pytest.raises(DomainError) as misquoted:  # a refused first proposal enrols nobody
        await submit(person, resolver, row.id, ProposalInput(TEXT, section.id, "нет такого"),
                     now=NOW)
    assert refusal(misquoted.value) == [("quote", "INVALID")]
    assert not await HearingParticipant.filter(hearing_id=row.id).exists()
    made = await submit(person, resolver, row.id, ProposalInput(
        TEXT, section.id, "индивидуальные  жилые дома\nвысотой"), now=NOW)
    assert (made.number, made.version_id, made.section_id, made.status) == (
        1, current.id, section.id, ProposalStatus.PUBLISHED)
    assert made.participant_class == ParticipantClass.OTHER and made.moderated_by == "moderation"
    participant = await HearingParticipant.get(id=made.participant_id)
    assert participant.user_id == person.user.id  # registered by the first proposal
    stale = (await sections_of(old))[4]
    for data, expected in (
            (ProposalInput(TEXT, stale.id), [("sectionId", "NOT_FOUND")]),
            (ProposalInput(TEXT, section.id, "многоэтажные дома"), [("quote", "INVALID")]),
            (ProposalInput(TEXT, None, "жилые дома"), [("quote", "INVALID")]),
            (ProposalInput("  "), [("text", "REQUIRED")])):
        with pytest.raises(DomainError) as refused:
            await submit(person, resolver, row.id, data, now=NOW)
        assert refusal(refused.value) == expected
    assert await Proposal.filter(hearing_id=row.id).count() == 1


@pytest.mark.parametrize("status", [HearingStatus.NOTICE, HearingStatus.PROTOCOL,
                                    HearingStatus.CONCLUSION, HearingStatus.PUBLISHED])
async def test_proposals_are_taken_only_during_the_exposition_and_the_meeting(
        world: World, db: Settings, vmeste_app: Any, status: HearingStatus) -> None:
    row = await hearing()
    await published(row)
    await moved(row, status)
    with pytest.raises(DomainError) as refused:
        await submit(await citizen(db, "late"), resolver_of(vmeste_app), row.id,
                     ProposalInput(TEXT), now=NOW)
    assert refusal(refused.value) == [(None, "ILLEGAL_TRANSITION")]
    with pytest.raises(DomainError) as staff:
        await record_entry(SYSTEM, resolver_of(vmeste_app), row.id, StaffEntry(
            ProposalChannel.WRITTEN, ProposalInput(TEXT), name="Иванов",
            participant_class=ParticipantClass.OTHER), now=NOW)
    assert refusal(staff.value) == [(None, "ILLEGAL_TRANSITION")]
    assert not await Proposal.exists()


async def test_no_proposal_before_the_draft_is_published(world: World, db: Settings,
                                                         vmeste_app: Any) -> None:
    row = await hearing(HearingStatus.NOTICE)
    await published(row)  # not published until the exposition opens
    await moved(row, HearingStatus.EXPOSITION)
    with pytest.raises(DomainError) as refused:
        await submit(await citizen(db, "early"), resolver_of(vmeste_app), row.id,
                     ProposalInput(TEXT), now=NOW)
    assert refusal(refused.value) == [(None, "INVALID")]


async def test_moderation_verdicts_and_moderators_decisions_keep_their_reasons(
        world: World, db: Settings, vmeste_app: Any) -> None:
    row = await hearing()
    await published(row)
    person = await citizen(db, "mod")
    resolver = resolver_of(vmeste_app)
    short = await submit(person, resolver, row.id, ProposalInput("Нет"), now=NOW)
    assert (short.status, short.moderation_code) == (ProposalStatus.REJECTED, "too_short")
    assert short.moderated_by and short.moderated_at == NOW
    assert "10" in short.moderation_reason
    rude = await submit(person, resolver, row.id, ProposalInput(
        "Эта застройка просто пиздец, уберите её"), now=NOW)
    assert (rude.status, rude.moderation_code, rude.moderated_at) == (
        ProposalStatus.PENDING, "obscene", None)
    with pytest.raises(DomainError) as no_reason:
        await decide(SYSTEM, rude.id, publish=False, reason=" ", now=NOW)
    assert refusal(no_reason.value) == [("reason", "REQUIRED")]
    rejected = await decide(SYSTEM, rude.id, publish=False, reason="Нецензурная брань", now=NOW)
    assert (rejected.status, rejected.moderation_reason, rejected.moderated_by) == (
        ProposalStatus.REJECTED, "Нецензурная брань", SYSTEM.actor)
    republished = await decide(SYSTEM, short.id, publish=True, reason="", now=NOW)
    assert republished.status == ProposalStatus.PUBLISHED
    assert await AuditEvent.filter(action="hearing.moderate_proposal").count() == 2
    assert [p.number for p in await Proposal.filter(hearing_id=row.id)] == [1, 2]


async def test_numbers_are_unique_and_gapless_under_concurrent_submissions(
        world: World, db: Settings, vmeste_app: Any) -> None:
    row = await hearing()
    await published(row)
    people = [await citizen(db, f"crowd-{i}") for i in range(12)]
    resolver = resolver_of(vmeste_app)
    made = await asyncio.gather(*(
        submit(person, resolver, row.id, ProposalInput(f"{TEXT} Вариант {i}."), now=NOW)
        for i, person in enumerate(people)))
    assert sorted(p.number for p in made) == list(range(1, 13))
    stored = await Proposal.filter(hearing_id=row.id).order_by("number").values_list(
        "number", "id")
    assert [n for n, _ in stored] == list(range(1, 13))
    assert [i for _, i in stored] == sorted(i for _, i in stored)  # numbered in id order


async def test_staff_record_meeting_and_written_proposals_with_the_class_copied(
        world: World, db: Settings, vmeste_app: Any) -> None:
    row = await hearing(HearingStatus.MEETING)
    version = await published(row)
    resolver = resolver_of(vmeste_app)
    section = (await sections_of(version))[0]
    letter = await record_entry(SYSTEM, resolver, row.id, StaffEntry(
        ProposalChannel.WRITTEN, ProposalInput(TEXT, section.id), name="ООО «Вятка»",
        participant_class=ParticipantClass.RIGHT_HOLDER), now=NOW)
    assert (letter.channel, letter.participant_class, letter.entered_by) == (
        ProposalChannel.WRITTEN, ParticipantClass.RIGHT_HOLDER, SYSTEM.actor)
    again = await record_entry(SYSTEM, resolver, row.id, StaffEntry(
        ProposalChannel.MEETING, ProposalInput(f"{TEXT} Ещё."),
        participant_id=letter.participant_id), now=NOW)
    assert (again.number, again.participant_id) == (2, letter.participant_id)
    with pytest.raises(DomainError) as both:
        await record_entry(SYSTEM, resolver, row.id, StaffEntry(
            ProposalChannel.MEETING, ProposalInput(TEXT), participant_id=letter.participant_id,
            name="X", participant_class=ParticipantClass.OTHER), now=NOW)
    assert refusal(both.value) == [("participantId", "INVALID")]


async def test_recommendations_with_reasons_while_the_protocol_and_conclusion_are_prepared(
        world: World, db: Settings, vmeste_app: Any) -> None:
    row = await hearing()
    await published(row)
    resolver = resolver_of(vmeste_app)
    person = await citizen(db, "rec")
    made = await submit(person, resolver, row.id, ProposalInput(TEXT), now=NOW)
    pending = await submit(person, resolver, row.id, ProposalInput("Нет"), now=NOW)
    with pytest.raises(DomainError) as early:
        await recommend(SYSTEM, made.id, Recommendation.DECLINE, "Рано", now=NOW)
    assert refusal(early.value) == [(None, "ILLEGAL_TRANSITION")]
    await moved(row, HearingStatus.PROTOCOL)
    with pytest.raises(DomainError) as no_reason:
        await recommend(SYSTEM, made.id, Recommendation.DECLINE, "  ", now=NOW)
    assert refusal(no_reason.value) == [("reason", "REQUIRED")]
    with pytest.raises(DomainError) as rejected:
        await recommend(SYSTEM, pending.id, Recommendation.DECLINE, "Почему", now=NOW)
    assert refusal(rejected.value) == [("id", "INVALID")]
    done = await recommend(SYSTEM, made.id, Recommendation.TAKE_INTO_ACCOUNT,
                           "Сквер сохраняется: зона ОД-1", now=NOW)
    await moved(row, HearingStatus.CONCLUSION)
    revised = await recommend(SYSTEM, made.id, Recommendation.DECLINE, "Противоречит "
                              "генеральному плану", now=NOW)
    assert (done.id, revised.recommendation) == (made.id, Recommendation.DECLINE)
    stored = await Proposal.get(id=made.id)
    assert (stored.recommendation, stored.recommendation_reason, stored.recommended_by) == (
        Recommendation.DECLINE, "Противоречит генеральному плану", SYSTEM.actor)
    assert await AuditEvent.filter(action="hearing.recommend").count() == 2
    await moved(row, HearingStatus.PUBLISHED)
    with pytest.raises(DomainError) as late:
        await recommend(SYSTEM, made.id, Recommendation.DECLINE, "Поздно", now=NOW)
    assert refusal(late.value) == [(None, "ILLEGAL_TRANSITION")]


LIST = """query($h: ID!, $s: HearingProposalStatus, $c: HearingParticipantClass) {
  hearingProposals(hearingId: $h, status: $s, participantClass: $c, first: 10) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id number text quote channel status participantClass
      recommendation recommendationReason moderationReason createdAt
      section { id number heading } } } } }"""
NAMES = """query($h: ID!) { hearingProposals(hearingId: $h) { edges { node { number
  participantName } } } }"""
SUBMIT = """mutation($input: SubmitHearingProposalInput!) { submitHearingProposal(input: $input) {
  proposal { number status participantClass section { number } } userErrors { field code } } }"""


async def test_the_list_is_a_compiled_read_that_agrees_with_the_resolvers(
        world: World, db: Settings, vmeste_app: Any, app_client: Any, make_token: Any,
        graphql: Any) -> None:
    from tests.vote_world import voter

    row = await hearing()
    version = await published(row)
    section = (await sections_of(version))[1]
    hearing_id = relay.to_base64("Hearing", row.id)
    token = await voter(db, "lister", oktmo=MUNICIPALITY_B)
    sent = (await graphql(SUBMIT, {"input": {"hearingId": hearing_id, "text": TEXT,
                                             "sectionId": section.id, "quote": "всей"}},
                          token=token))["data"]["submitHearingProposal"]
    assert sent == {"proposal": {"number": 1, "status": "PUBLISHED", "participantClass": "OTHER",
                                 "section": {"number": "1.1"}}, "userErrors": []}
    await graphql(SUBMIT, {"input": {"hearingId": hearing_id, "text": "Нет"}}, token=token)
    await add_version(SYSTEM, row.id, VersionInput("Ред. 2", "# Одна глава\nТекст"), now=NOW)
    admin = await make_token("regional_admin", territory=REGION_A)
    moderator = await make_token("moderator", territory=REGION_A)
    operator = await make_token("operator", org=ORG_A)
    callers = (None, token, admin, moderator, operator)
    variables = ({"h": hearing_id}, {"h": hearing_id, "s": "REJECTED"},
                 {"h": hearing_id, "c": "RESIDENT"})
    answers = {}
    for compiled in (True, False):
        async with app_client(compiled_reads=compiled) as (app, client):
            answers[compiled] = [await client(LIST, v, token=t) for t in callers
                                 for v in variables]
            stats = app.state.reads.stats
            assert (stats.compiled, stats.interpreted) == ((15, 0) if compiled else (0, 15))
    assert answers[True] == answers[False]
    public, public_rejected = answers[True][0], answers[True][1]
    edges = public["data"]["hearingProposals"]["edges"]
    assert [e["node"]["number"] for e in edges] == [1]
    assert edges[0]["node"]["section"] == {"id": section.id, "number": "1.1", "heading": ""}
    assert edges[0]["node"]["quote"] == "всей"
    assert public_rejected["data"]["hearingProposals"]["totalCount"] == 0
    assert answers[True][6]["data"]["hearingProposals"]["totalCount"] == 2  # the organiser
    assert answers[True][9]["data"]["hearingProposals"]["totalCount"] == 2  # the moderator
    assert answers[True][12]["data"]["hearingProposals"]["totalCount"] == 2  # the operator
    assert answers[True][3]["data"]["hearingProposals"]["totalCount"] == 1  # the author
    names = {who: [e["node"]["participantName"] for e in (await graphql(
        NAMES, {"h": hearing_id}, token=t))["data"]["hearingProposals"]["edges"]]
        for who, t in (("public", None), ("author", token), ("operator", operator))}
    assert names == {"public": [None], "author": [None], "operator": ["Тестов Citizen Демович"] * 2}


async def test_moderation_ends_with_the_signed_protocol_and_entries_get_recommendations(
        world: World, db: Settings, vmeste_app: Any) -> None:
    """A decision may change while the protocol is prepared, never after it is signed;
    a letter that moderation left pending is in the protocol, and so gets its
    recommendation."""
    row = await hearing(HearingStatus.MEETING)
    await published(row)
    resolver = resolver_of(vmeste_app)
    letter = await record_entry(SYSTEM, resolver, row.id, StaffEntry(
        ProposalChannel.WRITTEN, ProposalInput(TEXT), name="Петров П. П.",
        participant_class=ParticipantClass.OTHER), now=NOW)
    await Proposal.filter(id=letter.id).update(status=ProposalStatus.PENDING)
    await moved(row, HearingStatus.PROTOCOL)
    kept = await recommend(SYSTEM, letter.id, Recommendation.TAKE_INTO_ACCOUNT, "Учтено",
                           now=NOW)
    assert kept.recommendation is Recommendation.TAKE_INTO_ACCOUNT
    assert (await decide(SYSTEM, letter.id, publish=True, reason="", now=NOW)).status is (
        ProposalStatus.PUBLISHED)
    await moved(row, HearingStatus.CONCLUSION)
    with pytest.raises(DomainError) as signed:
        await decide(SYSTEM, letter.id, publish=False, reason="Поздно", now=NOW)
    assert refusal(signed.value) == [(None, "ILLEGAL_TRANSITION")]
    assert (await Proposal.get(id=letter.id)).status is ProposalStatus.PUBLISHED
