"""The protocol and the conclusion of a hearing: every element art. 5.1 parts 18 and 22
list, proposals split by the participant's class, the recommendations, versions,
publication that freezes them with the hash in the audit trail, a participant's
extract, the download URLs, the PDF's first page looked at as PNG (saved under
``tests/artifacts/``), and ``vmeste hearings protocol|conclusion``."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.document_world import (
    DEFAULT_RECOMMENDATION,
    DRAFT_TITLE,
    LEGAL_BASIS,
    MEETING_PLACE,
    NOTICE,
    NOTICE_WHERE,
    PROPOSALS,
    DocumentWorld,
    recommend_the_rest,
    seed_hearing,
)
from tests.test_cli import vmeste_on
from tests.worlds import ORG_A, count_queries, error_code, ok_data
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.hearings import documents, publication
from vmeste.platform.hearings.documents import DocumentFrozen
from vmeste.platform.hearings.frozen import public_copy
from vmeste.platform.hearings.models import (
    DocumentKind,
    Hearing,
    HearingDocument,
    HearingKind,
    HearingParticipant,
    HearingStatus,
    Proposal,
    ProposalChannel,
    ProposalStatus,
)
from vmeste.platform.hearings.protocol import gather_protocol
from vmeste.platform.i18n import _, use_locale
from vmeste.platform.identity.principal import SYSTEM

ARTIFACTS = Path(__file__).parent / "artifacts"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
DATED = "2 ноября 2026\u202fг."
CONCLUSIONS = "Публичные слушания считать состоявшимися; проект рекомендовать к утверждению."
#: Numbers of the seeded proposals the documents hold: 1 and 4 from a resident; 2 from a
#: right-holder and 3 from another participant; 5 and 6 rejected by moderation.
RESIDENTS, OTHERS = [1, 4], [2, 3]
#: The seeded participants in registration order: their numbers in the annex.
NAMES = ("Иванова Мария Петровна", "ООО «Вятка-Строй»", "Петров Андрей Сергеевич",
         "Сидоров Олег")


def field(html: str, name: str) -> str:
    found = re.search(rf'<dd id="{name}">(.*?)</dd>', html, re.S)
    assert found, name
    return found.group(1).strip()


def section(html: str, name: str) -> str:
    found = re.search(rf'<section id="{name}">(.*?)</section>', html, re.S)
    assert found, name
    return found.group(1)


def numbers(html: str, name: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-number="(\d+)"', section(html, name))]


def row(html: str, number: int) -> str:
    found = re.search(rf'<tr class="proposal" data-number="{number}">(.*?)</tr>', html, re.S)
    assert found, number
    return found.group(1)


def annex(html: str) -> dict[int, str]:
    """The annex's rows by participant number (the full copy's private part)."""
    return {int(n): body for n, body in re.findall(
        r'<tr class="participant" data-number="(\d+)">(.*?)</tr>', html, re.S)}


def poppler(tool: str, pdf: bytes, *options: str) -> bytes:
    """A poppler-utils command on a PDF read from standard input."""
    return subprocess.run([tool, *options, "-"], input=pdf, capture_output=True,
                          check=True, timeout=60).stdout


def text_of(number: int) -> str:
    return PROPOSALS[number - 1][4]


async def protocol_of(world: DocumentWorld, now: datetime = NOW) -> HearingDocument:
    return await documents.generate_protocol(SYSTEM, world.hearing.id, now=now)


async def at_conclusion(world: DocumentWorld) -> HearingDocument:
    """A protocol generated and published, then the hearing at the conclusion stage."""
    protocol = await protocol_of(world)
    await publication.publish_document(SYSTEM, protocol.id, "газета «Наш город», № 50",
                                       now=NOW)
    await Hearing.filter(id=world.hearing.id).update(status=HearingStatus.CONCLUSION)
    await recommend_the_rest(world)
    return await documents.generate_conclusion(SYSTEM, world.hearing.id, CONCLUSIONS,
                                               now=LATER)


def codes(error: pytest.ExceptionInfo[DomainError]) -> list[ErrorCode]:
    return [e.code for e in error.value.errors]


async def test_the_protocol_holds_every_element_of_part_18(world: Any) -> None:
    html = (await protocol_of(await seed_hearing())).html
    assert f"<h1>{_('Protocol of the public hearing')}</h1>" in html
    assert field(html, "dated") == DATED
    assert field(html, "organiser") == "Министерство ЖКХ Кировской области"
    assert field(html, "legal-basis") == LEGAL_BASIS
    assert field(html, "notice") == NOTICE
    # The notice's moment on Kirov's clock (UTC+3), and its source.
    assert field(html, "notice-published") == f"1 октября 2026\u202fг., 10:00, {NOTICE_WHERE}"
    assert field(html, "period") == "8 октября 2026\u202fг. — 28 октября 2026\u202fг."
    assert field(html, "territory") == "город Киров"
    assert field(html, "meeting") == f"20 октября 2026\u202fг., 15:00, {MEETING_PLACE}"
    assert _("Proposals and remarks of participants who live permanently on the territory "
             "within which the procedure is held") in section(html, "residents")
    assert _("Proposals and remarks of the other participants") in section(html, "others")
    # Residents apart from the others (a right-holder is among the others); the rejected
    # online proposals are not in it.
    assert numbers(html, "residents") == RESIDENTS
    assert numbers(html, "others") == OTHERS
    for number in (*RESIDENTS, *OTHERS):
        assert text_of(number) in row(html, number)
    assert text_of(5) not in html and text_of(6) not in html
    # A proposal cites its author by their number in the annex, which only this full
    # copy holds: names, the registered address's territory, a right-holder's declaration.
    assert _("Participant {number}", number=2) in row(html, 2)
    assert all(name not in section(html, "residents") + section(html, "others")
               for name in NAMES)
    listed = annex(html)
    assert sorted(listed) == [1, 2, 3, 4]
    assert all(name in listed[n] for n, name in enumerate(NAMES, start=1))
    assert "город Киров" in listed[1] and _("resident of the territory") in listed[1]
    assert "43:40:000000:1" in listed[2]
    assert _("right-holder of land or a building") in row(html, 2)
    assert _("at the meeting") in row(html, 3)
    assert "<blockquote>высота не более 5 этажей</blockquote>" in row(html, 2)
    assert "2.3 Жилая зона Ж-2" in row(html, 2)
    # The protocol states no recommendation: that is the conclusion's.
    assert _("Reasoned recommendation of the organiser") not in html


async def test_a_public_discussion_has_no_meeting_and_text_is_escaped(world: Any) -> None:
    hearing = await seed_hearing(kind=HearingKind.PUBLIC_DISCUSSION, proposals=False)
    await Hearing.filter(id=hearing.hearing.id).update(notice_text="<script>x()</script>")
    html = (await protocol_of(hearing)).html
    assert f"<h1>{_('Protocol of the public discussion')}</h1>" in html
    assert 'id="meeting"' not in html
    assert "<script>" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    assert _("No proposals or remarks were made") in section(html, "residents")


async def test_the_conclusion_holds_every_element_of_part_22(world: Any) -> None:
    html = (await at_conclusion(await seed_hearing())).html
    assert f"<h1>{_('Conclusion on the results of the public hearing')}</h1>" in html
    assert field(html, "dated") == "9 ноября 2026\u202fг."
    assert field(html, "project") == DRAFT_TITLE
    # Four participants registered (one of them rejected and pending only).
    assert field(html, "participants") == "4"
    assert field(html, "protocol-reference") == (
        f"{_('Protocol of the public hearing')}, {DATED}, № 1")
    assert (field(html, "count-residents"), field(html, "count-others")) == ("2", "2")
    assert numbers(html, "residents") == RESIDENTS
    assert numbers(html, "others") == OTHERS
    assert (f"<strong>{_('Take into account')}</strong>: "
            "Сквер отвечает нормативу озеленения квартала.") in row(html, 1)
    assert (f"<strong>{_('Do not take into account')}</strong>: "
            "Противоречит генеральному плану в части плотности.") in row(html, 2)
    # Recorded before the conclusion was generated (it refuses a proposal without one).
    assert f"<strong>{_('Take into account')}</strong>: {DEFAULT_RECOMMENDATION[1]}" in row(
        html, 3)
    assert all(name not in html for name in NAMES)  # the conclusion names nobody either
    assert f'<p id="conclusions" style="white-space: pre-line">{CONCLUSIONS}</p>' in html


async def test_english_follows_the_locale(world: Any) -> None:
    hearing = await seed_hearing()
    with use_locale("en"):
        html = (await protocol_of(hearing)).html
    assert "<h1>Protocol of the public hearing</h1>" in html
    assert field(html, "dated") == "November 2, 2026"
    assert 'lang="en"' in html


async def test_the_data_is_a_few_queries_whatever_the_proposals(world: Any) -> None:
    hearing = await seed_hearing()
    with count_queries() as few:
        await gather_protocol(hearing.hearing.id, NOW.date())
    for n in range(20):
        await Proposal.create(hearing=hearing.hearing, number=100 + n,
                              participant_id=hearing.proposals[0].participant_id,
                              participant_class=hearing.proposals[0].participant_class,
                              version=hearing.version, text=f"Ещё {n}",
                              channel=ProposalChannel.ONLINE, status=ProposalStatus.PUBLISHED)
    with count_queries() as many:
        data = await gather_protocol(hearing.hearing.id, NOW.date())
    assert data is not None and len(data.proposals.residents) == 22
    assert len(many) == len(few) <= 4


async def test_each_kind_is_generated_in_its_stage_as_a_new_version(world: Any) -> None:
    early = await seed_hearing(HearingStatus.EXPOSITION)
    with pytest.raises(DomainError) as refused:
        await protocol_of(early)
    assert codes(refused) == [ErrorCode.ILLEGAL_TRANSITION]
    hearing = await seed_hearing(HearingStatus.CONCLUSION, region="B")
    with pytest.raises(DomainError) as without:  # no protocol yet
        await documents.generate_conclusion(SYSTEM, hearing.hearing.id, CONCLUSIONS, now=NOW)
    assert codes(without) == [ErrorCode.ILLEGAL_TRANSITION]
    with pytest.raises(DomainError) as empty:
        await documents.generate_conclusion(SYSTEM, hearing.hearing.id, "  ", now=NOW)
    assert codes(empty) == [ErrorCode.REQUIRED]
    with pytest.raises(DomainError) as unknown:
        await documents.generate_protocol(SYSTEM, 424242, now=NOW)
    assert codes(unknown) == [ErrorCode.NOT_FOUND]

    current = await seed_hearing(region="A")
    first, second = await protocol_of(current), await protocol_of(current, LATER)
    assert (first.version, second.version) == (1, 2)
    assert second.sha256 == hashlib.sha256(second.html.encode()).hexdigest()
    generated = await AuditEvent.filter(action="hearing_document.generate",
                                        object_id=str(second.id)).get()
    assert generated.after["sha256"] == second.sha256


async def test_publication_freezes_the_document_with_its_hash_in_the_audit_trail(
        world: Any) -> None:
    hearing = await seed_hearing()
    old, newest = await protocol_of(hearing), await protocol_of(hearing)
    with pytest.raises(DomainError) as older:
        await publication.publish_document(SYSTEM, old.id, "сайт", now=NOW)
    assert codes(older) == [ErrorCode.CONFLICT]
    with pytest.raises(DomainError) as nowhere:
        await publication.publish_document(SYSTEM, newest.id, " ", now=NOW)
    assert codes(nowhere) == [ErrorCode.REQUIRED]

    published = await publication.publish_document(SYSTEM, newest.id, "сайт kirov.ru",
                                                   now=NOW)
    assert (published.published_at, published.published_where) == (NOW, "сайт kirov.ru")
    stored = await HearingDocument.get(id=newest.id)
    event = await AuditEvent.get(action="hearing_document.publish", object_id=str(newest.id))
    assert event.after["sha256"] == hashlib.sha256(stored.html.encode()).hexdigest()
    assert event.after["public_sha256"] == hashlib.sha256(
        public_copy(stored.html).encode()).hexdigest() != event.after["sha256"]
    assert event.after["published_where"] == "сайт kirov.ru"
    assert event.scope_path == hearing.hearing.territory_path

    with pytest.raises(DocumentFrozen) as frozen:
        await protocol_of(hearing, LATER)
    assert codes(frozen) == [ErrorCode.CONFLICT]
    with pytest.raises(DomainError) as again:
        await publication.publish_document(SYSTEM, newest.id, "другое место", now=LATER)
    assert codes(again) == [ErrorCode.CONFLICT]
    assert await HearingDocument.filter(hearing_id=hearing.hearing.id).count() == 2
    assert (await HearingDocument.get(id=newest.id)).html == stored.html


async def test_freeze_in_publishes_inside_the_callers_transaction(world: Any) -> None:
    hearing = await at_conclusion(await seed_hearing())
    row = await Hearing.get(id=hearing.hearing_id)
    with pytest.raises(RuntimeError):  # the caller's step fails: nothing is frozen
        async with in_transaction() as conn:
            await publication.freeze_in(conn, row, DocumentKind.CONCLUSION, "step", LATER,
                                        "сайт")
            raise RuntimeError("the step failed after freezing")
    assert (await HearingDocument.get(id=hearing.id)).published_at is None
    async with in_transaction() as conn:
        frozen = await publication.freeze_in(conn, row, DocumentKind.CONCLUSION, "step",
                                             LATER, "газета № 51")
        again = await publication.freeze_in(conn, row, DocumentKind.CONCLUSION, "step",
                                            LATER, "другое")
    assert frozen.id == again.id == hearing.id and again.published_where == "газета № 51"
    assert await AuditEvent.filter(action="hearing_document.publish",
                                   object_id=str(hearing.id)).count() == 1
    empty = await seed_hearing(region="B")
    async with in_transaction() as conn:
        with pytest.raises(DomainError) as missing:
            await publication.freeze_in(conn, empty.hearing, DocumentKind.PROTOCOL, "step",
                                        LATER, "сайт")
    assert codes(missing) == [ErrorCode.NOT_FOUND]


async def test_the_urls_serve_the_published_version_and_drafts_to_organisers(
        world: Any, client: Any, make_token: Any) -> None:
    hearing = await seed_hearing()
    base = f"/hearings/{hearing.hearing.id}"
    organiser = {"Authorization": f"Bearer {await make_token('org_admin', org=ORG_A)}"}
    draft = await protocol_of(hearing)
    hidden = await client.get(f"{base}/protocol.html")
    assert hidden.status_code == 404 and hidden.json()["errors"][0]["extensions"] == {
        "code": "NOT_FOUND"}
    seen = await client.get(f"{base}/protocol.html", headers=organiser)
    assert seen.status_code == 200 and seen.text == draft.html
    assert seen.headers["cache-control"] == "private, no-store"
    await publication.publish_document(SYSTEM, draft.id, "сайт", now=NOW)
    public = await client.get(f"{base}/protocol.html")
    assert public.status_code == 200 and public.text == public_copy(draft.html)
    assert public.headers["cache-control"] == "public, max-age=86400"
    cached = await client.get(f"{base}/protocol.html",
                              headers={"If-None-Match": public.headers["etag"]})
    assert cached.status_code == 304
    pdf = await client.get(f"{base}/protocol.pdf?version=1")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    for path, status in ((f"{base}/protocol.html?version=x", 400),
                         (f"{base}/protocol.html?version=2", 404),
                         (f"{base}/conclusion.pdf", 404),
                         ("/hearings/424242/protocol.html", 404),
                         ("/hearings/99999999999/protocol.pdf", 404)):
        answer = await client.get(path)
        assert answer.status_code == status, path
        assert answer.json()["errors"][0]["extensions"]["code"], path


async def test_a_participant_gets_an_extract_with_only_their_own_proposals(
        world: Any, client: Any, make_token: Any) -> None:
    ivanova = {"Authorization": f"Bearer {await make_token('citizen', sub='resident-ivanova')}"}
    stranger = {"Authorization": f"Bearer {await make_token('citizen', sub='stranger')}"}
    hearing = await seed_hearing()
    path = f"/hearings/{hearing.hearing.id}/protocol/extract"
    protocol = await protocol_of(hearing)
    before = await client.get(f"{path}.html", headers=ivanova)
    assert before.status_code == 404  # nothing published to extract from
    await publication.publish_document(SYSTEM, protocol.id, "сайт", now=NOW)
    # Rows changed after publication do not reach the extract: it is cut from the data
    # frozen in the published protocol.
    await Proposal.filter(hearing_id=hearing.hearing.id, number=1).update(
        text="Изменено после публикации")
    await HearingParticipant.filter(id=hearing.participants[NAMES[0]].id).update(
        display_name="Иванова М. П.")
    await Hearing.filter(id=hearing.hearing.id).update(notice_text="Другое оповещение")

    extract = await client.get(f"{path}.html", headers=ivanova)
    assert extract.status_code == 200, extract.text
    html = extract.text
    assert _("Extract from the protocol") in html
    assert field(html, "extract-for") == "Иванова Мария Петровна"
    assert field(html, "dated") == DATED and field(html, "notice") == NOTICE
    assert numbers(html, "residents") == RESIDENTS and numbers(html, "others") == []
    assert all(row(html, n) == row(protocol.html, n) for n in RESIDENTS)
    assert text_of(1) in html and "Изменено после публикации" not in html
    assert all(text_of(n) not in html for n in OTHERS)
    assert 'id="annex"' not in html and "frozen-data" not in html
    assert all(name not in html for name in NAMES[1:])
    pdf = await client.get(f"{path}.pdf", headers=ivanova)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    anonymous = await client.get(f"{path}.pdf")
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await client.get(f"{path}.html", headers=stranger)).status_code == 404


async def test_the_pdf_first_page_renders(world: Any, client: Any) -> None:
    hearing = await seed_hearing()
    document = await protocol_of(hearing)
    await publication.publish_document(SYSTEM, document.id, "сайт", now=NOW)
    pdf = (await client.get(f"/hearings/{hearing.hearing.id}/protocol.pdf")).content
    # Pages and fonts as poppler reads them: DejaVu, embedded, so Cyrillic shows anywhere.
    fonts = await asyncio.to_thread(poppler, "pdffonts", pdf)
    assert b"+DejaVu-Serif " in fonts and b"+DejaVu-Serif-Bold " in fonts
    png = await asyncio.to_thread(poppler, "pdftoppm", pdf, "-png", "-r", "60", "-f", "1",
                                  "-l", "1")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "hearing-protocol-page-1.png").write_bytes(png)
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size == (497, 702)  # A4 (210 × 297 mm) at 60 dpi, rounded up
    dark = sum(1 for value in image.get_flattened_data() if value < 128)
    # Text, not a blank page, and not a page of black boxes either.
    assert 0.01 * image.width * image.height < dark < 0.2 * image.width * image.height
    # The text starts below the top margin (22 mm) and keeps off the left one (25 mm).
    left_margin = image.crop((0, 0, int(25 / 25.4 * 60) - 2, image.height))
    assert min(left_margin.get_flattened_data()) > 128


async def test_the_cli_writes_the_newest_version(world: Any, db: Any, tmp_path: Any) -> None:
    hearing = await seed_hearing()
    document = await protocol_of(hearing)
    number = str(hearing.hearing.id)
    printed = await asyncio.to_thread(vmeste_on, db, "hearings", "protocol", number,
                                      "--format", "html")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == document.html
    target = tmp_path / "protocol.pdf"
    written = await asyncio.to_thread(vmeste_on, db, "hearings", "protocol", number,
                                      "--format", "pdf", "-o", str(target))
    assert written.returncode == 0, written.stderr
    assert target.read_bytes().startswith(b"%PDF")

    missing = await asyncio.to_thread(vmeste_on, db, "hearings", "conclusion", number,
                                      "--format", "html")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip().splitlines() == [
        f"vmeste: hearing {number} has no conclusion yet"]
    unknown = await asyncio.to_thread(vmeste_on, db, "hearings", "protocol", "424242",
                                      "--format", "pdf")
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines() == ["vmeste: hearing 424242 not found"]
    bad = await asyncio.to_thread(vmeste_on, db, "hearings", "protocol", "first",
                                  "--format", "html")
    assert bad.returncode == 2 and "not a hearing number" in bad.stderr


async def test_graphql_generates_lists_and_publishes_the_documents(
        world: Any, graphql: Any, client: Any, make_token: Any) -> None:
    hearing = await seed_hearing()
    token = await make_token("regional_admin", territory="33000000")
    hearing_id = relay.to_base64("Hearing", hearing.hearing.id)
    payload = "document { id kind version dated sha256 publishedAt publishedWhere htmlUrl " \
              "pdfUrl } userErrors { code field message }"
    generated = ok_data(await graphql(
        f"mutation($h: ID!) {{ generateHearingProtocol(input: {{hearingId: $h}}) "
        f"{{ {payload} }} }}", {"h": hearing_id}, token=token))["generateHearingProtocol"]
    document = generated["document"]
    stored = await HearingDocument.get(hearing_id=hearing.hearing.id)
    assert document["kind"] == "PROTOCOL" and document["version"] == 1
    assert document["dated"] == stored.dated.isoformat() and document["sha256"] == stored.sha256
    assert document["htmlUrl"] == f"/hearings/{hearing.hearing.id}/protocol.html?version=1"
    served = await client.get(document["pdfUrl"], headers={"Authorization": f"Bearer {token}"})
    assert served.status_code == 200 and served.content.startswith(b"%PDF")

    published = ok_data(await graphql(
        f"mutation($id: ID!) {{ publishHearingDocument(input: {{id: $id, where: \"сайт\"}}) "
        f"{{ {payload} }} }}", {"id": document["id"]}, token=token))["publishHearingDocument"]
    assert published["userErrors"] == [] and published["document"]["publishedWhere"] == "сайт"
    again = ok_data(await graphql(
        f"mutation($h: ID!) {{ generateHearingProtocol(input: {{hearingId: $h}}) "
        f"{{ {payload} }} }}", {"h": hearing_id}, token=token))["generateHearingProtocol"]
    assert again["document"] is None
    assert [e["code"] for e in again["userErrors"]] == ["CONFLICT"]
    listed = ok_data(await graphql(
        "query($h: ID!) { hearingDocuments(hearingId: $h) { id publishedAt } }",
        {"h": hearing_id}))["hearingDocuments"]
    assert [d["id"] for d in listed] == [document["id"]] and listed[0]["publishedAt"]
    wrong = await graphql("query($h: ID!) { hearingDocuments(hearingId: $h) { id } }",
                          {"h": relay.to_base64("Poll", 1)})
    assert error_code(wrong) == "INVALID"
