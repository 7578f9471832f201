"""The rules a hearing's documents keep: no protocol while proposals await moderation, no
conclusion while a proposal of the protocol has no recommendation (typed userErrors with
the count, and one line from the CLI), no version frozen once the data changed since it
was generated, no moderation once the protocol is frozen nor a recommendation once the
conclusion is; and the two copies of a document: the public one names nobody, the
hearing's readers get the full one, with the participants' annex (152-FZ)."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.document_world import DocumentWorld, recommend_the_rest, seed_hearing
from tests.test_cli import vmeste_on
from tests.test_hearing_documents import (
    CONCLUSIONS,
    LATER,
    NAMES,
    NOW,
    at_conclusion,
    codes,
    protocol_of,
)
from tests.worlds import ORG_A, ok_data
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.hearings import documents, publication
from vmeste.platform.hearings.frozen import public_copy
from vmeste.platform.hearings.hearings import publish, sign_protocol
from vmeste.platform.hearings.models import (
    DocumentKind,
    Hearing,
    HearingDocument,
    HearingStatus,
    Proposal,
    ProposalStatus,
    Recommendation,
)
from vmeste.platform.hearings.proposals import decide
from vmeste.platform.hearings.recommendations import recommend
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import SYSTEM

REGION_A = "33000000"


def counts(error: pytest.ExceptionInfo[DomainError]) -> list[int | None]:
    return [e.count for e in error.value.errors]


async def at_conclusion_stage(world: DocumentWorld) -> None:
    """The protocol generated and published, the hearing moved on, no recommendation
    recorded beyond the seeded ones (proposal 3 has none)."""
    protocol = await protocol_of(world)
    await publication.publish_document(SYSTEM, protocol.id, "сайт", now=NOW)
    await Hearing.filter(id=world.hearing.id).update(status=HearingStatus.CONCLUSION)


async def test_no_protocol_while_proposals_await_moderation(world: Any) -> None:
    hearing = await seed_hearing(pending=True)  # the letter (2) and an online text (6)
    with pytest.raises(DomainError) as pending:
        await protocol_of(hearing)
    assert codes(pending) == [ErrorCode.PROPOSALS_PENDING] and counts(pending) == [2]
    assert not await HearingDocument.filter(hearing_id=hearing.hearing.id).exists()
    await decide(SYSTEM, hearing.proposals[1].id, publish=True, reason="", now=NOW)
    with pytest.raises(DomainError) as one:
        await protocol_of(hearing)
    assert counts(one) == [1]
    await decide(SYSTEM, hearing.proposals[5].id, publish=False, reason="Не по теме", now=NOW)
    assert (await protocol_of(hearing)).version == 1


async def test_signing_refuses_a_stale_or_unsettled_protocol_and_ends_moderation(
        world: Any) -> None:
    hearing = await seed_hearing()
    await protocol_of(hearing)
    # A moderator rejects proposal 4 after version 1 was generated: it still lists it.
    await decide(SYSTEM, hearing.proposals[3].id, publish=False, reason="Оскорбление",
                 now=NOW)
    with pytest.raises(DomainError) as stale:
        await sign_protocol(await Hearing.get(id=hearing.hearing.id), "organiser", NOW)
    assert codes(stale) == [ErrorCode.CONFLICT]
    row = await Hearing.get(id=hearing.hearing.id)
    assert row.status is HearingStatus.PROTOCOL
    assert not await HearingDocument.filter(published_at__isnull=False).exists()

    second = await protocol_of(hearing, LATER)
    # A proposal back in moderation (a repaired row, say) blocks the signing as well.
    await Proposal.filter(id=hearing.proposals[2].id).update(status=ProposalStatus.PENDING)
    with pytest.raises(DomainError) as pending:
        await sign_protocol(row, "organiser", NOW)
    assert codes(pending) == [ErrorCode.PROPOSALS_PENDING] and counts(pending) == [1]
    await Proposal.filter(id=hearing.proposals[2].id).update(status=ProposalStatus.PUBLISHED)

    signed = await sign_protocol(await Hearing.get(id=hearing.hearing.id), "organiser", NOW)
    assert signed.status is HearingStatus.CONCLUSION
    assert (await HearingDocument.get(id=second.id)).published_at == NOW
    with pytest.raises(DomainError) as over:
        await decide(SYSTEM, hearing.proposals[0].id, publish=False, reason="Поздно", now=NOW)
    assert codes(over) == [ErrorCode.ILLEGAL_TRANSITION]
    assert (await Proposal.get(id=hearing.proposals[0].id)).status is ProposalStatus.PUBLISHED


async def test_moderation_ends_once_the_protocol_is_published_at_its_stage(world: Any) -> None:
    hearing = await seed_hearing()
    protocol = await protocol_of(hearing)
    await publication.publish_document(SYSTEM, protocol.id, "сайт", now=NOW)
    with pytest.raises(DomainError) as over:
        await decide(SYSTEM, hearing.proposals[0].id, publish=False, reason="Поздно", now=NOW)
    assert codes(over) == [ErrorCode.ILLEGAL_TRANSITION]
    assert (await Proposal.get(id=hearing.proposals[0].id)).status is ProposalStatus.PUBLISHED


async def test_a_version_generated_meanwhile_is_not_published_in_place_of_the_chosen_one(
        world: Any) -> None:
    hearing = await seed_hearing()
    chosen = await protocol_of(hearing)
    async with in_transaction() as conn:  # as if v2 had landed between the check and lock
        newer = await HearingDocument.create(
            hearing_id=chosen.hearing_id, kind=chosen.kind, version=chosen.version + 1,
            dated=chosen.dated, html=chosen.html, sha256=chosen.sha256,
            created_by="another organiser", using_db=conn)
        with pytest.raises(DomainError) as refused:
            await publication.freeze_in(conn, await Hearing.get(id=chosen.hearing_id),
                                        chosen.kind, "system", NOW, "сайт",
                                        expected=chosen.id)
    assert codes(refused) == [ErrorCode.CONFLICT]
    assert (await HearingDocument.get(id=newer.id)).published_at is None
    assert (await HearingDocument.get(id=chosen.id)).published_at is None


async def test_no_conclusion_while_a_proposal_has_no_recommendation(world: Any) -> None:
    hearing = await seed_hearing()
    await at_conclusion_stage(hearing)  # the protocol lists 3, with no recommendation
    with pytest.raises(DomainError) as missing:
        await documents.generate_conclusion(SYSTEM, hearing.hearing.id, CONCLUSIONS, now=NOW)
    assert codes(missing) == [ErrorCode.RECOMMENDATIONS_MISSING] and counts(missing) == [1]
    assert not await HearingDocument.filter(kind=DocumentKind.CONCLUSION).exists()

    await recommend_the_rest(hearing)
    first = await documents.generate_conclusion(SYSTEM, hearing.hearing.id, CONCLUSIONS,
                                                now=NOW)
    # Revised after version 1 was generated: publishing it would state the old one.
    await recommend(SYSTEM, hearing.proposals[0].id, Recommendation.DECLINE, "Пересмотрено",
                    now=NOW)
    with pytest.raises(DomainError) as stale:
        await publish(await Hearing.get(id=hearing.hearing.id), "organiser", LATER, "газета")
    assert codes(stale) == [ErrorCode.CONFLICT]
    assert (await Hearing.get(id=hearing.hearing.id)).status is HearingStatus.CONCLUSION
    assert (await HearingDocument.get(id=first.id)).published_at is None

    second = await documents.generate_conclusion(SYSTEM, hearing.hearing.id, CONCLUSIONS,
                                                 now=LATER)
    assert "Пересмотрено" in second.html
    await publication.publish_document(SYSTEM, second.id, "газета", now=LATER)
    with pytest.raises(DomainError) as final:
        await recommend(SYSTEM, hearing.proposals[0].id, Recommendation.TAKE_INTO_ACCOUNT,
                        "Ещё раз", now=LATER)
    assert codes(final) == [ErrorCode.ILLEGAL_TRANSITION]


async def test_graphql_refusals_carry_the_code_and_the_count(world: Any, graphql: Any,
                                                            make_token: Any) -> None:
    token = await make_token("regional_admin", territory=REGION_A)
    pending = await seed_hearing(pending=True)
    unrecommended = await seed_hearing()
    await at_conclusion_stage(unrecommended)
    errors = "document { id } userErrors { code field count message }"
    protocol = ok_data(await graphql(
        f"mutation($h: ID!) {{ generateHearingProtocol(input: {{hearingId: $h}}) "
        f"{{ {errors} }} }}", {"h": relay.to_base64("Hearing", pending.hearing.id)},
        token=token))["generateHearingProtocol"]
    assert protocol["document"] is None
    assert protocol["userErrors"] == [{
        "code": "PROPOSALS_PENDING", "field": None, "count": 2,
        "message": _("Proposals awaiting moderation: {count}. Moderate each of them before "
                     "the protocol", count=2)}]
    conclusion = ok_data(await graphql(
        f"mutation($h: ID!) {{ generateHearingConclusion(input: {{hearingId: $h, "
        f"conclusions: \"Итоги\"}}) {{ {errors} }} }}",
        {"h": relay.to_base64("Hearing", unrecommended.hearing.id)},
        token=token))["generateHearingConclusion"]
    assert [(e["code"], e["count"]) for e in conclusion["userErrors"]] == [
        ("RECOMMENDATIONS_MISSING", 1)]


async def test_the_cli_says_in_one_line_why_there_is_no_document(world: Any, db: Any) -> None:
    pending = await seed_hearing(pending=True)
    unrecommended = await seed_hearing()
    await at_conclusion_stage(unrecommended)
    for hearing, kind, code in ((pending, "protocol", "PROPOSALS_PENDING"),
                                (unrecommended, "conclusion", "RECOMMENDATIONS_MISSING")):
        number = str(hearing.hearing.id)
        refused = await asyncio.to_thread(vmeste_on, db, "hearings", kind, number,
                                          "--format", "html")
        assert refused.returncode == 1 and refused.stdout == ""
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in refused.stderr, refused.stderr
        assert lines[0].startswith(f"vmeste: hearing {number} has no {kind}: {code}: ")


async def test_the_public_copy_names_nobody_and_readers_get_the_annex(
        world: Any, client: Any, graphql: Any, make_token: Any) -> None:
    hearing = await seed_hearing()
    protocol = await protocol_of(hearing)
    await publication.publish_document(SYSTEM, protocol.id, "сайт", now=NOW)
    public = public_copy(protocol.html)
    tokens = {"anonymous": None,
              "citizen": await make_token("citizen", sub="reader-citizen"),
              "moderator": await make_token("moderator", territory=REGION_A),
              "org_admin": await make_token("org_admin", org=ORG_A),
              "auditor": await make_token("auditor", territory=REGION_A)}
    full_readers = {"org_admin", "auditor"}
    for role, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        served = await client.get(f"/hearings/{hearing.hearing.id}/protocol.html",
                                  headers=headers)
        assert served.status_code == 200, role
        full = role in full_readers
        assert served.text == (protocol.html if full else public), role
        assert served.headers["cache-control"].startswith("private" if full else "public")
        assert "Authorization" in served.headers["vary"]
        listed = ok_data(await graphql(
            "query($h: ID!) { hearingDocuments(hearingId: $h) { sha256 fullCopy } }",
            {"h": relay.to_base64("Hearing", hearing.hearing.id)}, token=token)
        )["hearingDocuments"]
        assert listed == [{"fullCopy": full, "sha256": hashlib.sha256(
            served.text.encode()).hexdigest()}], role
    assert 'id="annex"' in protocol.html and all(name in protocol.html for name in NAMES)
    assert 'id="annex"' not in public and "frozen-data" not in public
    assert all(name not in public for name in NAMES)
    assert _("Participant {number}", number=1) in public
    published = await AuditEvent.get(action="hearing_document.publish",
                                     object_id=str(protocol.id))
    assert published.after["public_sha256"] == hashlib.sha256(public.encode()).hexdigest()
    assert published.after["sha256"] == protocol.sha256

    conclusion = await at_conclusion(await seed_hearing(region="B"))
    assert all(name not in conclusion.html for name in NAMES)
    assert "frozen-data" in conclusion.html
    assert "frozen-data" not in public_copy(conclusion.html)
